/* smc.h: the self-modifying-code (SMC) benchmark suite.
 *
 * The question (seed smc-x86-performance.md): a JIT writes about 1 KB of code
 * into executable memory and runs it once, in a loop. Which way of writing it
 * costs least on this CPU? Each strategy writes a fresh function (different
 * immediates every call), calls it and checks the value it returns against
 * the value computed while writing; timings are the minimum over trials of
 * the mean TSC ticks per write+call.
 *
 * On x86 every strategy runs, chosen at run time from cpuid (no -march); on
 * other architectures the portable strategies run as a correctness check and
 * their timings are marked not meaningful (clock_gettime, usually qemu).
 */
#ifndef SMC_SMC_H
#define SMC_SMC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CPU features the strategies depend on (bits of smc_cpu_info.features). */
enum smc_feature {
    SMC_F_SSE2 = 1u << 0,
    SMC_F_AVX = 1u << 1,        /* cpuid and OS (XCR0) support */
    SMC_F_AVX512F = 1u << 2,    /* cpuid and OS (XCR0) support */
    SMC_F_CLFLUSH = 1u << 3,
    SMC_F_CLFLUSHOPT = 1u << 4,
    SMC_F_PREFETCHW = 1u << 5,
    SMC_F_ERMS = 1u << 6,       /* enhanced rep movsb/stosb */
    SMC_F_FSRM = 1u << 7,       /* fast short rep movsb */
    SMC_F_SERIALIZE = 1u << 8,
    SMC_F_RDTSC = 1u << 9,
    SMC_F_INVARIANT_TSC = 1u << 10,
    SMC_F_X86_64 = 1u << 11,    /* running in 64-bit mode (rep movsq) */
};

/* "sse2", "avx", ... for one bit of enum smc_feature; NULL for unknown bits. */
const char *smc_feature_name(uint32_t bit);

struct smc_cpu_info {
    const char *arch;            /* "x86_64", "i686", "aarch64", ... (build target) */
    char vendor[16];             /* "AuthenticAMD", "GenuineIntel"; "" off x86 */
    char brand[64];              /* cpuid brand string, trimmed */
    unsigned family, model, stepping; /* display values (extended fields folded in) */
    const char *uarch;           /* "Zen 5", "Sapphire Rapids", ... or "unknown" */
    int hypervisor;              /* cpuid.1:ecx[31] */
    char hypervisor_vendor[16];  /* "KVMKVMKVM", "Microsoft Hv", ... */
    double tsc_hz;               /* 0 when unknown */
    const char *tsc_source;      /* "cpuid 0x15", "cpuid 0x40000010", "measured", "none" */
    uint32_t features;           /* enum smc_feature bits */
};

/* Identify the CPU (cpuid on x86; arch name only elsewhere). `measure_tsc`
 * non-zero allows a ~30 ms calibration against CLOCK_MONOTONIC when cpuid
 * does not give the TSC frequency. */
enum jit_err smc_cpu_identify(int measure_tsc, struct smc_cpu_info *out);

/* "AuthenticAMD-26-2-1": the key under which measurements are cached. */
enum jit_err smc_cpu_signature(const struct smc_cpu_info *cpu, char *buf, size_t cap);

/* Microarchitecture from vendor/family/model; "unknown" when not in the table. */
const char *smc_uarch_name(const char *vendor, unsigned family, unsigned model);

enum smc_status {
    SMC_STATUS_OK = 0,    /* ran, every call returned the right value */
    SMC_STATUS_SKIPPED,   /* not run: CPU/OS/arch lacks what it needs (reason says) */
    SMC_STATUS_WRONG,     /* ran, but some call returned a wrong value */
    SMC_STATUS_FAILED,    /* could not set up (mmap/memfd failed: reason says) */
};
const char *smc_status_name(enum smc_status st);

#define SMC_MAX_STRATEGIES 64
#define SMC_REASON_MAX 128

struct smc_result {
    const char *name;        /* "copy_rep_movsb" */
    const char *group;       /* "baseline", "plain", "copy", "clear", "flush", ... */
    const char *description;
    enum smc_status status;
    char reason[SMC_REASON_MAX]; /* why skipped/failed/wrong; "" when ok */
    double ticks_per_call;   /* min over trials of mean ticks (or ns) per write+call */
    double ratio_to_plain;   /* ticks / plain's ticks; 0 when unknown */
    double penalty_over_baseline; /* ticks - baseline's ticks */
    uint64_t calls;          /* calls made, warm-up included */
    uint64_t wrong;          /* calls that returned a wrong value */
    uint32_t last_value, last_expected;
};

enum smc_run_flags {
    SMC_RUN_QUICK = 1u << 0,       /* a few seconds in total (matrix runs) */
    SMC_RUN_NO_PIN = 1u << 1,      /* do not pin the thread to its current CPU */
};

struct smc_params {
    uint32_t flags;            /* enum smc_run_flags */
    unsigned trials;           /* 0 = default (x86: 9, quick 5; elsewhere 3, quick 2) */
    unsigned iterations;       /* calls per trial; 0 = default (x86: 4000, quick 1000;
                                  elsewhere 300, quick 100) */
    unsigned warmup;           /* 0 = default (x86: 500, quick 200; elsewhere 50, quick 20) */
    const char *const *only;   /* run only these names (others absent); NULL = all */
    size_t only_count;
};

struct smc_report {
    struct smc_cpu_info cpu;
    const char *timer;         /* "rdtsc" or "clock_gettime (ns)" */
    int timings_meaningful;    /* 1 on x86 (native), 0 elsewhere */
    const char *note;          /* why timings are not meaningful, or "" */
    const char *flush_method;  /* icache maintenance used after writing code */
    unsigned trials, iterations, warmup;
    size_t code_bytes;         /* bytes of generated code per call */
    int quick;
    double plain_ticks, baseline_ticks; /* 0 when not run */
    const char *best;          /* fastest ok SMC strategy (baseline excluded), or NULL */
    size_t count;
    struct smc_result results[SMC_MAX_STRATEGIES];
};

/* Number of strategies this build knows (x86: all, elsewhere: portable ones). */
size_t smc_strategy_count(void);
/* Name, group and description of strategy i (NULL outputs are allowed). */
enum jit_err smc_strategy_info(size_t i, const char **name, const char **group, const char **description);

/* Run the suite. `params` may be NULL (defaults). Unknown names in `only`
 * give JIT_ERR_INVALID_ARG. */
enum jit_err smc_run(const struct smc_params *params, struct smc_report *out);

/* Output: an aligned text table, and JSON (schema "matrix-smc/1"). */
enum jit_err smc_report_write_table(const struct smc_report *r, FILE *f);
enum jit_err smc_report_write_json(const struct smc_report *r, FILE *f);
/* TAP: one test point per strategy (skips carry their reason). */
enum jit_err smc_report_write_tap(const struct smc_report *r, FILE *f);
/* 1 when no strategy is WRONG or FAILED. */
int smc_report_all_correct(const struct smc_report *r);

#ifdef __cplusplus
}
#endif
#endif
