/* arch.c: picks the one architecture file for this build. */
#include <string.h>

#include "jit/config_cpu.h"

#if defined(JIT_ARCH_X86_64) || defined(JIT_ARCH_X86_32)
#include "../arch/x86/x86.c"
#elif defined(JIT_ARCH_AARCH64)
#include "../arch/aarch64/aarch64.c"
#elif defined(JIT_ARCH_ARM)
#include "../arch/arm/arm.c"
#elif defined(JIT_ARCH_RISCV64)
#include "../arch/riscv64/riscv64.c"
#elif defined(JIT_ARCH_MIPS32) || defined(JIT_ARCH_MIPS64)
#include "../arch/mips/mips.c"
#else
#error "no arch file for this JIT_ARCH_*"
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
