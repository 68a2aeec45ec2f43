/* arch_core.h (sh4): SH-4, 32-bit little-endian, 16-bit instructions,
 * 2-aligned. Arguments in r4-r7, result in r0, return address in pr; r0-r7
 * are caller-saved. Every jump (bra, jmp, rts) has a delay slot. The
 * i-cache is flushed with the cacheflush syscall (__NR_cacheflush 123,
 * asm/unistd_32.h; op BCACHE = CACHEFLUSH_D_PURGE | CACHEFLUSH_I,
 * asm/cachectl.h) on both aliases: the operand cache is virtually indexed.
 * The trap fill is `trapa #0x3b`: trapa #0x30-#0x3b go to the kernel's
 * debug_trap_handler (arch/sh/kernel/debugtraps.S), which rewinds the PC to
 * the trapa and sends SIGTRAP (trapa #0x00-#0x1f are system calls, so no
 * smaller immediate is safe). */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* mov.l @(disp,pc), r1; jmp @r1; nop; pad; .long target */
#define JIT_ARCH_LONG_JUMP_SIZE 12
#define JIT_ARCH_ENTRY_SIZE 12
#endif

#ifdef JIT_CORE_ARCH_IMPL
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

#ifndef __NR_cacheflush
#define __NR_cacheflush 123
#endif
#define SH_BCACHE 7 /* CACHEFLUSH_D_PURGE (3) | CACHEFLUSH_I (4) */

#define SH_NOP 0x0009u
#define SH_RTS 0x000bu
#define SH_TRAPA 0xc33bu /* trapa #0x3b */

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = 0xc33bc33bu, /* trapa #0x3b, trapa #0x3b */
    .trap_signal = SIGTRAP,
    .insn_align = 4,   /* the entry's literal must be 4-aligned */
    .branch_size = 12, /* the patched entry: mov.l/jmp/nop/pad + literal */
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 4096, /* bra: disp12 halfwords from at + 4 */
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    /* cacheflush(addr, len, op): the range must lie in one mapping. The
     * data written through rw is purged from the operand cache, then the
     * instruction cache is invalidated for the executing alias. */
    if (rw != rx && syscall(__NR_cacheflush, rw, size, SH_BCACHE) != 0)
        return JIT_ERR_SYSTEM;
    if (syscall(__NR_cacheflush, rx, size, SH_BCACHE) != 0)
        return JIT_ERR_SYSTEM;
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "cacheflush syscall (D purge + I)";
}

static enum jit_err put16(void *buf, size_t cap, const uint16_t *h, size_t n, size_t *len)
{
    if (!buf || !len || cap < n * 2)
        return JIT_ERR_INVALID_ARG;
    memcpy(buf, h, n * 2); /* little-endian host: native halfwords */
    *len = n * 2;
    return JIT_OK;
}

#define SH_MOV_I_R0(i) (uint16_t)(0xe000u | ((uint32_t)(i) & 0xffu)) /* mov #imm8, r0 */
#define SH_OR_I_R0(i) (uint16_t)(0xcb00u | ((uint32_t)(i) & 0xffu))  /* or #imm8, r0 */
#define SH_SHLL8_R0 0x4018u                                            /* shll8 r0 */

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k;
    if (k >= -128 && k <= 127) {
        const uint16_t h[] = {SH_RTS, SH_MOV_I_R0(u)}; /* rts; mov #k, r0 (delay slot) */
        return put16(buf, cap, h, 2, len);
    }
    /* No literal pool: position-free wherever the caller puts it. */
    const uint16_t h[] = {
        SH_MOV_I_R0(u >> 24), SH_SHLL8_R0, SH_OR_I_R0(u >> 16), SH_SHLL8_R0,
        SH_OR_I_R0(u >> 8),   SH_SHLL8_R0, SH_RTS,              SH_OR_I_R0(u), /* delay slot */
    };
    return put16(buf, cap, h, 8, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint16_t h[] = {SH_RTS, 0x6043u /* mov r4, r0 (delay slot) */};
    return put16(buf, cap, h, 2, len);
}

/* bra target; nop: disp12 (halfwords) from at + 4. */
enum jit_err jit_emit_branch(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    int64_t d = (int64_t)target - (int64_t)(at + 4);
    if (((at | target) & 1u) || d < -4096 || d > 4094)
        return JIT_ERR_OUT_OF_RANGE;
    const uint16_t h[] = {(uint16_t)(0xa000u | (((uint32_t)d >> 1) & 0xfffu)), SH_NOP};
    return put16(buf, cap, h, 2, len);
}

/* mov.l @(disp,pc), r1 loads from (at & ~3) + 4 + disp * 4: the literal is
 * the 4-aligned word at +8 (at 4-aligned) or +6 (at 2 mod 4), disp 1 both
 * times; r1 is caller-saved and free at a function's entry. */
static enum jit_err long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    if (cap < JIT_ARCH_LONG_JUMP_SIZE || ((at | target) & 1u))
        return JIT_ERR_INVALID_ARG;
    uint32_t t = (uint32_t)target;
    uint16_t h[6] = {0xd101u /* mov.l @(1,pc), r1 */, 0x412bu /* jmp @r1 */, SH_NOP, SH_NOP, SH_NOP,
                     SH_NOP};
    size_t lit = (at & 2u) ? 3 : 4; /* halfword index of the literal */
    h[lit] = (uint16_t)t;           /* little-endian word */
    h[lit + 1] = (uint16_t)(t >> 16);
    memcpy(buf, h, sizeof h);
    *len = sizeof h;
    return JIT_OK;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                size_t *len)
{
    return long_jump(buf, cap, at, target, len);
}

/* The patched entry is the long jump at a 4-aligned address: a bra reaches
 * only +-4 KiB, and turning a bra into a longer sequence is not one store.
 * Retargeting rewrites only the literal at +8: one aligned 32-bit store;
 * the instructions never change. */
enum jit_err jit_arch_patch_branch(void *rw, uintptr_t at, uintptr_t target)
{
    if ((at & 3u) != 0)
        return JIT_ERR_INVALID_ARG;
    if (target & 1u)
        return JIT_ERR_OUT_OF_RANGE;
    __atomic_store_n((uint32_t *)((uint8_t *)rw + 8), (uint32_t)target, __ATOMIC_SEQ_CST);
    return JIT_OK;
}

enum jit_err jit_arch_init_branch(void *rw, uintptr_t at, uintptr_t target)
{
    size_t len;
    if ((at & 3u) != 0)
        return JIT_ERR_INVALID_ARG;
    if (target & 1u)
        return JIT_ERR_OUT_OF_RANGE;
    return long_jump(rw, JIT_ARCH_LONG_JUMP_SIZE, at, target, &len);
}

#endif /* JIT_CORE_ARCH_IMPL */
