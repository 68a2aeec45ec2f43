/* arch_cpu.h (aarch64): CPU features from getauxval(AT_HWCAP), the kernel's
 * view of ID_AA64*_EL1 (also what qemu-user reports for its -cpu model).
 * Included by src/cpu.c only. The bit numbers are the kernel's uapi
 * (arch/arm64/include/uapi/asm/hwcap.h), spelled out here so an old sysroot
 * without them still builds. */
#ifndef JIT_ARCH_AARCH64_CPU_H
#define JIT_ARCH_AARCH64_CPU_H

#include <sys/auxv.h>

#define ARCH_HWCAP_FP (1ul << 0)
#define ARCH_HWCAP_ASIMD (1ul << 1)
#define ARCH_HWCAP_AES (1ul << 3)
#define ARCH_HWCAP_SHA2 (1ul << 6)
#define ARCH_HWCAP_CRC32 (1ul << 7)
#define ARCH_HWCAP_ATOMICS (1ul << 8)
#define ARCH_HWCAP_LRCPC (1ul << 15)
#define ARCH_HWCAP_SVE (1ul << 22)

#define ARCH_CPU_KNOWN                                                                             \
    (JIT_CPU_BIT(JIT_CPU_FP) | JIT_CPU_BIT(JIT_CPU_ASIMD) | JIT_CPU_BIT(JIT_CPU_ATOMICS) |         \
     JIT_CPU_BIT(JIT_CPU_CRC32) | JIT_CPU_BIT(JIT_CPU_SHA2) | JIT_CPU_BIT(JIT_CPU_AES) |           \
     JIT_CPU_BIT(JIT_CPU_LRCPC) | JIT_CPU_BIT(JIT_CPU_SVE))
#define ARCH_CPU_METHOD "getauxval(AT_HWCAP)"

#if defined(__ARM_FP)
#define ARCH_CPU_B_FP JIT_CPU_BIT(JIT_CPU_FP)
#else
#define ARCH_CPU_B_FP 0
#endif
#if defined(__ARM_NEON)
#define ARCH_CPU_B_ASIMD JIT_CPU_BIT(JIT_CPU_ASIMD)
#else
#define ARCH_CPU_B_ASIMD 0
#endif
#if defined(__ARM_FEATURE_ATOMICS)
#define ARCH_CPU_B_ATOMICS JIT_CPU_BIT(JIT_CPU_ATOMICS)
#else
#define ARCH_CPU_B_ATOMICS 0
#endif
#if defined(__ARM_FEATURE_CRC32)
#define ARCH_CPU_B_CRC32 JIT_CPU_BIT(JIT_CPU_CRC32)
#else
#define ARCH_CPU_B_CRC32 0
#endif
#if defined(__ARM_FEATURE_SHA2)
#define ARCH_CPU_B_SHA2 JIT_CPU_BIT(JIT_CPU_SHA2)
#else
#define ARCH_CPU_B_SHA2 0
#endif
#if defined(__ARM_FEATURE_AES)
#define ARCH_CPU_B_AES JIT_CPU_BIT(JIT_CPU_AES)
#else
#define ARCH_CPU_B_AES 0
#endif
#if defined(__ARM_FEATURE_RCPC)
#define ARCH_CPU_B_LRCPC JIT_CPU_BIT(JIT_CPU_LRCPC)
#else
#define ARCH_CPU_B_LRCPC 0
#endif
#if defined(__ARM_FEATURE_SVE)
#define ARCH_CPU_B_SVE JIT_CPU_BIT(JIT_CPU_SVE)
#else
#define ARCH_CPU_B_SVE 0
#endif
#define ARCH_CPU_BUILT_FOR                                                                         \
    (ARCH_CPU_B_FP | ARCH_CPU_B_ASIMD | ARCH_CPU_B_ATOMICS | ARCH_CPU_B_CRC32 | ARCH_CPU_B_SHA2 |  \
     ARCH_CPU_B_AES | ARCH_CPU_B_LRCPC | ARCH_CPU_B_SVE)

static jit_cpu_set arch_cpu_detect(void)
{
    unsigned long hw = getauxval(AT_HWCAP);
    jit_cpu_set s = 0;
    if (hw & ARCH_HWCAP_FP)
        s |= JIT_CPU_BIT(JIT_CPU_FP);
    if (hw & ARCH_HWCAP_ASIMD)
        s |= JIT_CPU_BIT(JIT_CPU_ASIMD);
    if (hw & ARCH_HWCAP_ATOMICS)
        s |= JIT_CPU_BIT(JIT_CPU_ATOMICS);
    if (hw & ARCH_HWCAP_CRC32)
        s |= JIT_CPU_BIT(JIT_CPU_CRC32);
    if (hw & ARCH_HWCAP_SHA2)
        s |= JIT_CPU_BIT(JIT_CPU_SHA2);
    if (hw & ARCH_HWCAP_AES)
        s |= JIT_CPU_BIT(JIT_CPU_AES);
    if (hw & ARCH_HWCAP_LRCPC)
        s |= JIT_CPU_BIT(JIT_CPU_LRCPC);
    if (hw & ARCH_HWCAP_SVE)
        s |= JIT_CPU_BIT(JIT_CPU_SVE);
    return s;
}

#endif
