/* arch_core.h (x86_64, i686): the i-cache is coherent with stores (also
 * across aliases: SMC detection is by physical address), so no flush is
 * needed. */
/* The core's one per-arch file (docs/porting.md). The facts section is
 * read by jit/config.h; src/arch.c includes the file again with
 * JIT_CORE_ARCH_IMPL defined for the implementation. */
#ifndef JIT_CORE_ARCH_FACTS
#define JIT_CORE_ARCH_FACTS
/* JIT_ARCH_LONG_JUMP_SIZE: bytes of the longest jump sequence the core emits
 * (reaches any address). JIT_ARCH_ENTRY_SIZE: that, rounded up to the entry
 * alignment; every allocation is at least this large, so any code can be
 * patched with a jump without touching its neighbour. */
#if defined(JIT_ARCH_X86_64)
#define JIT_ARCH_LONG_JUMP_SIZE 14 /* jmp [rip+0]; .quad target */
#define JIT_ARCH_ENTRY_SIZE 16
#else /* i686 */
#define JIT_ARCH_LONG_JUMP_SIZE 5 /* jmp rel32 reaches all of a 32-bit space */
#define JIT_ARCH_ENTRY_SIZE 8      /* patched as one aligned 8-byte word */
#endif
#endif

#ifdef JIT_CORE_ARCH_IMPL
#include <signal.h>
#include <string.h>

#include "../../src/arch_impl.h"

#define ARCH_ICACHE_COHERENT 1

static const struct jit_arch_info arch_info = {
    .name = JIT_ARCH_NAME,
    .trap_insn = 0xccccccccu, /* int3 */
    .trap_signal = SIGTRAP,
    .insn_align = 1,
    .branch_size = 5,
    .long_jump_size = JIT_ARCH_LONG_JUMP_SIZE,
    .entry_size = JIT_ARCH_ENTRY_SIZE,
#if defined(JIT_ARCH_X86_64)
    .branch_reach = 0x7fffffffu,
#else
    .branch_reach = 0xffffffffu,
#endif
};

enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size)
{
    (void)rw, (void)rx, (void)size;
    return JIT_OK;
}

const char *jit_arch_icache_method(void)
{
    return "none (x86 i-cache is coherent)";
}

enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len)
{
    if (!buf || !len || cap < 6)
        return JIT_ERR_INVALID_ARG;
    uint8_t *p = buf;
    p[0] = 0xb8; /* mov eax, imm32 */
    memcpy(p + 1, &k, 4);
    p[5] = 0xc3; /* ret */
    *len = 6;
    return JIT_OK;
}

enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len)
{
#if defined(JIT_ARCH_X86_64)
    static const uint8_t code[] = {0x89, 0xf8, 0xc3}; /* mov eax, edi; ret */
#else
    static const uint8_t code[] = {0x8b, 0x44, 0x24, 0x04, 0xc3}; /* mov eax, [esp+4]; ret */
#endif
    if (!buf || !len || cap < sizeof code)
        return JIT_ERR_INVALID_ARG;
    memcpy(buf, code, sizeof code);
    *len = sizeof code;
    return JIT_OK;
}

static int rel32(uintptr_t at, uintptr_t target, int32_t *out)
{
#if defined(JIT_ARCH_X86_64)
    int64_t d = (int64_t)(target - (at + 5));
    if (d < INT32_MIN || d > INT32_MAX)
        return 0;
    *out = (int32_t)d;
#else
    *out = (int32_t)(uint32_t)(target - (at + 5)); /* wraps: everything is in reach */
#endif
    return 1;
}

enum jit_err jit_emit_branch(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    int32_t d;
    if (!buf || !len || cap < 5)
        return JIT_ERR_INVALID_ARG;
    if (!rel32(at, target, &d))
        return JIT_ERR_OUT_OF_RANGE;
    uint8_t *p = buf;
    p[0] = 0xe9; /* jmp rel32 */
    memcpy(p + 1, &d, 4);
    *len = 5;
    return JIT_OK;
}

enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target,
                                        size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
#if defined(JIT_ARCH_X86_64)
    (void)at;
    if (cap < 14)
        return JIT_ERR_INVALID_ARG;
    uint8_t *p = buf;
    static const uint8_t jmp_mem[] = {0xff, 0x25, 0, 0, 0, 0}; /* jmp [rip+0] */
    uint64_t t = target;
    memcpy(p, jmp_mem, 6);
    memcpy(p + 6, &t, 8);
    *len = 14;
    return JIT_OK;
#else
    return jit_emit_branch(buf, cap, at, target, len);
#endif
}

/* The entry is 8-byte aligned; the 5-byte jmp goes in as one 8-byte store
 * (padded with int3), so a concurrent instruction fetch sees old or new. */
static enum jit_err branch_word(uintptr_t at, uintptr_t target, uint64_t *w)
{
    uint8_t b[8];
    size_t len;
    if ((at & 7u) != 0)
        return JIT_ERR_INVALID_ARG;
    enum jit_err e = jit_emit_branch(b, sizeof b, at, target, &len);
    if (e != JIT_OK)
        return e;
    memset(b + 5, 0xcc, 3);
    memcpy(w, b, 8);
    return JIT_OK;
}

enum jit_err jit_arch_patch_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint64_t w;
    enum jit_err e = branch_word(at, target, &w);
    if (e != JIT_OK)
        return e;
#if defined(JIT_ARCH_X86_64)
    __atomic_store_n((uint64_t *)rw, w, __ATOMIC_SEQ_CST);
#else
    /* cmpxchg8b: an atomic 8-byte store without libatomic. */
    uint64_t old = *(volatile uint64_t *)rw;
    while (!__sync_bool_compare_and_swap((uint64_t *)rw, old, w))
        old = *(volatile uint64_t *)rw;
#endif
    return JIT_OK;
}

enum jit_err jit_arch_init_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint64_t w;
    enum jit_err e = branch_word(at, target, &w);
    if (e == JIT_OK)
        memcpy(rw, &w, 8);
    return e;
}

/* The slot swap: x86's exchange is always one (implicitly locked) xchg. */
#define ARCH_SLOT_SWAP 1
enum jit_swap_path jit_arch_slot_swap_auto(void)
{
    return JIT_SWAP_XCHG;
}

enum jit_err jit_arch_slot_swap(void **slot, void *value, enum jit_swap_path path, void **old_out)
{
    if (path != JIT_SWAP_XCHG)
        return JIT_ERR_UNSUPPORTED;
    void *old = value;
    __asm__ volatile("xchg %0, %1" : "+r"(old), "+m"(*slot) : : "memory");
    *old_out = old;
    return JIT_OK;
}

#endif /* JIT_CORE_ARCH_IMPL */
