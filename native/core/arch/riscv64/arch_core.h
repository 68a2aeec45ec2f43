/* arch_core.h (riscv64): RV64 encoders (no compressed instructions
 * emitted). The i-cache is flushed with the riscv_flush_icache syscall: a
 * local fence.i is wrong because the thread may migrate to a hart that never
 * saw it. */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* JIT_ARCH_LONG_JUMP_SIZE: bytes of the longest jump sequence the core emits
 * (reaches any address). JIT_ARCH_ENTRY_SIZE: that, rounded up to the entry
 * alignment; every allocation is at least this large, so any code can be
 * patched with a jump without touching its neighbour. */
#define JIT_ARCH_LONG_JUMP_SIZE 24 /* auipc t0; ld t0, 16(t0); jr t0; pad; .quad */
#define JIT_ARCH_ENTRY_SIZE 24
#endif

#ifdef JIT_CORE_ARCH_IMPL
/* One-word direct branches: arch.c builds jit_emit_branch and the patchers on branch_word(). */
#define ARCH_ONE_WORD_BRANCH 1
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

#ifndef __NR_riscv_flush_icache
#define __NR_riscv_flush_icache 259
#endif

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = 0xc0001073u, /* unimp (csrrw x0, cycle, x0) */
    .trap_signal = SIGILL,
    .insn_align = 4,
    .branch_size = 4,
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 1u << 20,
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    (void)rw;
    /* flags 0: all harts of this mm, including ones this thread moves to. */
    if (syscall(__NR_riscv_flush_icache, (uintptr_t)rx, (uintptr_t)rx + size, 0UL) != 0)
        return JIT_ERR_SYSTEM;
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "riscv_flush_icache syscall";
}

#define RV_RET 0x00008067u /* jalr x0, 0(ra) */

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t w[3];
    size_t n = 0;
    if (k >= -2048 && k <= 2047) {
        w[n++] = (((uint32_t)k & 0xfffu) << 20) | (10u << 7) | 0x13u; /* addi a0, zero, k */
    } else {
        uint32_t hi = ((uint32_t)k + 0x800u) >> 12;
        uint32_t lo = (uint32_t)k - (hi << 12);
        w[n++] = ((hi & 0xfffffu) << 12) | (10u << 7) | 0x37u;                     /* lui a0 */
        w[n++] = ((lo & 0xfffu) << 20) | (10u << 15) | (10u << 7) | 0x1bu;         /* addiw a0, a0 */
    }
    w[n++] = RV_RET;
    return put(buf, cap, w, n, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint32_t w[] = {RV_RET};
    return put(buf, cap, w, 1, len);
}

static int branch_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    int64_t d = (int64_t)(target - at);
    if ((d & 1) || d < -(int64_t)(1 << 20) || d >= (int64_t)(1 << 20))
        return 0;
    uint32_t u = (uint32_t)d;
    *w = (((u >> 20) & 1u) << 31) | (((u >> 1) & 0x3ffu) << 21) | (((u >> 11) & 1u) << 20) |
         (((u >> 12) & 0xffu) << 12) | 0x6fu; /* jal x0, d */
    return 1;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                        size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    (void)at;
    if (cap < 24)
        return JIT_ERR_INVALID_ARG;
    uint32_t w[4] = {
        0x00000297u,                                             /* auipc t0, 0 */
        (16u << 20) | (5u << 15) | (3u << 12) | (5u << 7) | 0x03u, /* ld t0, 16(t0) */
        0x00028067u,                                             /* jr t0 */
        0xc0001073u,                                             /* unimp (pad) */
    };
    uint64_t t = target;
    memcpy(buf, w, 16);
    memcpy((uint8_t *)buf + 16, &t, 8);
    *len = 24;
    return JIT_OK;
}

#endif /* JIT_CORE_ARCH_IMPL */
