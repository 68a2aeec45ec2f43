/* arch_core.h (sparc64): SPARC V9, 64-bit Linux ABI. Freed code traps with
 * `illtrap 0xdead` (SIGILL; `ta 5`, __builtin_trap, makes qemu-user exit with
 * "Unhandled trap" instead of raising a signal). The i-cache is flushed with
 * the `flush` instruction per 8 bytes (libgcc's __clear_cache is empty on
 * sparc64). The direct branch is `ba,a` (annulled: its delay slot never
 * runs, so the branch is one word), disp22, +-8 MiB. */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* rd %pc, %g1; ldx [%g1 + d], %g1; jmp %g1; nop; the 8-aligned .xword target
 * at d = 16 or 20 (whichever is 8-aligned in memory) and one illtrap pad:
 * always 28 bytes. */
#define JIT_ARCH_LONG_JUMP_SIZE 28
#define JIT_ARCH_ENTRY_SIZE 32
#endif

#ifdef JIT_CORE_ARCH_IMPL
/* ba,a is one word: arch.c builds jit_emit_branch and the patchers on branch_word(). */
#define ARCH_ONE_WORD_BRANCH 1
#include <signal.h>
#include <string.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

/* illtrap 0xdead: any imm22 traps; non-zero so freed code differs from fresh
 * zero pages (illtrap 0 is the all-zero word). */
#define SPARC_ILLTRAP 0x0000deadu
#define SPARC_RETL 0x81c3e008u    /* jmpl %o7 + 8, %g0 */
#define SPARC_NOP 0x01000000u     /* sethi 0, %g0 */

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = SPARC_ILLTRAP,
    .trap_signal = SIGILL,
    .insn_align = 4,
    .branch_size = 4, /* ba,a: the annulled delay slot is not executed */
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 1u << 23, /* disp22 words: +-8 MiB */
};

static void sparc_flush_range(void *p, size_t size)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)7, end = (uintptr_t)p + size;
    for (; a < end; a += 8)
        __asm__ volatile("flush %0" : : "r"(a) : "memory");
}

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    /* flush works on the executing (virtual) address; the rw alias holds
     * data only, which the stores already made visible. */
    (void)rw;
    __asm__ volatile("membar #StoreStore" : : : "memory");
    sparc_flush_range(rx, size);
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "flush per 8 bytes";
}

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k, w[4];
    size_t n = 0;
    if (k >= -4096 && k <= 4095) {
        w[n++] = SPARC_RETL;
        w[n++] = 0x90102000u | (u & 0x1fffu); /* delay slot: mov k, %o0 */
    } else {
        w[n++] = 0x11000000u | (u >> 10);          /* sethi %hi(k), %o0 */
        w[n++] = 0x90122000u | (u & 0x3ffu);       /* or %o0, %lo(k), %o0 */
        w[n++] = SPARC_RETL;
        w[n++] = 0x913a2000u;                      /* delay slot: sra %o0, 0, %o0 */
    }
    return put(buf, cap, w, n, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint32_t w[] = {SPARC_RETL, SPARC_NOP};
    return put(buf, cap, w, 2, len);
}

static int branch_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    int64_t d = (int64_t)(target - at);
    if ((d & 3) || d < -(int64_t)(1 << 23) || d >= (int64_t)(1 << 23))
        return 0;
    *w = 0x30800000u | ((uint32_t)(d >> 2) & 0x3fffffu); /* ba,a d */
    return 1;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    if (cap < JIT_ARCH_LONG_JUMP_SIZE || (at & 3u))
        return JIT_ERR_INVALID_ARG;
    uint32_t d = ((at + 16) & 7u) ? 20u : 16u; /* ldx needs 8-byte alignment */
    uint32_t w[4] = {
        0x83414000u,      /* rd %pc, %g1 */
        0xc2586000u | d,  /* ldx [%g1 + d], %g1 */
        0x81c04000u,      /* jmp %g1 */
        SPARC_NOP,        /* delay slot */
    };
    uint32_t pad = SPARC_ILLTRAP;
    uint64_t t = target;
    uint8_t *p = buf;
    memcpy(p, w, 16);
    memcpy(p + (d == 16 ? 24 : 16), &pad, 4);
    memcpy(p + d, &t, 8);
    *len = JIT_ARCH_LONG_JUMP_SIZE;
    return JIT_OK;
}

#endif /* JIT_CORE_ARCH_IMPL */
