/* cpu.c: CPU identification for the SMC suite (cpuid on x86). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smc/smc.h"
#include "smc_internal.h"

#if defined(SMC_X86)
#include <cpuid.h>

static void cpuid2(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* A (TSC, CLOCK_MONOTONIC ns) pair read back to back; retried when the
 * thread was preempted between the two reads (bracket too wide). */
static void tsc_clock_pair(uint64_t *tsc, double *ns)
{
    for (int i = 0; i < 100; i++) {
        struct timespec ts;
        uint64_t a = smc_ticks();
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t b = smc_ticks();
        *tsc = a + (b - a) / 2;
        *ns = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
        if (b - a < 20000)
            return;
    }
}

/* TSC ticks per second against CLOCK_MONOTONIC: median of 3 x 10 ms. */
static double measure_tsc_hz(void)
{
    double hz[3];
    for (int k = 0; k < 3; k++) {
        uint64_t t0, t1;
        double n0, n1;
        tsc_clock_pair(&t0, &n0);
        do
            tsc_clock_pair(&t1, &n1);
        while (n1 - n0 < 10e6);
        hz[k] = (double)(t1 - t0) * 1e9 / (n1 - n0);
    }
    double lo = hz[0] < hz[1] ? hz[0] : hz[1], hi = hz[0] < hz[1] ? hz[1] : hz[0];
    return hz[2] < lo ? lo : hz[2] > hi ? hi : hz[2];
}
#endif

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = 0;
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
}

struct uarch_row {
    const char *vendor;
    unsigned family, model_lo, model_hi;
    const char *name;
};

/* Display family/model (extended fields folded in) -> microarchitecture.
 * Public model numbers; a row per range, first match wins. */
static const struct uarch_row uarch_table[] = {
    {"AuthenticAMD", 0x1a, 0x00, 0x0f, "Zen 5"}, /* Turin */
    {"AuthenticAMD", 0x1a, 0x10, 0x1f, "Zen 5c"}, /* Turin dense */
    {"AuthenticAMD", 0x1a, 0x20, 0x2f, "Zen 5"}, /* Strix Point */
    {"AuthenticAMD", 0x1a, 0x40, 0x4f, "Zen 5"}, /* Granite Ridge */
    {"AuthenticAMD", 0x1a, 0x60, 0x7f, "Zen 5"}, /* Krackan, Strix Halo */
    {"AuthenticAMD", 0x19, 0x00, 0x0f, "Zen 3"}, /* Milan */
    {"AuthenticAMD", 0x19, 0x10, 0x1f, "Zen 4"}, /* Genoa */
    {"AuthenticAMD", 0x19, 0x20, 0x2f, "Zen 3"}, /* Vermeer */
    {"AuthenticAMD", 0x19, 0x40, 0x4f, "Zen 3+"}, /* Rembrandt */
    {"AuthenticAMD", 0x19, 0x50, 0x5f, "Zen 3"}, /* Cezanne */
    {"AuthenticAMD", 0x19, 0x60, 0x7f, "Zen 4"}, /* Raphael, Phoenix */
    {"AuthenticAMD", 0x19, 0xa0, 0xaf, "Zen 4c"}, /* Bergamo */
    {"AuthenticAMD", 0x17, 0x00, 0x2f, "Zen/Zen+"},
    {"AuthenticAMD", 0x17, 0x30, 0xaf, "Zen 2"},
    {"AuthenticAMD", 0x15, 0x00, 0x7f, "Bulldozer family"},
    {"HygonGenuine", 0x18, 0x00, 0xff, "Dhyana (Zen)"},
    {"GenuineIntel", 6, 0x2a, 0x2a, "Sandy Bridge"},
    {"GenuineIntel", 6, 0x2d, 0x2d, "Sandy Bridge-EP"},
    {"GenuineIntel", 6, 0x3a, 0x3a, "Ivy Bridge"},
    {"GenuineIntel", 6, 0x3e, 0x3e, "Ivy Bridge-EP"},
    {"GenuineIntel", 6, 0x3c, 0x3c, "Haswell"},
    {"GenuineIntel", 6, 0x3f, 0x3f, "Haswell-EP"},
    {"GenuineIntel", 6, 0x45, 0x46, "Haswell"},
    {"GenuineIntel", 6, 0x3d, 0x3d, "Broadwell"},
    {"GenuineIntel", 6, 0x47, 0x47, "Broadwell"},
    {"GenuineIntel", 6, 0x4f, 0x4f, "Broadwell-EP"},
    {"GenuineIntel", 6, 0x56, 0x56, "Broadwell-DE"},
    {"GenuineIntel", 6, 0x4e, 0x4e, "Skylake"},
    {"GenuineIntel", 6, 0x5e, 0x5e, "Skylake"},
    {"GenuineIntel", 6, 0x55, 0x55, "Skylake-SP/Cascade Lake"},
    {"GenuineIntel", 6, 0x8e, 0x8e, "Kaby/Coffee/Whiskey Lake"},
    {"GenuineIntel", 6, 0x9e, 0x9e, "Kaby/Coffee Lake"},
    {"GenuineIntel", 6, 0xa5, 0xa6, "Comet Lake"},
    {"GenuineIntel", 6, 0x66, 0x66, "Cannon Lake"},
    {"GenuineIntel", 6, 0x6a, 0x6a, "Ice Lake-SP"},
    {"GenuineIntel", 6, 0x6c, 0x6c, "Ice Lake-D"},
    {"GenuineIntel", 6, 0x7d, 0x7e, "Ice Lake"},
    {"GenuineIntel", 6, 0xa7, 0xa7, "Rocket Lake"},
    {"GenuineIntel", 6, 0x8c, 0x8d, "Tiger Lake"},
    {"GenuineIntel", 6, 0x8f, 0x8f, "Sapphire Rapids"},
    {"GenuineIntel", 6, 0xcf, 0xcf, "Emerald Rapids"},
    {"GenuineIntel", 6, 0xad, 0xae, "Granite Rapids"},
    {"GenuineIntel", 6, 0x97, 0x97, "Alder Lake"},
    {"GenuineIntel", 6, 0x9a, 0x9a, "Alder Lake"},
    {"GenuineIntel", 6, 0xb7, 0xb7, "Raptor Lake"},
    {"GenuineIntel", 6, 0xba, 0xba, "Raptor Lake"},
    {"GenuineIntel", 6, 0xbf, 0xbf, "Raptor Lake"},
    {"GenuineIntel", 6, 0xaa, 0xac, "Meteor Lake"},
    {"GenuineIntel", 6, 0xbd, 0xbd, "Lunar Lake"},
    {"GenuineIntel", 6, 0xc5, 0xc6, "Arrow Lake"},
    {"GenuineIntel", 6, 0xaf, 0xaf, "Sierra Forest"},
    {"GenuineIntel", 6, 0x5c, 0x5c, "Goldmont"},
    {"GenuineIntel", 6, 0x7a, 0x7a, "Goldmont Plus"},
    {"GenuineIntel", 6, 0x86, 0x86, "Tremont"},
    {"GenuineIntel", 6, 0x96, 0x96, "Tremont"},
    {"GenuineIntel", 6, 0x9c, 0x9c, "Tremont"},
};

