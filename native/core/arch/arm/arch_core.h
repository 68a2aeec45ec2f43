/* arch_core.h (arm): ARMv7 in A32 (ARM) state. Generated code is entered
 * with bit 0 clear (allocations are aligned), so callers compiled as Thumb
 * interwork through blx/bx; the code returns with bx lr. Cache maintenance is
 * the kernel's cacheflush syscall (user mode cannot clean caches on ARMv7). */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* JIT_ARCH_LONG_JUMP_SIZE: bytes of the longest jump sequence the core emits
 * (reaches any address). JIT_ARCH_ENTRY_SIZE: that, rounded up to the entry
 * alignment; every allocation is at least this large, so any code can be
 * patched with a jump without touching its neighbour. */
#define JIT_ARCH_LONG_JUMP_SIZE 8 /* ldr pc, [pc, #-4]; .word target */
#define JIT_ARCH_ENTRY_SIZE 8
#endif

#ifdef JIT_CORE_ARCH_IMPL
/* One-word direct branches: arch.c builds jit_emit_branch and the patchers on branch_word(). */
#define ARCH_ONE_WORD_BRANCH 1
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

#ifndef __ARM_NR_cacheflush
#define __ARM_NR_cacheflush 0x0f0002
#endif

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    /* udf in A32 whose low halfword 0xdef0 is also a Thumb udf: traps
     * whichever state a stray call arrives in (Linux uses the same word). */
    .trap_insn = 0xe7f0def0u,
    .trap_signal = SIGILL,
    .insn_align = 4,
    .branch_size = 4,
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 32u << 20,
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    /* Clean through rw (D side), then through rx (D+I for that address). */
    if (rw != rx && syscall(__ARM_NR_cacheflush, (uintptr_t)rw, (uintptr_t)rw + size, 0) != 0)
        return JIT_ERR_SYSTEM;
    if (syscall(__ARM_NR_cacheflush, (uintptr_t)rx, (uintptr_t)rx + size, 0) != 0)
        return JIT_ERR_SYSTEM;
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "cacheflush syscall (__ARM_NR_cacheflush)";
}

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k, lo = u & 0xffffu, hi = u >> 16, w[3];
    size_t n = 0;
    w[n++] = 0xe3000000u | ((lo >> 12) << 16) | (lo & 0xfffu); /* movw r0, #lo */
    if (hi)
        w[n++] = 0xe3400000u | ((hi >> 12) << 16) | (hi & 0xfffu); /* movt r0, #hi */
    w[n++] = 0xe12fff1eu;                                           /* bx lr */
    return put(buf, cap, w, n, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint32_t w[] = {0xe12fff1eu}; /* bx lr */
    return put(buf, cap, w, 1, len);
}

static int branch_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    int64_t d = (int64_t)(int32_t)(uint32_t)(target - (at + 8)); /* pc reads 8 ahead */
    if ((d & 3) || d < -(int64_t)(32 << 20) || d >= (int64_t)(32 << 20) || (target & 1u))
        return 0;
    *w = 0xea000000u | ((uint32_t)(d >> 2) & 0xffffffu); /* b */
    return 1;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                        size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    (void)at;
    uint32_t w[2] = {0xe51ff004u, (uint32_t)target}; /* ldr pc, [pc, #-4]; .word target */
    return put(buf, cap, w, 2, len);
}

#endif /* JIT_CORE_ARCH_IMPL */
