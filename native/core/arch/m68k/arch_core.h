/* arch_core.h (m68k): 68020 and up (Debian's baseline), 32-bit,
 * big-endian, variable-length instructions of 16-bit units, all arguments
 * on the stack, results in %d0. The i-cache is flushed with the cacheflush
 * syscall (both caches, line scope) on both aliases. The patched direct
 * branch is `nop; bra.l disp32` with the displacement 4-byte aligned, so one
 * aligned 32-bit store retargets it (as mips changes only its j word). The
 * trap fill is `illegal` (0x4afc, SIGILL, PC at the instruction); GCC's
 * __builtin_trap is `trap #7` (SIGILL, PC after it). */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* JIT_ARCH_LONG_JUMP_SIZE: bytes of the longest jump sequence the core emits
 * (reaches any address). JIT_ARCH_ENTRY_SIZE: that, rounded up to the entry
 * alignment; every allocation is at least this large, so any code can be
 * patched with a jump without touching its neighbour. */
#define JIT_ARCH_LONG_JUMP_SIZE 6 /* jmp (target).l */
#define JIT_ARCH_ENTRY_SIZE 8     /* nop; bra.l disp32 (the patched entry) */
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
#define M68K_FLUSH_SCOPE_LINE 1 /* <asm/cachectl.h> */
#define M68K_FLUSH_CACHE_BOTH 3

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = 0x4afc4afcu, /* illegal, illegal */
    .trap_signal = SIGILL,
    .insn_align = 2,
    .branch_size = 8,           /* nop; bra.l disp32 */
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = 0xffffffffu, /* disp32 wraps: the whole 32-bit space */
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    /* cacheflush(addr, scope, cache, len): writes back the data cache and
     * invalidates the instruction cache (68040/060 caches are physical, but
     * the lines are looked up through the given virtual address). */
    if (rw != rx &&
        syscall(__NR_cacheflush, rw, M68K_FLUSH_SCOPE_LINE, M68K_FLUSH_CACHE_BOTH, size) != 0)
        return JIT_ERR_SYSTEM;
    if (syscall(__NR_cacheflush, rx, M68K_FLUSH_SCOPE_LINE, M68K_FLUSH_CACHE_BOTH, size) != 0)
        return JIT_ERR_SYSTEM;
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "cacheflush syscall (line scope, both caches)";
}

static enum jit_err put_bytes(void *buf, size_t cap, const uint8_t *b, size_t n, size_t *len)
{
    if (!buf || !len || cap < n)
        return JIT_ERR_INVALID_ARG;
    memcpy(buf, b, n);
    *len = n;
    return JIT_OK;
}

#define M68K_RTS 0x4e, 0x75
#define M68K_BE32(u) (uint8_t)((u) >> 24), (uint8_t)((u) >> 16), (uint8_t)((u) >> 8), (uint8_t)(u)

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k;
    const uint8_t b[] = {0x20, 0x3c, M68K_BE32(u), M68K_RTS}; /* move.l #k, %d0; rts */
    return put_bytes(buf, cap, b, sizeof b, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    static const uint8_t b[] = {0x20, 0x2f, 0x00, 0x04, M68K_RTS}; /* move.l 4(%sp), %d0; rts */
    return put_bytes(buf, cap, b, sizeof b, len);
}

/* bra.l at `at`: the displacement counts from at + 2 (its own extension word). */
static uint32_t bra_disp(uintptr_t at, uintptr_t target)
{
    return (uint32_t)(target - (at + 2));
}

enum jit_err jit_emit_branch(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    if ((at | target) & 1u)
        return JIT_ERR_OUT_OF_RANGE;
    uint32_t d = bra_disp(at, target);
    const uint8_t b[] = {0x60, 0xff, M68K_BE32(d)}; /* bra.l target */
    return put_bytes(buf, cap, b, sizeof b, len);
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                        size_t *len)
{
    (void)at;
    uint32_t t = (uint32_t)target;
    const uint8_t b[] = {0x4e, 0xf9, M68K_BE32(t)}; /* jmp (target).l */
    return put_bytes(buf, cap, b, sizeof b, len);
}

/* The entry (4-byte aligned): nop at +0, bra.l at +2, its displacement at
 * +4, aligned, so a patch is one aligned 32-bit store. */
static enum jit_err entry_disp(uintptr_t at, uintptr_t target, uint32_t *d)
{
    if ((at & 3u) != 0)
        return JIT_ERR_INVALID_ARG;
    if (target & 1u)
        return JIT_ERR_OUT_OF_RANGE;
    *d = bra_disp(at + 2, target);
    return JIT_OK;
}

enum jit_err jit_arch_patch_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint32_t d;
    enum jit_err e = entry_disp(at, target, &d);
    if (e == JIT_OK)
        __atomic_store_n((uint32_t *)((uint8_t *)rw + 4), d, __ATOMIC_SEQ_CST); /* big-endian host */
    return e;
}

enum jit_err jit_arch_init_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint32_t d;
    enum jit_err e = entry_disp(at, target, &d);
    if (e == JIT_OK) {
        const uint8_t b[8] = {0x4e, 0x71, 0x60, 0xff, M68K_BE32(d)}; /* nop; bra.l */
        memcpy(rw, b, 8);
    }
    return e;
}

#endif /* JIT_CORE_ARCH_IMPL */