const char *smc_uarch_name(const char *vendor, unsigned family, unsigned model)
{
    if (!vendor)
        return "unknown";
    for (size_t i = 0; i < sizeof uarch_table / sizeof uarch_table[0]; i++) {
        const struct uarch_row *r = &uarch_table[i];
        if (r->family == family && model >= r->model_lo && model <= r->model_hi &&
            strcmp(r->vendor, vendor) == 0)
            return r->name;
    }
    return "unknown";
}

enum jit_err smc_cpu_identify(int measure_tsc, struct smc_cpu_info *out)
{
    if (!out)
        return JIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->arch = SMC_ARCH_NAME;
    out->uarch = "unknown";
    out->tsc_source = "none";
#if defined(SMC_X86)
    uint32_t r[4];
    cpuid2(0, 0, r);
    uint32_t max_leaf = r[0];
    memcpy(out->vendor + 0, &r[1], 4);
    memcpy(out->vendor + 4, &r[3], 4);
    memcpy(out->vendor + 8, &r[2], 4);
    out->vendor[12] = 0;

    uint32_t ecx1 = 0, edx1 = 0;
    if (max_leaf >= 1) {
        cpuid2(1, 0, r);
        unsigned base_family = (r[0] >> 8) & 0xf, base_model = (r[0] >> 4) & 0xf;
        out->stepping = r[0] & 0xf;
        out->family = base_family == 0xf ? base_family + ((r[0] >> 20) & 0xff) : base_family;
        out->model = (base_family == 0x6 || base_family == 0xf)
                         ? (((r[0] >> 16) & 0xf) << 4) | base_model
                         : base_model;
        ecx1 = r[2];
        edx1 = r[3];
    }
    if (edx1 & (1u << 26))
        out->features |= SMC_F_SSE2;
    if (edx1 & (1u << 19))
        out->features |= SMC_F_CLFLUSH;
    if (edx1 & (1u << 4))
        out->features |= SMC_F_RDTSC;
    out->hypervisor = (ecx1 >> 31) & 1;

