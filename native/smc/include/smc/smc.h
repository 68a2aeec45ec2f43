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
    SMC_F_X86_64 = 1u << 11,    /* running in 64-bit mode (rep movsq/stosq) */
    SMC_F_CLZERO = 1u << 12,    /* AMD: cpuid.80000008h:ebx[0] */
    SMC_F_CLDEMOTE = 1u << 13,  /* cpuid.7:ecx[25] */
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

#define SMC_MAX_STRATEGIES 96
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
    unsigned iterations;       /* calls per trial; 0 = default (x86: 4000, quick 600;
                                  elsewhere 300, quick 60) */
    unsigned warmup;           /* 0 = default (x86: 500, quick 150; elsewhere 50, quick 20) */
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

/* ---- Comparing with the original: animetosho/jit_smc_test ------------
 * `smc_bench --peer FILE` reads the original's stdout, one line per
 * strategy: "<name> <count> rdtsc counts", where count is the rdtsc ticks of
 * SMC_PEER_CALLS calls (its ITERS; the minimum over its 10 trials). Names are
 * matched to ours through a fixed table (docs/smc.md lists it). */
#define SMC_PEER_MAX 128
#define SMC_PEER_NAME_MAX 48
#define SMC_PEER_CALLS 1000

struct smc_peer_entry {
    char name[SMC_PEER_NAME_MAX]; /* "jit_memcpy_movsb" */
    double counts;                /* ticks for SMC_PEER_CALLS calls */
    unsigned line;                /* 1-based line in the file */
};

struct smc_peer_run {
    size_t count;
    struct smc_peer_entry entries[SMC_PEER_MAX];
};

/* Parse the original's output held in text[0..len). Blank lines are
 * ignored, a trailing CR is allowed. Any other line that is not
 * "<name> <count> rdtsc counts", a duplicate name, a count of 0 or no
 * strategy line at all is JIT_ERR_INVALID_ARG with "FILE:LINE: what" (or
 * "FILE: what") in err; `file` names the input in that message. */
enum jit_err smc_peer_parse(const char *text, size_t len, const char *file, struct smc_peer_run *out,
                            char *err, size_t err_cap);
/* Read and parse `path`. An unreadable file is JIT_ERR_SYSTEM with
 * "PATH: cannot read: <strerror>" in err. */
enum jit_err smc_peer_load(const char *path, struct smc_peer_run *out, char *err, size_t err_cap);

/* The mapping table: entry i maps the original's name to ours. */
size_t smc_peer_map_count(void);
enum jit_err smc_peer_map_entry(size_t i, const char **theirs, const char **ours);
/* Our name for one of the original's, or NULL when the table has none. */
const char *smc_peer_our_name(const char *theirs);

/* Spearman's rank correlation of x[0..n) and y[0..n): Pearson's
 * correlation of their ranks, ties given their average rank.
 * JIT_ERR_INVALID_ARG when n < 2 or either side has no spread. */
enum jit_err smc_spearman(const double *x, const double *y, size_t n, double *rho);
/* Average ranks (1 = smallest) of x[0..n) into ranks[0..n). */
enum jit_err smc_ranks(const double *x, size_t n, double *ranks);

struct smc_peer_match {
    const char *theirs, *ours;
    double theirs_per_call;      /* counts / calls_per_count */
    double ours_per_call;        /* our ticks_per_call */
    double ratio;                /* ours / theirs */
    double rank_theirs, rank_ours; /* among the matched strategies, 1 = fastest */
};

struct smc_peer_unmatched {
    const char *name;
    const char *why;             /* "no entry in the mapping table", our skip reason, ... */
};

struct smc_peer_comparison {
    size_t matched;
    struct smc_peer_match m[SMC_PEER_MAX];
    int have_spearman;           /* 0 when fewer than 2 matched (or no spread) */
    double spearman;
    double median_ratio;         /* of m[].ratio; 0 when nothing matched */
    size_t theirs_only_count, ours_only_count;
    struct smc_peer_unmatched theirs_only[SMC_PEER_MAX];
    struct smc_peer_unmatched ours_only[SMC_MAX_STRATEGIES];
};

/* Match `peer` with our report `ours` (kept alive while `out` is used; so is
 * `peer`). calls_per_count 0 means SMC_PEER_CALLS. A strategy is matched
 * when the table maps it and ours ran it with status ok. */
enum jit_err smc_peer_compare(const struct smc_peer_run *peer, const struct smc_report *ours,
                              double calls_per_count, struct smc_peer_comparison *out);
/* The comparison as a table: one line per matched strategy (ratio, both
 * ranks), the Spearman correlation, the largest rank differences and the
 * unmatched strategies of each side. `source` names the peer file. */
enum jit_err smc_peer_write(const struct smc_peer_comparison *c, const char *source, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
