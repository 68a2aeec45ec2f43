/* arch_cpu.h (arm): CPU features from getauxval(AT_HWCAP) (kernel uapi
 * arch/arm/include/uapi/asm/hwcap.h bits, spelled out here). Included by
 * src/cpu.c only. "built for" reads the compiler's ACLE macros: __ARM_NEON,
 * __ARM_FP (bit 3: double precision, i.e. VFPv3 or later on ARMv7),
 * __ARM_FEATURE_FMA (VFPv4), __ARM_FEATURE_IDIV (sdiv in the state the code
 * is built for: idivt in Thumb state, idiva in ARM state), and __thumb__
 * (code in Thumb state needs the thumb feature). */
#ifndef JIT_ARCH_ARM_CPU_H
#define JIT_ARCH_ARM_CPU_H

#include <sys/auxv.h>

#define ARCH_HWCAP_THUMB (1ul << 2)
#define ARCH_HWCAP_VFP (1ul << 6)
#define ARCH_HWCAP_NEON (1ul << 12)
#define ARCH_HWCAP_VFPV3 (1ul << 13)
#define ARCH_HWCAP_VFPV4 (1ul << 16)
#define ARCH_HWCAP_IDIVA (1ul << 17)
#define ARCH_HWCAP_IDIVT (1ul << 18)

#define ARCH_CPU_KNOWN                                                                             \
    (JIT_CPU_BIT(JIT_CPU_VFP) | JIT_CPU_BIT(JIT_CPU_VFPV3) | JIT_CPU_BIT(JIT_CPU_VFPV4) |          \
     JIT_CPU_BIT(JIT_CPU_NEON) | JIT_CPU_BIT(JIT_CPU_IDIVA) | JIT_CPU_BIT(JIT_CPU_IDIVT) |         \
     JIT_CPU_BIT(JIT_CPU_THUMB))
#define ARCH_CPU_METHOD "getauxval(AT_HWCAP)"

#if defined(__ARM_FP) && __ARM_FP
#define ARCH_CPU_B_VFP JIT_CPU_BIT(JIT_CPU_VFP)
#else
#define ARCH_CPU_B_VFP 0
#endif
#if defined(__ARM_FP) && (__ARM_FP & 8) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
#define ARCH_CPU_B_VFPV3 JIT_CPU_BIT(JIT_CPU_VFPV3)
#else
#define ARCH_CPU_B_VFPV3 0
#endif
#if defined(__ARM_FP) && defined(__ARM_FEATURE_FMA)
#define ARCH_CPU_B_VFPV4 JIT_CPU_BIT(JIT_CPU_VFPV4)
#else
#define ARCH_CPU_B_VFPV4 0
#endif
#if defined(__ARM_NEON)
#define ARCH_CPU_B_NEON JIT_CPU_BIT(JIT_CPU_NEON)
#else
#define ARCH_CPU_B_NEON 0
#endif
#if defined(__ARM_FEATURE_IDIV) && defined(__thumb__)
#define ARCH_CPU_B_IDIV JIT_CPU_BIT(JIT_CPU_IDIVT)
#elif defined(__ARM_FEATURE_IDIV)
#define ARCH_CPU_B_IDIV JIT_CPU_BIT(JIT_CPU_IDIVA)
#else
#define ARCH_CPU_B_IDIV 0
#endif
#if defined(__thumb__)
#define ARCH_CPU_B_THUMB JIT_CPU_BIT(JIT_CPU_THUMB)
#else
#define ARCH_CPU_B_THUMB 0
#endif
#define ARCH_CPU_BUILT_FOR                                                                         \
    (ARCH_CPU_B_VFP | ARCH_CPU_B_VFPV3 | ARCH_CPU_B_VFPV4 | ARCH_CPU_B_NEON | ARCH_CPU_B_IDIV |    \
     ARCH_CPU_B_THUMB)

#if defined(__thumb2__)
#define ARCH_CPU_ISA_STATE "thumb-2"
#elif defined(__thumb__)
#define ARCH_CPU_ISA_STATE "thumb-1"
#else
#define ARCH_CPU_ISA_STATE "arm"
#endif

static jit_cpu_set arch_cpu_detect(void)
{
    unsigned long hw = getauxval(AT_HWCAP);
    jit_cpu_set s = 0;
    if (hw & ARCH_HWCAP_VFP)
        s |= JIT_CPU_BIT(JIT_CPU_VFP);
    if (hw & ARCH_HWCAP_VFPV3)
        s |= JIT_CPU_BIT(JIT_CPU_VFPV3);
    if (hw & ARCH_HWCAP_VFPV4)
        s |= JIT_CPU_BIT(JIT_CPU_VFPV4);
    if (hw & ARCH_HWCAP_NEON)
        s |= JIT_CPU_BIT(JIT_CPU_NEON);
    if (hw & ARCH_HWCAP_IDIVA)
        s |= JIT_CPU_BIT(JIT_CPU_IDIVA);
    if (hw & ARCH_HWCAP_IDIVT)
        s |= JIT_CPU_BIT(JIT_CPU_IDIVT);
    if (hw & ARCH_HWCAP_THUMB)
        s |= JIT_CPU_BIT(JIT_CPU_THUMB);
    return s;
}

#endif