    /* AVX/AVX-512 need the OS to save their state (XCR0), not only cpuid. */
    uint64_t xcr0 = 0;
    int osxsave = (ecx1 >> 27) & 1;
    if (osxsave)
        xcr0 = xgetbv0();
    if ((ecx1 & (1u << 28)) && osxsave && (xcr0 & 6) == 6)
        out->features |= SMC_F_AVX;
    if (max_leaf >= 7) {
        cpuid2(7, 0, r);
        if ((r[1] & (1u << 16)) && osxsave && (xcr0 & 0xe6) == 0xe6)
            out->features |= SMC_F_AVX512F;
        if (r[1] & (1u << 23))
            out->features |= SMC_F_CLFLUSHOPT;
        if (r[1] & (1u << 9))
            out->features |= SMC_F_ERMS;
        if (r[3] & (1u << 4))
            out->features |= SMC_F_FSRM;
        if (r[3] & (1u << 14))
            out->features |= SMC_F_SERIALIZE;
        if (r[2] & (1u << 25))
            out->features |= SMC_F_CLDEMOTE;
    }
    cpuid2(0x80000000u, 0, r);
    uint32_t max_ext = r[0];
    if (max_ext >= 0x80000001u) {
        cpuid2(0x80000001u, 0, r);
        if (r[2] & (1u << 8))
            out->features |= SMC_F_PREFETCHW;
    }
    if (max_ext >= 0x80000004u) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid2(0x80000002u + i, 0, r);
            memcpy(out->brand + 16 * i, r, 16);
        }
        out->brand[48] = 0;
        trim(out->brand);
    }
    if (max_ext >= 0x80000007u) {
        cpuid2(0x80000007u, 0, r);
        if (r[3] & (1u << 8))
            out->features |= SMC_F_INVARIANT_TSC;
    }
    if (max_ext >= 0x80000008u) {
        cpuid2(0x80000008u, 0, r);
        if (r[1] & 1u)
            out->features |= SMC_F_CLZERO;
    }
#if defined(JIT_ARCH_X86_64)
    out->features |= SMC_F_X86_64;
#endif
    out->uarch = smc_uarch_name(out->vendor, out->family, out->model);

    if (out->hypervisor) {
        cpuid2(0x40000000u, 0, r);
        uint32_t max_hv = r[0];
        memcpy(out->hypervisor_vendor + 0, &r[1], 4);
        memcpy(out->hypervisor_vendor + 4, &r[2], 4);
        memcpy(out->hypervisor_vendor + 8, &r[3], 4);
        out->hypervisor_vendor[12] = 0;
        trim(out->hypervisor_vendor);
        /* KVM/VMware timing leaf: eax = TSC kHz. */
        if (max_hv >= 0x40000010u) {
            cpuid2(0x40000010u, 0, r);
            if (r[0]) {
                out->tsc_hz = (double)r[0] * 1e3;
                out->tsc_source = "cpuid 0x40000010";
            }
        }
    }
    if (out->tsc_hz == 0 && max_leaf >= 0x15) {
        cpuid2(0x15, 0, r); /* eax/ebx = TSC/crystal ratio, ecx = crystal Hz */
        if (r[0] && r[1] && r[2]) {
            out->tsc_hz = (double)r[2] * r[1] / r[0];
            out->tsc_source = "cpuid 0x15";
        }
    }
    if (out->tsc_hz == 0 && measure_tsc && (out->features & SMC_F_RDTSC)) {
        out->tsc_hz = measure_tsc_hz();
        out->tsc_source = "measured";
    }
#else
    (void)measure_tsc;
    (void)trim;
#endif
    return JIT_OK;
}

enum jit_err smc_cpu_signature(const struct smc_cpu_info *cpu, char *buf, size_t cap)
{
    if (!cpu || !buf || cap == 0)
        return JIT_ERR_INVALID_ARG;
    int n;
    if (cpu->vendor[0])
        n = snprintf(buf, cap, "%s-%u-%u-%u", cpu->vendor, cpu->family, cpu->model, cpu->stepping);
    else
        n = snprintf(buf, cap, "%s", cpu->arch);
    return (n < 0 || (size_t)n >= cap) ? JIT_ERR_INVALID_ARG : JIT_OK;
}
