/* arch_core.h (powerpc, powerpc64, powerpc64le): 32-bit PowerPC (SysV),
 * 64-bit big-endian ELFv1 and 64-bit little-endian ELFv2. The i-cache is not
 * coherent with stores and neither __builtin___clear_cache nor libgcc's
 * __clear_cache does anything here (GCC 12): the flush is dcbst / sync /
 * icbi / isync with the line sizes the kernel gives in auxv. On ELFv1 a
 * function pointer points to a descriptor {entry, TOC, env}, so code is
 * called through jit_code_callable(). */
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
#define JIT_ARCH_LONG_JUMP_SIZE 28 /* lis/ori/sldi/oris/ori r12; mtctr r12; bctr */
#define JIT_ARCH_ENTRY_SIZE 32
#else
#define JIT_ARCH_LONG_JUMP_SIZE 16 /* lis/ori r12; mtctr r12; bctr */
#define JIT_ARCH_ENTRY_SIZE 16
#endif
#endif

#ifdef JIT_CORE_ARCH_IMPL
/* One-word direct branches (b, +-32 MiB): arch.c builds jit_emit_branch and
 * the patchers on branch_word(). */
#define ARCH_ONE_WORD_BRANCH 1
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 0

#define PPC_TRAP 0x7fe00008u /* trap (tw 31, r0, r0) */
#define PPC_BLR 0x4e800020u
#define PPC_BCTR 0x4e800420u
#define PPC_MTCTR_R12 0x7d8903a6u

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = PPC_TRAP,
    .trap_signal = SIGTRAP,
    .insn_align = 4,
    .branch_size = 4,
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 1u << 25,
};

/* Cache line sizes from auxv; 0 (not given) falls back to 32, the smallest
 * line of the 64-bit and Book E parts Linux runs on: a line size smaller
 * than the real one only costs extra instructions, never correctness. */
static size_t ppc_line(unsigned long type)
{
    unsigned long v = getauxval(type);
    if (v < 16 || v > 4096 || (v & (v - 1)) != 0)
        return 32;
    return (size_t)v;
}

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    if (size == 0)
        return JIT_OK;
    size_t dl = ppc_line(AT_DCACHEBSIZE), il = ppc_line(AT_ICACHEBSIZE);
    /* Clean the written bytes to memory through the view they were written
     * by, then invalidate the i-cache through the view they run from. */
    uintptr_t a = (uintptr_t)rw & ~(uintptr_t)(dl - 1), end = (uintptr_t)rw + size;
    for (; a < end; a += dl)
        __asm__ volatile("dcbst 0, %0" : : "r"(a) : "memory");
    __asm__ volatile("sync" : : : "memory");
    a = (uintptr_t)rx & ~(uintptr_t)(il - 1);
    end = (uintptr_t)rx + size;
    for (; a < end; a += il)
        __asm__ volatile("icbi 0, %0" : : "r"(a) : "memory");
    __asm__ volatile("sync\n\tisync" : : : "memory");
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "dcbst/sync/icbi/isync (auxv line sizes)";
}

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k, w[3];
    size_t n = 0;
    if (k >= -32768 && k <= 32767) {
        w[n++] = 0x38600000u | (u & 0xffffu); /* li r3, k */
    } else {
        /* lis sign-extends to 64 bits: the int comes back sign-extended as the ABIs want. */
        w[n++] = 0x3c600000u | (u >> 16);     /* lis r3, hi */
        w[n++] = 0x60630000u | (u & 0xffffu); /* ori r3, r3, lo */
    }
    w[n++] = PPC_BLR;
    return put(buf, cap, w, n, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint32_t w[] = {PPC_BLR}; /* the argument is already in r3 */
    return put(buf, cap, w, 1, len);
}

static int branch_word(uintptr_t at, uintptr_t target, uint32_t *w)
{
    /* intptr_t first: on ppc32 the unsigned difference wraps at 32 bits. */
    int64_t d = (int64_t)(intptr_t)(target - at);
    if ((d & 3) || d < -(int64_t)(1 << 25) || d >= (int64_t)(1 << 25))
        return 0;
    *w = 0x48000000u | ((uint32_t)d & 0x03fffffcu); /* b d */
    return 1;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                        size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    (void)at;
    uint64_t a = (uint64_t)target;
    /* r12: volatile in every PowerPC ABI, and ELFv2's global entry register. */
#if JIT_ARCH_BITS == 64
    uint32_t w[7] = {
        0x3d800000u | (uint32_t)((a >> 48) & 0xffffu), /* lis r12, a[63:48] */
        0x618c0000u | (uint32_t)((a >> 32) & 0xffffu), /* ori r12, r12, a[47:32] */
        0x798c07c6u,                                   /* sldi r12, r12, 32 */
        0x658c0000u | (uint32_t)((a >> 16) & 0xffffu), /* oris r12, r12, a[31:16] */
        0x618c0000u | (uint32_t)(a & 0xffffu),         /* ori r12, r12, a[15:0] */
        PPC_MTCTR_R12,
        PPC_BCTR,
    };
    return put(buf, cap, w, 7, len);
#else
    uint32_t w[4] = {
        0x3d800000u | (uint32_t)((a >> 16) & 0xffffu), /* lis r12, hi */
        0x618c0000u | (uint32_t)(a & 0xffffu),         /* ori r12, r12, lo */
        PPC_MTCTR_R12,
        PPC_BCTR,
    };
    return put(buf, cap, w, 4, len);
#endif
}

#if defined(JIT_ARCH_POWERPC64)
/* ELFv1: a function pointer is the address of {entry, TOC, environment}.
 * Generated code uses no TOC of its own; it gets the caller's. */
#define ARCH_CALLABLE 1
void *jit_code_callable(void *rx, struct jit_fdesc *d)
{
    uintptr_t toc;
    if (!d)
        return NULL;
    __asm__("mr %0, 2" : "=r"(toc));
    d->entry = (uintptr_t)rx;
    d->toc = toc;
    d->env = 0;
    /* Compilers do not see that a call through the result reads *d (they
     * drop such stores when inlined: docs/arches/powerpc64.md): return a
     * pointer laundered after the stores. */
    void *p = d;
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}
#endif

#endif /* JIT_CORE_ARCH_IMPL */
