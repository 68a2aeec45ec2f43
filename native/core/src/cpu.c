/* cpu.c: the arch-independent part of jit/cpu.h around one per-arch file
 * arch/<dir>/arch_cpu.h, picked by the #if/#elif chain below. Each provides
 *   ARCH_CPU_KNOWN       the jit_cpu_set it can detect
 *   ARCH_CPU_METHOD      how, as text
 *   ARCH_CPU_BUILT_FOR   the jit_cpu_set the compiler's macros promise
 *   arch_cpu_detect()    the detected jit_cpu_set (called once)
 * and optionally ARCH_CPU_ISA_STATE. Arches without a file detect nothing. */
#include "jit/cpu.h"

#include <pthread.h>
#include <string.h>

#include "jit/config_cpu.h"

#if defined(JIT_ARCH_X86_64) || defined(JIT_ARCH_I686)
#include "../arch/x86/arch_cpu.h"
#elif defined(JIT_ARCH_AARCH64)
#include "../arch/aarch64/arch_cpu.h"
#elif defined(JIT_ARCH_ARM)
#include "../arch/arm/arch_cpu.h"
#elif defined(JIT_ARCH_RISCV64)
#include "../arch/riscv64/arch_cpu.h"
#else
#define ARCH_CPU_KNOWN ((jit_cpu_set)0)
#define ARCH_CPU_METHOD "none"
#define ARCH_CPU_BUILT_FOR ((jit_cpu_set)0)
#define ARCH_CPU_NOTE "no run-time feature detection on " JIT_ARCH_NAME
static jit_cpu_set arch_cpu_detect(void)
{
    return 0;
}
#endif

#ifndef ARCH_CPU_NOTE
#define ARCH_CPU_NOTE NULL
#endif
#ifndef ARCH_CPU_ISA_STATE
#define ARCH_CPU_ISA_STATE NULL
#endif

static const char *const names[JIT_CPU_FEATURE_COUNT] = {
    [JIT_CPU_SSE2] = "sse2",     [JIT_CPU_SSE4_2] = "sse4_2", [JIT_CPU_AVX] = "avx",
    [JIT_CPU_AVX2] = "avx2",     [JIT_CPU_BMI1] = "bmi1",     [JIT_CPU_BMI2] = "bmi2",
    [JIT_CPU_FMA] = "fma",       [JIT_CPU_AVX512F] = "avx512f",
    [JIT_CPU_FP] = "fp",         [JIT_CPU_ASIMD] = "asimd",   [JIT_CPU_ATOMICS] = "atomics",
    [JIT_CPU_CRC32] = "crc32",   [JIT_CPU_SHA2] = "sha2",     [JIT_CPU_AES] = "aes",
    [JIT_CPU_LRCPC] = "lrcpc",   [JIT_CPU_SVE] = "sve",
    [JIT_CPU_VFP] = "vfp",       [JIT_CPU_VFPV3] = "vfpv3",   [JIT_CPU_VFPV4] = "vfpv4",
    [JIT_CPU_NEON] = "neon",     [JIT_CPU_IDIVA] = "idiva",   [JIT_CPU_IDIVT] = "idivt",
    [JIT_CPU_THUMB] = "thumb",
    [JIT_CPU_RV_I] = "i",        [JIT_CPU_RV_M] = "m",        [JIT_CPU_RV_A] = "a",
    [JIT_CPU_RV_F] = "f",        [JIT_CPU_RV_D] = "d",        [JIT_CPU_RV_C] = "c",
    [JIT_CPU_RV_V] = "v",        [JIT_CPU_RV_ZBA] = "zba",    [JIT_CPU_RV_ZBB] = "zbb",
};

static struct jit_cpu_info info;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void detect_once(void)
{
    info.arch = JIT_ARCH_NAME;
    info.known = ARCH_CPU_KNOWN;
    info.detected = arch_cpu_detect() & ARCH_CPU_KNOWN;
    info.built_for = ARCH_CPU_BUILT_FOR;
    info.method = ARCH_CPU_METHOD;
    info.note = ARCH_CPU_NOTE;
    info.isa_state = ARCH_CPU_ISA_STATE;
}

const struct jit_cpu_info *jit_cpu(void)
{
    pthread_once(&once, detect_once);
    return &info;
}

int jit_cpu_has(enum jit_cpu_feature feature)
{
    if ((unsigned)feature >= JIT_CPU_FEATURE_COUNT)
        return 0;
    return (jit_cpu()->detected & JIT_CPU_BIT(feature)) != 0;
}

const char *jit_cpu_feature_name(enum jit_cpu_feature feature)
{
    return (unsigned)feature < JIT_CPU_FEATURE_COUNT ? names[feature] : "?";
}

enum jit_err jit_cpu_feature_lookup(const char *name, enum jit_cpu_feature *out)
{
    if (!name || !out)
        return JIT_ERR_INVALID_ARG;
    for (unsigned f = 0; f < JIT_CPU_FEATURE_COUNT; f++) {
        if ((ARCH_CPU_KNOWN & JIT_CPU_BIT(f)) && strcmp(names[f], name) == 0) {
            *out = (enum jit_cpu_feature)f;
            return JIT_OK;
        }
    }
    return JIT_ERR_UNSUPPORTED;
}
