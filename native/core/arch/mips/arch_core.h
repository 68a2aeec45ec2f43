/* arch_core.h (mips, mipsel, mips64, mips64el): MIPS32 (o32, either
 * endianness) and MIPS64 (n64, either endianness). Every jump has a delay
 * slot; code is flushed with the cacheflush syscall (BCACHE). */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* JIT_ARCH_LONG_JUMP_SIZE: bytes of the longest jump sequence the core emits
 * (reaches any address). JIT_ARCH_ENTRY_SIZE: that, rounded up to the entry
 * alignment; every allocation is at least this large, so any code can be
 * patched with a jump without touching its neighbour. */
#if JIT_ARCH_BITS == 64
#define JIT_ARCH_LONG_JUMP_SIZE 32 /* lui/ori/dsll/ori/dsll/ori t9; jr t9; nop */
#define JIT_ARCH_ENTRY_SIZE 32
#else
#define JIT_ARCH_LONG_JUMP_SIZE 16 /* lui t9; ori t9; jr t9; nop */
#define JIT_ARCH_ENTRY_SIZE 16
#endif
#endif

#ifdef JIT_CORE_ARCH_IMPL
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0
#define MIPS_BCACHE 3 /* <asm/cachectl.h>: both caches */

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = 0x0000000du, /* break */
    .trap_signal = SIGTRAP,
    .insn_align = 4,
    .branch_size = 8, /* j + delay-slot nop */
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 0, /* same 256 MiB segment */
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    /* Virtually indexed caches: flush both aliases. */
    if (rw != rx && syscall(__NR_cacheflush, rw, size, MIPS_BCACHE) != 0)
        return JIT_ERR_SYSTEM;
    if (syscall(__NR_cacheflush, rx, size, MIPS_BCACHE) != 0)
        return JIT_ERR_SYSTEM;
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "cacheflush syscall (BCACHE)";
}

#define MIPS_JR_RA 0x03e00008u
#define MIPS_NOP 0x00000000u

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k, w[3];
    size_t n = 0;
    if (u <= 0xffffu) {
        w[n++] = MIPS_JR_RA;
        w[n++] = 0x34020000u | u; /* delay slot: ori v0, zero, k */
    } else {
        w[n++] = 0x3c020000u | (u >> 16);     /* lui v0, hi */
        w[n++] = MIPS_JR_RA;
        w[n++] = 0x34420000u | (u & 0xffffu); /* delay slot: ori v0, v0, lo */
    }
    return put(buf, cap, w, n, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint32_t w[] = {MIPS_JR_RA, 0x00801021u}; /* jr ra; addu v0, a0, zero */
    return put(buf, cap, w, 2, len);
}

static int j_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    /* j keeps the upper bits of the delay slot's address. */
    if ((target & 3u) || (((at + 4) ^ target) & ~(uintptr_t)0x0fffffff))
        return 0;
    *w = 0x08000000u | (uint32_t)((target >> 2) & 0x3ffffffu);
    return 1;
}

enum jit_err jit_emit_branch(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    uint32_t w[2] = {0, MIPS_NOP};
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    if (!j_word(at, target, &w[0]))
        return JIT_ERR_OUT_OF_RANGE;
    return put(buf, cap, w, 2, len);
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                        size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    (void)at;
    uint64_t a = (uint64_t)target;
#if JIT_ARCH_BITS == 64
    uint32_t w[8] = {
        0x3c190000u | (uint32_t)((a >> 48) & 0xffffu), /* lui t9, a[63:48] */
        0x37390000u | (uint32_t)((a >> 32) & 0xffffu), /* ori t9, t9, a[47:32] */
        0x0019cc38u,                                   /* dsll t9, t9, 16 */
        0x37390000u | (uint32_t)((a >> 16) & 0xffffu), /* ori t9, t9, a[31:16] */
        0x0019cc38u,                                   /* dsll t9, t9, 16 */
        0x37390000u | (uint32_t)(a & 0xffffu),         /* ori t9, t9, a[15:0] */
        0x03200008u,                                   /* jr t9 */
        MIPS_NOP,
    };
    return put(buf, cap, w, 8, len);
#else
    uint32_t w[4] = {
        0x3c190000u | (uint32_t)((a >> 16) & 0xffffu), /* lui t9, hi */
        0x37390000u | (uint32_t)(a & 0xffffu),         /* ori t9, t9, lo */
        0x03200008u,                                   /* jr t9 */
        MIPS_NOP,
    };
    return put(buf, cap, w, 4, len);
#endif
}

enum jit_err jit_arch_patch_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint32_t w;
    if ((at & 3u) != 0)
        return JIT_ERR_INVALID_ARG;
    if (!j_word(at, target, &w))
        return JIT_ERR_OUT_OF_RANGE;
    /* Only the j word changes; the delay-slot nop was written at init. */
    __atomic_store_n((uint32_t *)rw, w, __ATOMIC_SEQ_CST);
    return JIT_OK;
}

enum jit_err jit_arch_init_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint32_t w[2] = {0, MIPS_NOP};
    if ((at & 3u) != 0)
        return JIT_ERR_INVALID_ARG;
    if (!j_word(at, target, &w[0]))
        return JIT_ERR_OUT_OF_RANGE;
    memcpy(rw, w, 8);
    return JIT_OK;
}

#endif /* JIT_CORE_ARCH_IMPL */
