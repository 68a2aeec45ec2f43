/* cpu.h: the CPU features the running machine has (detected at run time) and
 * the ones this build assumes (the compiler's target macros, "built for").
 *
 * Feature names are the Linux /proc/cpuinfo flag names of each arch, so a
 * matrix.yaml variant's `needs: [avx2]` reads the same as cpuinfo:
 *   x86_64, i686  sse2 sse4_2 avx avx2 bmi1 bmi2 fma avx512f
 *                 (cpuid; avx, avx2, fma and avx512f also need the OS to save
 *                 the registers: XGETBV/XCR0)
 *   aarch64       fp asimd atomics crc32 sha2 aes lrcpc sve  (getauxval(AT_HWCAP))
 *   arm           vfp vfpv3 vfpv4 neon idiva idivt thumb      (getauxval(AT_HWCAP))
 *   riscv64       i m a f d c (AT_HWCAP letter bits) and v zba zbb (AT_HWCAP
 *                 letter bit for v, else a SIGILL probe: qemu-user 7.2 leaves
 *                 V out of HWCAP, and Linux has no HWCAP bit for Zba/Zbb)
 *   any other     nothing: jit_cpu()->note says "no run-time feature
 *                 detection on <arch>"
 * Detection runs once (first call, thread-safe) and never aborts: a riscv64
 * probe executes one instruction under a temporary SIGILL handler, which is
 * restored before jit_cpu() returns (do the first call before installing a
 * SIGILL handler of your own in another thread). */
#ifndef JIT_CPU_H
#define JIT_CPU_H

#include <stdint.h>

#include "jit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One flat list over all arches; a feature belongs to exactly one family. */
enum jit_cpu_feature {
    /* x86_64, i686 */
    JIT_CPU_SSE2,
    JIT_CPU_SSE4_2,
    JIT_CPU_AVX,
    JIT_CPU_AVX2,
    JIT_CPU_BMI1,
    JIT_CPU_BMI2,
    JIT_CPU_FMA,
    JIT_CPU_AVX512F,
    /* aarch64 */
    JIT_CPU_FP,
    JIT_CPU_ASIMD,
    JIT_CPU_ATOMICS, /* LSE: ARMv8.1 atomics (swp, cas, ldadd, ...) */
    JIT_CPU_CRC32,
    JIT_CPU_SHA2,
    JIT_CPU_AES,
    JIT_CPU_LRCPC,
    JIT_CPU_SVE,
    /* arm */
    JIT_CPU_VFP,
    JIT_CPU_VFPV3,
    JIT_CPU_VFPV4,
    JIT_CPU_NEON,
    JIT_CPU_IDIVA, /* sdiv/udiv in ARM state */
    JIT_CPU_IDIVT, /* sdiv/udiv in Thumb state */
    JIT_CPU_THUMB,
    /* riscv64 */
    JIT_CPU_RV_I,
    JIT_CPU_RV_M,
    JIT_CPU_RV_A,
    JIT_CPU_RV_F,
    JIT_CPU_RV_D,
    JIT_CPU_RV_C,
    JIT_CPU_RV_V,
    JIT_CPU_RV_ZBA,
    JIT_CPU_RV_ZBB,
    JIT_CPU_FEATURE_COUNT
};

/* A set of features: bit (1 << feature). */
typedef uint64_t jit_cpu_set;
#define JIT_CPU_BIT(f) ((jit_cpu_set)1 << (f))

struct jit_cpu_info {
    const char *arch;       /* JIT_ARCH_NAME */
    jit_cpu_set known;      /* what this arch can detect (0: no detection here) */
    jit_cpu_set detected;   /* what the running CPU (and kernel) offers */
    jit_cpu_set built_for;  /* what the compiler was allowed to assume (-march, -mfpu, ...) */
    const char *method;     /* how detection works here, e.g. "cpuid + xgetbv" */
    const char *note;       /* NULL, or why nothing is detected */
    const char *isa_state;  /* arm: "thumb-2" or "arm" (the state the build runs in); else NULL */
};

/* The running machine (detected on the first call). Never NULL. */
const struct jit_cpu_info *jit_cpu(void);

/* 1 when the running CPU has the feature (0 for another arch's feature). */
int jit_cpu_has(enum jit_cpu_feature feature);

/* The cpuinfo name of a feature ("avx2", "atomics", "zba"); "?" if out of range. */
const char *jit_cpu_feature_name(enum jit_cpu_feature feature);

/* The feature called `name` on THIS arch (exact, lower case). JIT_ERR_INVALID_ARG
 * for NULL arguments, JIT_ERR_UNSUPPORTED for a name this arch does not know
 * (a typo, or another arch's feature). */
enum jit_err jit_cpu_feature_lookup(const char *name, enum jit_cpu_feature *out);

#ifdef __cplusplus
}
#endif
#endif
