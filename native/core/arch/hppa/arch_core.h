/* arch_core.h (hppa): PA-RISC 1.1, 32-bit Linux ABI. Freed code traps with
 * `break 4,8` (SIGTRAP; any break does). The i-cache is flushed with
 * fdc / sync / fic / sync per 16-byte line (libgcc's __clear_cache is empty
 * on hppa). The direct branch is `b,n` (bl,n ..., %r0: the delay slot of an
 * unconditional branch with ,n is nullified, so it is one word), 17-bit word
 * displacement, +-256 KiB. A C call through a function pointer goes through
 * $$dyncall, which treats a pointer with bit 1 set as a plabel and branches
 * straight to any other: generated code (4-aligned) is callable as is. */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
#define JIT_ARCH_LONG_JUMP_SIZE 12 /* ldil L%t, %r1; ldo R%t(%r1), %r1; bv,n %r0(%r1) */
#define JIT_ARCH_ENTRY_SIZE 16
#endif

#ifdef JIT_CORE_ARCH_IMPL
/* One-word direct branches: arch.c builds jit_emit_branch and the patchers on branch_word(). */
#define ARCH_ONE_WORD_BRANCH 1
#include <signal.h>
#include <string.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

#define HPPA_BREAK 0x00010004u /* break 4,8 */
#define HPPA_BV_RP 0xe840c000u /* bv %r0(%rp) */
#define HPPA_NOP 0x08000240u   /* or %r0, %r0, %r0 */
#define HPPA_LINE 16u          /* smallest PA-RISC cache line: safe stride */

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = HPPA_BREAK,
    .trap_signal = SIGTRAP,
    .insn_align = 4,
    .branch_size = 4, /* b,n: the delay slot is nullified */
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 1u << 18, /* 17-bit word displacement: +-256 KiB */
};

static void hppa_fdc(void *p, size_t size)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)(HPPA_LINE - 1), end = (uintptr_t)p + size;
    for (; a < end; a += HPPA_LINE)
        __asm__ volatile("fdc %%r0(%0)" : : "r"(a) : "memory");
}

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    /* Virtually indexed caches: write back the data lines of both aliases,
     * then invalidate the instruction lines of the executing one. */
    hppa_fdc(rw, size);
    if (rw != rx)
        hppa_fdc(rx, size);
    __asm__ volatile("sync" : : : "memory");
    uintptr_t a = (uintptr_t)rx & ~(uintptr_t)(HPPA_LINE - 1), end = (uintptr_t)rx + size;
    for (; a < end; a += HPPA_LINE)
        __asm__ volatile("fic %%r0(%%sr4, %0)" : : "r"(a) : "memory");
    __asm__ volatile("sync\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop" : : : "memory");
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "fdc/sync/fic/sync per 16 bytes";
}

static uint32_t low_sign_ext14(int32_t v)
{
    return (((uint32_t)v & 0x1fffu) << 1) | (v < 0 ? 1u : 0u);
}

static uint32_t re_assemble_21(uint32_t x)
{
    return ((x & 0x100000u) >> 20) | ((x & 0x0ffe00u) >> 8) | ((x & 0x000180u) << 7) |
           ((x & 0x00007cu) << 14) | ((x & 0x000003u) << 12);
}

static uint32_t re_assemble_17(uint32_t x)
{
    return ((x & 0x10000u) >> 16) | ((x & 0x0f800u) << 5) | ((x & 0x00400u) >> 8) |
           ((x & 0x003ffu) << 3);
}

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k, w[4];
    size_t n = 0;
    if (k >= -8192 && k <= 8191) {
        w[n++] = HPPA_BV_RP;
        w[n++] = 0x341c0000u | low_sign_ext14(k); /* delay slot: ldi k, %r28 */
    } else {
        w[n++] = 0x23800000u | re_assemble_21(u >> 11);              /* ldil L%k, %r28 */
        w[n++] = HPPA_BV_RP;
        w[n++] = 0x379c0000u | low_sign_ext14((int32_t)(u & 0x7ffu)); /* delay: ldo R%k(%r28), %r28 */
    }
    return put(buf, cap, w, n, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint32_t w[] = {HPPA_BV_RP, 0x081a025cu /* delay slot: copy %r26, %r28 */};
    return put(buf, cap, w, 2, len);
}

static int branch_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    int64_t d = (int64_t)target - (int64_t)(at + 8);
    if ((d & 3) || d < -(int64_t)(1 << 18) || d >= (int64_t)(1 << 18))
        return 0;
    *w = 0xe8000002u | re_assemble_17((uint32_t)(d >> 2) & 0x1ffffu); /* b,n target (bl,n ..., %r0) */
    return 1;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    (void)at;
    uint32_t t = (uint32_t)target;
    uint32_t w[3] = {
        0x20200000u | re_assemble_21(t >> 11),              /* ldil L%t, %r1 */
        0x34210000u | low_sign_ext14((int32_t)(t & 0x7ffu)), /* ldo R%t(%r1), %r1 */
        0xe820c002u,                                        /* bv,n %r0(%r1) */
    };
    return put(buf, cap, w, 3, len);
}

#endif /* JIT_CORE_ARCH_IMPL */
