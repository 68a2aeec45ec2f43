/* arch_cpu.h (x86_64, i686): CPU features from cpuid, included by
 * src/cpu.c only. Leaf 1 ECX/EDX and leaf 7.0 EBX give the instruction
 * sets; the AVX family also needs the OS to save the registers on a
 * context switch: CPUID.1:ECX.OSXSAVE, then XCR0 (XGETBV) bits 1-2 (SSE, AVX
 * state), and bits 5-7 (opmask, ZMM) for AVX-512. Linux clears the same flags
 * in /proc/cpuinfo when XCR0 lacks them. */
#ifndef JIT_ARCH_X86_CPU_H
#define JIT_ARCH_X86_CPU_H

#include <cpuid.h>

#define ARCH_CPU_KNOWN                                                                             \
    (JIT_CPU_BIT(JIT_CPU_SSE2) | JIT_CPU_BIT(JIT_CPU_SSE4_2) | JIT_CPU_BIT(JIT_CPU_AVX) |          \
     JIT_CPU_BIT(JIT_CPU_AVX2) | JIT_CPU_BIT(JIT_CPU_BMI1) | JIT_CPU_BIT(JIT_CPU_BMI2) |           \
     JIT_CPU_BIT(JIT_CPU_FMA) | JIT_CPU_BIT(JIT_CPU_AVX512F))
#define ARCH_CPU_METHOD "cpuid leaves 1 and 7, xgetbv (XCR0)"

#if defined(__SSE2__)
#define ARCH_CPU_B_SSE2 JIT_CPU_BIT(JIT_CPU_SSE2)
#else
#define ARCH_CPU_B_SSE2 0
#endif
#if defined(__SSE4_2__)
#define ARCH_CPU_B_SSE4_2 JIT_CPU_BIT(JIT_CPU_SSE4_2)
#else
#define ARCH_CPU_B_SSE4_2 0
#endif
#if defined(__AVX__)
#define ARCH_CPU_B_AVX JIT_CPU_BIT(JIT_CPU_AVX)
#else
#define ARCH_CPU_B_AVX 0
#endif
#if defined(__AVX2__)
#define ARCH_CPU_B_AVX2 JIT_CPU_BIT(JIT_CPU_AVX2)
#else
#define ARCH_CPU_B_AVX2 0
#endif
#if defined(__BMI__)
#define ARCH_CPU_B_BMI1 JIT_CPU_BIT(JIT_CPU_BMI1)
#else
#define ARCH_CPU_B_BMI1 0
#endif
#if defined(__BMI2__)
#define ARCH_CPU_B_BMI2 JIT_CPU_BIT(JIT_CPU_BMI2)
#else
#define ARCH_CPU_B_BMI2 0
#endif
#if defined(__FMA__)
#define ARCH_CPU_B_FMA JIT_CPU_BIT(JIT_CPU_FMA)
#else
#define ARCH_CPU_B_FMA 0
#endif
#if defined(__AVX512F__)
#define ARCH_CPU_B_AVX512F JIT_CPU_BIT(JIT_CPU_AVX512F)
#else
#define ARCH_CPU_B_AVX512F 0
#endif
#define ARCH_CPU_BUILT_FOR                                                                         \
    (ARCH_CPU_B_SSE2 | ARCH_CPU_B_SSE4_2 | ARCH_CPU_B_AVX | ARCH_CPU_B_AVX2 | ARCH_CPU_B_BMI1 |    \
     ARCH_CPU_B_BMI2 | ARCH_CPU_B_FMA | ARCH_CPU_B_AVX512F)

/* XCR0 through the xgetbv mnemonic in inline asm (no -mxsave needed). Only
 * called when CPUID says OSXSAVE, else it would fault. */
static uint64_t arch_cpu_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static jit_cpu_set arch_cpu_detect(void)
{
    unsigned a, b, c, d;
    jit_cpu_set s = 0;
    unsigned max = __get_cpuid_max(0, NULL); /* 0 also when cpuid itself is missing (i486) */
    if (max < 1)
        return 0;
    __cpuid(1, a, b, c, d);
    if (d & (1u << 26))
        s |= JIT_CPU_BIT(JIT_CPU_SSE2);
    if (c & (1u << 20))
        s |= JIT_CPU_BIT(JIT_CPU_SSE4_2);
    int os_avx = 0, os_avx512 = 0;
    if (c & (1u << 27)) { /* OSXSAVE */
        uint64_t xcr0 = arch_cpu_xcr0();
        os_avx = (xcr0 & 0x6u) == 0x6u;
        os_avx512 = os_avx && (xcr0 & 0xe0u) == 0xe0u;
    }
    if (os_avx && (c & (1u << 28)))
        s |= JIT_CPU_BIT(JIT_CPU_AVX);
    if (os_avx && (c & (1u << 12)))
        s |= JIT_CPU_BIT(JIT_CPU_FMA);
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if (b & (1u << 3))
            s |= JIT_CPU_BIT(JIT_CPU_BMI1);
        if (b & (1u << 8))
            s |= JIT_CPU_BIT(JIT_CPU_BMI2);
        if (os_avx && (b & (1u << 5)))
            s |= JIT_CPU_BIT(JIT_CPU_AVX2);
        if (os_avx512 && (b & (1u << 16)))
            s |= JIT_CPU_BIT(JIT_CPU_AVX512F);
    }
    return s;
}

#endif
