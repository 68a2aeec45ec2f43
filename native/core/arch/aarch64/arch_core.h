/* arch_core.h (aarch64): A64 encoders and i-cache maintenance by hand:
 * dc cvau (through rw) / dsb ish / ic ivau (through rx) / dsb ish / isb,
 * line sizes from CTR_EL0. */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* JIT_ARCH_LONG_JUMP_SIZE: bytes of the longest jump sequence the core emits
 * (reaches any address). JIT_ARCH_ENTRY_SIZE: that, rounded up to the entry
 * alignment; every allocation is at least this large, so any code can be
 * patched with a jump without touching its neighbour. */
#define JIT_ARCH_LONG_JUMP_SIZE 16 /* ldr x16, 8; br x16; .quad target */
#define JIT_ARCH_ENTRY_SIZE 16
#endif

#ifdef JIT_CORE_ARCH_IMPL
/* One-word direct branches: arch.c builds jit_emit_branch and the patchers on branch_word(). */
#define ARCH_ONE_WORD_BRANCH 1
#include <signal.h>
#include <string.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = 0x00000000u, /* udf #0 */
    .trap_signal = SIGILL,
    .insn_align = 4,
    .branch_size = 4,
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 128u << 20,
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    uint64_t ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    size_t dline = (size_t)4 << ((ctr >> 16) & 0xf);
    size_t iline = (size_t)4 << (ctr & 0xf);
    uintptr_t a, end;

    if (!(ctr & (1u << 28))) { /* IDC clear: clean D to the point of unification */
        end = (uintptr_t)rw + size;
        for (a = (uintptr_t)rw & ~(dline - 1); a < end; a += dline)
            __asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
    }
    __asm__ volatile("dsb ish" ::: "memory");
    if (!(ctr & (1u << 29))) { /* DIC clear: invalidate I by the executing address */
        end = (uintptr_t)rx + size;
        for (a = (uintptr_t)rx & ~(iline - 1); a < end; a += iline)
            __asm__ volatile("ic ivau, %0" ::"r"(a) : "memory");
        __asm__ volatile("dsb ish" ::: "memory");
    }
    __asm__ volatile("isb" ::: "memory");
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "dc cvau/dsb ish/ic ivau/dsb ish/isb (CTR_EL0 line sizes)";
}

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k, w[3];
    size_t n = 0;
    w[n++] = 0x52800000u | ((u & 0xffffu) << 5); /* movz w0, #lo */
    if (u >> 16)
        w[n++] = 0x72a00000u | ((u >> 16) << 5); /* movk w0, #hi, lsl 16 */
    w[n++] = 0xd65f03c0u;                        /* ret */
    return put(buf, cap, w, n, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint32_t w[] = {0xd65f03c0u}; /* ret: x0 in, x0 out */
    return put(buf, cap, w, 1, len);
}

static int branch_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    int64_t d = (int64_t)(target - at);
    if ((d & 3) || d < -(int64_t)(128 << 20) || d >= (int64_t)(128 << 20))
        return 0;
    *w = 0x14000000u | ((uint32_t)(d >> 2) & 0x3ffffffu); /* b */
    return 1;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                        size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    (void)at;
    if (cap < 16)
        return JIT_ERR_INVALID_ARG;
    uint32_t w[2] = {0x58000050u, 0xd61f0200u}; /* ldr x16, #8; br x16 */
    uint64_t t = target;
    memcpy(buf, w, 8);
    memcpy((uint8_t *)buf + 8, &t, 8);
    *len = 16;
    return JIT_OK;
}

/* The slot swap (jit/replace.h): LSE swpal when the build assumes LSE or
 * the CPU has it (jit/cpu.h `atomics`), else an ldaxr/stlxr loop. Both are
 * inline asm, so the path is the one named here: __atomic_exchange_n would
 * be a call into libgcc's outline atomics (-moutline-atomics, GCC's default
 * for aarch64-linux), which makes its own choice. swpal is written as a word
 * with fixed registers, so an assembler told -march=armv8-a accepts it. */
#define ARCH_SLOT_SWAP 1
#include "jit/cpu.h"

enum jit_swap_path jit_arch_slot_swap_auto(void)
{
#if defined(__ARM_FEATURE_ATOMICS)
    return JIT_SWAP_LSE;
#else
    return jit_cpu_has(JIT_CPU_ATOMICS) ? JIT_SWAP_LSE : JIT_SWAP_LLSC;
#endif
}

static void *swap_lse(void **slot, void *value)
{
    register void *x0 __asm__("x0");
    register void *x1 __asm__("x1") = value;
    register void **x2 __asm__("x2") = slot;
    __asm__ volatile(".inst 0xf8e18040 /* swpal x1, x0, [x2] */"
                     : "=r"(x0)
                     : "r"(x1), "r"(x2)
                     : "memory");
    return x0;
}

static void *swap_llsc(void **slot, void *value)
{
    void *old;
    unsigned fail;
    __asm__ volatile("1: ldaxr %0, %2\n\t"
                     "stlxr %w1, %3, %2\n\t"
                     "cbnz %w1, 1b"
                     : "=&r"(old), "=&r"(fail), "+Q"(*slot)
                     : "r"(value)
                     : "memory");
    return old;
}

enum jit_err jit_arch_slot_swap(void **slot, void *value, enum jit_swap_path path, void **old_out)
{
    switch (path) {
    case JIT_SWAP_LSE:
#if !defined(__ARM_FEATURE_ATOMICS)
        if (!jit_cpu_has(JIT_CPU_ATOMICS))
            return JIT_ERR_UNSUPPORTED; /* swpal would be SIGILL here */
#endif
        *old_out = swap_lse(slot, value);
        return JIT_OK;
    case JIT_SWAP_LLSC:
        *old_out = swap_llsc(slot, value);
        return JIT_OK;
    default:
        return JIT_ERR_UNSUPPORTED;
    }
}

#endif /* JIT_CORE_ARCH_IMPL */
