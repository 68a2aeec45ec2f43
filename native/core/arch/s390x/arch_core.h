/* arch_core.h (s390x): z/Architecture, 64-bit, big-endian, instructions of
 * 2, 4 or 6 bytes aligned to 2. The i-cache is coherent with stores (the
 * architecture guarantees it, also across virtual aliases), so no flush is
 * needed; jit_icache_flush still calls the test hook. The direct branch is
 * brcl 15 (6 bytes, +-4 GiB), written inside an 8-byte aligned word so one
 * 8-byte store retargets it. The trap fill is 0x0001, an invalid 2-byte
 * opcode (SIGILL; the kernel reports the PC AFTER it, i.e. trap + 2). */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* JIT_ARCH_LONG_JUMP_SIZE: bytes of the longest jump sequence the core emits
 * (reaches any address). JIT_ARCH_ENTRY_SIZE: that, rounded up to the entry
 * alignment; every allocation is at least this large, so any code can be
 * patched with a jump without touching its neighbour. */
#define JIT_ARCH_LONG_JUMP_SIZE 18 /* basr r1,0; lg r1,8(r1); br r1; .quad target */
#define JIT_ARCH_ENTRY_SIZE 24
#endif

#ifdef JIT_CORE_ARCH_IMPL
#include <signal.h>
#include <string.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 1

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = 0x00010001u, /* two 0x0001 halfwords: invalid opcode, SIGILL */
    .trap_signal = SIGILL,
    .insn_align = 2,
    .branch_size = 6, /* brcl 15 (patched as one aligned 8-byte word) */
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
    .branch_reach = (uint64_t)1 << 32, /* signed 32-bit halfword offset */
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    (void)rw, (void)rx, (void)size;
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "none (s390x i-cache is coherent)";
}

static enum jit_err put_bytes(void *buf, size_t cap, const uint8_t *b, size_t n, size_t *len)
{
    if (!buf || !len || cap < n)
        return JIT_ERR_INVALID_ARG;
    memcpy(buf, b, n);
    *len = n;
    return JIT_OK;
}

#define S390_BR_R14 0x07, 0xfe /* bcr 15, %r14 */

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    uint32_t u = (uint32_t)k;
    /* lgfi %r2, k (sign-extended, as the ABI wants an int return); br %r14 */
    const uint8_t b[] = {0xc0, 0x21, (uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8),
                         (uint8_t)u, S390_BR_R14};
    return put_bytes(buf, cap, b, sizeof b, len);
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
    /* The argument is already in %r2, sign-extended by the caller. */
    static const uint8_t b[] = {S390_BR_R14};
    return put_bytes(buf, cap, b, sizeof b, len);
}

/* brcl 15, target: the offset counts halfwords from the instruction itself. */
static int brcl(uintptr_t at, uintptr_t target, uint8_t b[6])
{
    int64_t d = (int64_t)(target - at);
    if ((d & 1) || (at & 1) || d < -((int64_t)1 << 32) || d >= ((int64_t)1 << 32))
        return 0;
    uint32_t h = (uint32_t)(d >> 1);
    b[0] = 0xc0;
    b[1] = 0xf4;
    b[2] = (uint8_t)(h >> 24);
    b[3] = (uint8_t)(h >> 16);
    b[4] = (uint8_t)(h >> 8);
    b[5] = (uint8_t)h;
    return 1;
}

enum jit_err jit_emit_branch(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    uint8_t b[6];
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    if (!brcl(at, target, b))
        return JIT_ERR_OUT_OF_RANGE;
    return put_bytes(buf, cap, b, sizeof b, len);
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                        size_t *len)
{
    (void)at;
    uint64_t t = (uint64_t)target;
    /* basr %r1,0 (r1 = at+2); lg %r1,8(%r1) (the literal at at+10); br %r1.
     * No alignment needed (lgrl would want an 8-aligned literal); r1 is a
     * scratch register in the ELF ABI (PLT stubs use it the same way). */
    const uint8_t b[18] = {0x0d, 0x10, 0xe3, 0x10, 0x10, 0x08, 0x00, 0x04, 0x07, 0xf1,
                           (uint8_t)(t >> 56), (uint8_t)(t >> 48), (uint8_t)(t >> 40),
                           (uint8_t)(t >> 32), (uint8_t)(t >> 24), (uint8_t)(t >> 16),
                           (uint8_t)(t >> 8), (uint8_t)t};
    return put_bytes(buf, cap, b, sizeof b, len);
}

/* The entry is 8-byte aligned: brcl plus a 0x0001 trap halfword as one
 * big-endian doubleword, so one aligned 8-byte store (block-concurrent on
 * z/Architecture) makes a concurrent fetch see the old or the new branch. */
static enum jit_err branch_dword(uintptr_t at, uintptr_t target, uint64_t *w)
{
    uint8_t b[8];
    if ((at & 7u) != 0)
        return JIT_ERR_INVALID_ARG;
    if (!brcl(at, target, b))
        return JIT_ERR_OUT_OF_RANGE;
    b[6] = 0x00;
    b[7] = 0x01;
    memcpy(w, b, 8);
    return JIT_OK;
}

enum jit_err jit_arch_patch_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint64_t w;
    enum jit_err e = branch_dword(at, target, &w);
    if (e == JIT_OK)
        __atomic_store_n((uint64_t *)rw, w, __ATOMIC_SEQ_CST);
    return e;
}

enum jit_err jit_arch_init_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint64_t w;
    enum jit_err e = branch_dword(at, target, &w);
    if (e == JIT_OK)
        memcpy(rw, &w, 8);
    return e;
}

#endif /* JIT_CORE_ARCH_IMPL */
