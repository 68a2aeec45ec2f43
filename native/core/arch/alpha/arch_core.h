/* arch_core.h (alpha): Alpha, Linux (OSF/1-style) ABI. Freed code traps
 * with `bpt` (SIGTRAP). The i-cache is flushed with `imb` (call_pal 0x86;
 * libgcc's __clear_cache is empty on alpha). The direct branch is
 * `br $31, disp21` (one word, no delay slot, +-4 MiB). Jumps go through $27
 * (pv), so generated code that recomputes its gp from $27 sees its own
 * address after a long jump. */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* br $27, .+4; ldq $27, d-4($27); jmp ($27); the 8-aligned .quad target at
 * d = 12 or 16 and one bpt pad: always 24 bytes. */
#define JIT_ARCH_LONG_JUMP_SIZE 24
#define JIT_ARCH_ENTRY_SIZE 24
#endif

#ifdef JIT_CORE_ARCH_IMPL
/* One-word direct branches: arch.c builds jit_emit_branch and the patchers on branch_word(). */
#define ARCH_ONE_WORD_BRANCH 1
#include <signal.h>
#include <string.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

#define ALPHA_BPT 0x00000080u /* call_pal 0x80 */
#define ALPHA_RET 0x6bfa8001u /* ret $31, ($26), 1 */

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = ALPHA_BPT,
    .trap_signal = SIGTRAP,
    .insn_align = 4,
    .branch_size = 4,
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 1u << 22, /* disp21 words: +-4 MiB */
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    /* imb drops the whole i-cache and orders earlier stores before later
     * instruction fetches: no per-line work and no second alias. */
    (void)rw;
    (void)rx;
    (void)size;
    __asm__ volatile("mb\n\tcall_pal 0x86" : : : "memory");
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "imb (call_pal 0x86)";
}

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t w[4];
    size_t n = 0;
    if (k >= -32768 && k <= 32767) {
        w[n++] = 0x201f0000u | ((uint32_t)k & 0xffffu); /* lda $0, k($31) */
    } else {
        uint32_t lo = (uint32_t)k & 0xffffu;
        uint32_t hi = (((uint32_t)k - (uint32_t)(int32_t)(int16_t)lo) >> 16) & 0xffffu;
        w[n++] = 0x241f0000u | hi; /* ldah $0, hi($31) */
        w[n++] = 0x20000000u | lo; /* lda $0, lo($0) */
        w[n++] = 0x401f0000u;      /* addl $0, $31, $0: back to a sign-extended int */
    }
    w[n++] = ALPHA_RET;
    return put(buf, cap, w, n, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint32_t w[] = {0x421f0000u /* addl $16, $31, $0 */, ALPHA_RET};
    return put(buf, cap, w, 2, len);
}

static int branch_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    int64_t d = (int64_t)(target - (at + 4));
    if ((d & 3) || d < -(int64_t)(1 << 22) || d >= (int64_t)(1 << 22))
        return 0;
    *w = 0xc3e00000u | ((uint32_t)(d >> 2) & 0x1fffffu); /* br $31, d */
    return 1;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    if (cap < JIT_ARCH_LONG_JUMP_SIZE || (at & 3u))
        return JIT_ERR_INVALID_ARG;
    uint32_t d = ((at + 12) & 7u) ? 16u : 12u; /* ldq needs 8-byte alignment */
    uint32_t w[3] = {
        0xc3600000u,            /* br $27, .+4 ($27 = at + 4) */
        0xa77b0000u | (d - 4),  /* ldq $27, d-4($27) */
        0x6bfb0000u,            /* jmp $31, ($27) */
    };
    uint32_t pad = ALPHA_BPT;
    uint64_t t = target;
    uint8_t *p = buf;
    memcpy(p, w, 12);
    memcpy(p + (d == 12 ? 20 : 12), &pad, 4);
    memcpy(p + d, &t, 8);
    *len = JIT_ARCH_LONG_JUMP_SIZE;
    return JIT_OK;
}

#endif /* JIT_CORE_ARCH_IMPL */
