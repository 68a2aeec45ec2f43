/* arch_core.h (arc): ARCv2 (ARC HS, Debian's arc-linux-gnu baseline),
 * 32-bit little-endian. Instructions are 16 or 32 bits (plus an optional
 * 32-bit long immediate), 2-aligned; a 32-bit instruction or limm is stored
 * as two 16-bit halves, the most significant half FIRST, each half
 * little-endian: so a 32-bit instruction word W is the native-endian word
 * (W << 16 | W >> 16). Arguments in r0.., result in r0, return address in
 * blink. Branch offsets count from PCL, the instruction's address with bits
 * 1:0 cleared. The i-cache is flushed with the cacheflush syscall
 * (__NR_cacheflush = __NR_arch_specific_syscall + 0 = 244, asm/unistd.h).
 * The trap fill is `trap_s 1`, the breakpoint trap: Linux's
 * do_non_swi_trap() sends SIGTRAP for param 1 only; GCC's __builtin_trap
 * (`trap_s 5`) is ignored by older kernels (the switch has no case 5). */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
#define JIT_ARCH_LONG_JUMP_SIZE 8 /* j limm */
#define JIT_ARCH_ENTRY_SIZE 8
#endif

#ifdef JIT_CORE_ARCH_IMPL
/* One-word direct branches: arch.c builds jit_emit_branch and the patchers
 * on branch_word(); the b s25 word, 4-aligned, is one aligned store. */
#define ARCH_ONE_WORD_BRANCH 1
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

#ifndef __NR_cacheflush
#define __NR_cacheflush 244 /* __NR_arch_specific_syscall (244) + 0 */
#endif
#define ARC_BCACHE 3 /* <asm/cachectl.h>: CF_I_INV | CF_D_FLUSH */

/* A 32-bit instruction word (or limm) in memory order, as a native word. */
#define ARC_W32(w) ((uint32_t)(((uint32_t)(w) << 16) | ((uint32_t)(w) >> 16)))
#define ARC_TRAP_S1 0x783eu /* trap_s 1 */
#define ARC_J_S_BLINK 0x7ee0u /* j_s [blink] */

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = 0x783e783eu, /* trap_s 1, trap_s 1 */
    .trap_signal = SIGTRAP,
    .insn_align = 4,  /* the patched b word must be 4-aligned */
    .branch_size = 4, /* b s25 (no delay slot) */
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 1u << 24, /* s25 halfword offset: +-16 MiB */
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    /* cacheflush(start, size, flags). The kernel writes back the d-cache
     * and invalidates the i-cache (today: all of both, whatever the range);
     * the aliases are flushed one by one so a finer kernel stays right. */
    if (rw != rx && syscall(__NR_cacheflush, rw, size, ARC_BCACHE) != 0)
        return JIT_ERR_SYSTEM;
    if (syscall(__NR_cacheflush, rx, size, ARC_BCACHE) != 0)
        return JIT_ERR_SYSTEM;
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "cacheflush syscall (BCACHE)";
}

static enum jit_err put_bytes(void *buf, size_t cap, const uint8_t *b, size_t n, size_t *len)
{
    if (!buf || !len || cap < n)
        return JIT_ERR_INVALID_ARG;
    memcpy(buf, b, n);
    *len = n;
    return JIT_OK;
}

/* Memory bytes of a 32-bit instruction word or limm: high half first. */
#define ARC_B32(w) (uint8_t)((w) >> 16), (uint8_t)((w) >> 24), (uint8_t)(w), (uint8_t)((w) >> 8)
#define ARC_B16(h) (uint8_t)(h), (uint8_t)((h) >> 8)

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k;
    /* mov r0, limm; j_s [blink] */
    const uint8_t b[] = {ARC_B32(0x200a0f80u), ARC_B32(u), ARC_B16(ARC_J_S_BLINK)};
    return put_bytes(buf, cap, b, sizeof b, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint8_t b[] = {ARC_B16(ARC_J_S_BLINK)}; /* r0 is argument and result */
    return put_bytes(buf, cap, b, sizeof b, len);
}

/* b s25: 00000 s[10:1] 1 s[20:11] N=0 0 s[24:21], relative to PCL. */
static int branch_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    int64_t d = (int64_t)target - (int64_t)(at & ~(uintptr_t)3);
    if ((d & 1) || d < -(int64_t)(1 << 24) || d >= (int64_t)(1 << 24))
        return 0;
    uint32_t u = (uint32_t)d;
    uint32_t insn = (((u >> 1) & 0x3ffu) << 17) | (1u << 16) | (((u >> 11) & 0x3ffu) << 6) |
                    ((u >> 21) & 0xfu);
    *w = ARC_W32(insn);
    return 1;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                size_t *len)
{
    (void)at;
    uint32_t t = (uint32_t)target;
    const uint8_t b[] = {ARC_B32(0x20200f80u), ARC_B32(t)}; /* j limm */
    return put_bytes(buf, cap, b, sizeof b, len);
}

#endif /* JIT_CORE_ARCH_IMPL */
