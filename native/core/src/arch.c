/* arch.c: the core's arch-independent part of jit/arch.h, around the one
 * per-arch file arch/<JIT_ARCH_DIR>/arch_core.h. */
#include <string.h>

#include "jit/config_cpu.h"
#include "jit/arch.h"

/* Shared by the fixed-width arch files: copy n instruction words out. */
__attribute__((unused)) static enum jit_err put(void *buf, size_t cap, const uint32_t *w, size_t n, size_t *len)
{
    if (!buf || !len || cap < n * 4)
        return JIT_ERR_INVALID_ARG;
    memcpy(buf, w, n * 4);
    *len = n * 4;
    return JIT_OK;
}

/* The arch/<dir>/ of this build (JIT_ARCH_DIR, on the include path through
 * native/cmake/jit_arch.cmake), now with its implementation section. */
#define JIT_CORE_ARCH_IMPL 1
#include "arch_core.h"

#if defined(ARCH_ONE_WORD_BRANCH)
/* Arches whose direct branch is one aligned 32-bit word (aarch64 b, arm b,
 * riscv jal): one aligned store retargets it atomically, and these are
 * instructions the architectures allow to be modified concurrently. */
enum jit_err jit_emit_branch(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    uint32_t w;
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    if (!branch_word(at, target, &w))
        return JIT_ERR_OUT_OF_RANGE;
    return put(buf, cap, &w, 1, len);
}

enum jit_err jit_arch_patch_branch(void *rw, uintptr_t at, uintptr_t target)
{
    uint32_t w;
    if ((at & 3u) != 0)
        return JIT_ERR_INVALID_ARG;
    if (!branch_word(at, target, &w))
        return JIT_ERR_OUT_OF_RANGE;
    __atomic_store_n((uint32_t *)rw, w, __ATOMIC_SEQ_CST);
    return JIT_OK;
}

enum jit_err jit_arch_init_branch(void *rw, uintptr_t at, uintptr_t target)
{
    return jit_arch_patch_branch(rw, at, target);
}
#endif

#if !defined(ARCH_CALLABLE)
/* Function pointers are code addresses (every ABI but ELFv1). */
void *jit_code_callable(void *rx, struct jit_fdesc *d)
{
    (void)d;
    return rx;
}
#endif

#if !defined(ARCH_SLOT_SWAP)
/* The compiler's exchange: ll/sc, amoswap, cas loop or a libgcc helper,
 * whatever it lowers __atomic_exchange_n of a word to on this arch. */
enum jit_swap_path jit_arch_slot_swap_auto(void)
{
    return JIT_SWAP_BUILTIN;
}

enum jit_err jit_arch_slot_swap(void **slot, void *value, enum jit_swap_path path, void **old_out)
{
    if (path != JIT_SWAP_BUILTIN)
        return JIT_ERR_UNSUPPORTED;
    *old_out = __atomic_exchange_n(slot, value, __ATOMIC_SEQ_CST);
    return JIT_OK;
}
#endif

/* Shared helpers built on the arch file's facts. */
const struct jit_arch_info *jit_arch(void)
{
    return &arch_info;
}

void jit_arch_trap_fill(void *buf, size_t size)
{
    uint8_t *p = buf;
    uint32_t w = arch_info.trap_insn;
    size_t i = 0;
    /* One repeated byte (x86 0xcc, aarch64 0x00): memset, the C library's
     * fastest store loop (a freed range is usually cold memory). */
    if (w == (w & 0xffu) * 0x01010101u) {
        memset(p, (int)(w & 0xffu), size);
        return;
    }
    /* Whole words where aligned; a leftover prefix/suffix gets the word's bytes. */
    while (i < size && ((uintptr_t)(p + i) & 3u) != 0) {
        p[i] = ((const uint8_t *)&w)[(uintptr_t)(p + i) & 3u];
        i++;
    }
    for (; i + 4 <= size; i += 4)
        memcpy(p + i, &w, 4);
    for (size_t j = 0; i < size; i++, j++)
        p[i] = ((const uint8_t *)&w)[j];
}

int jit_has_feature(enum jit_feature feature)
{
    switch (feature) {
    case JIT_FEATURE_ICACHE_COHERENT:
        return ARCH_ICACHE_COHERENT;
    case JIT_FEATURE_DIRECT_BRANCH:
        return 1;
    }
    return 0;
}

enum jit_err jit_emit_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    enum jit_err e = jit_emit_branch(buf, cap, at, target, len);
    if (e != JIT_ERR_OUT_OF_RANGE)
        return e;
    return jit_emit_long_jump(buf, cap, at, target, len);
}
