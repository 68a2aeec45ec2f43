/* alloc_bench: allocation/free throughput and fragmentation of the code
 * allocator under a random workload of mixed sizes, for each memory mode;
 * then the scaling table: alloc and free cost (median ns/op over rounds) and
 * fragmentation with 100, 1,000, 10,000 and 100,000 live allocations.
 * Usage: alloc_bench [--quick] [--json] [--no-scaling] [--scaling-only] [--mode rwx|dual-map]
 *                    [--max-live N] */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "jit/arch.h"
#include "jit/execmem.h"

#define LIVE_MAX 1024

struct result {
    const char *name;
    int ok;
    double allocs_per_sec, frees_per_sec;
    double fragmentation; /* largest free range / total free, at the end */
    size_t live, bytes_in_use, bytes_free, regions, peak_regions;
};

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Mostly small functions, some medium, a few big ones. */
static size_t rnd_size(void)
{
    uint32_t r = rnd() % 100;
    if (r < 70)
        return 16 + rnd() % 241;
    if (r < 95)
        return 256 + rnd() % 1793;
    return 2048 + rnd() % 14337;
}

static struct result run(const char *name, enum jit_execmem_mode mode, uint32_t flags, long ops)
{
    struct result res = {.name = name};
    struct jit_execmem_params p = {.mode = mode, .flags = flags};
    struct jit_execmem *m;
    if (jit_execmem_create(&p, &m) != JIT_OK)
        return res;
    static void *live[LIVE_MAX];
    size_t nlive = 0;
    long nalloc = 0, nfree = 0;
    double talloc = 0, tfree = 0;
    rng_state = 0x9e3779b97f4a7c15ull; /* same workload for every mode */
    res.ok = 1;
    for (long i = 0; i < ops && res.ok; i++) {
        /* Free when full; otherwise a coin flip weighted towards a ~half-full pool. */
        int do_free = nlive == LIVE_MAX || (nlive > 0 && rnd() % LIVE_MAX < nlive);
        double t0 = now_sec();
        if (do_free) {
            size_t k = rnd() % nlive;
            res.ok = jit_execmem_free(m, live[k]) == JIT_OK;
            tfree += now_sec() - t0;
            live[k] = live[--nlive];
            nfree++;
        } else {
            struct jit_code c;
            res.ok = jit_execmem_alloc(m, rnd_size(), 0, &c) == JIT_OK;
            talloc += now_sec() - t0;
            if (res.ok)
                live[nlive++] = c.rx;
            nalloc++;
        }
        if ((i & 1023) == 0) {
            struct jit_execmem_stats s;
            jit_execmem_stats(m, &s);
            if (s.regions > res.peak_regions)
                res.peak_regions = s.regions;
        }
    }
    struct jit_execmem_stats s;
    jit_execmem_stats(m, &s);
    res.allocs_per_sec = talloc > 0 ? (double)nalloc / talloc : 0;
    res.frees_per_sec = tfree > 0 ? (double)nfree / tfree : 0;
    res.fragmentation = s.bytes_free ? (double)s.largest_free / (double)s.bytes_free : 1.0;
    res.live = s.allocations;
    res.bytes_in_use = s.bytes_in_use;
    res.bytes_free = s.bytes_free;
    res.regions = s.regions;
    jit_execmem_destroy(m);
    return res;
}

/* --- scaling: cost at a given number of live allocations ------------------ */

struct scale {
    const char *mode;
    size_t live;
    int ok;
    long rounds, batch;
    double alloc_ns, free_ns;     /* medians over rounds */
    double fill_ns;               /* mean cost of the allocations that filled it */
    double fragmentation;         /* largest free range / free bytes */
    double free_over_reserved;    /* free bytes / reserved bytes */
    size_t regions, free_ranges;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

/* Fill to `live` allocations, then rounds of: free `batch` random live ones
 * (timed together), allocate `batch` new ones (timed together), so the live
 * count stays at `live` and the pool churns as a JIT's would. */
static struct scale scale_run(const char *name, enum jit_execmem_mode mode, size_t live, long ops)
{
    struct scale res = {.mode = name, .live = live};
    struct jit_execmem_params p = {.mode = mode};
    struct jit_execmem *m;
    void **ptr = malloc(live * sizeof *ptr);
    long batch = live / 2 < 1000 ? (long)(live / 2) : 1000;
    long rounds = ops / (2 * batch);
    if (rounds < 5)
        rounds = 5;
    double *ta = malloc((size_t)rounds * sizeof *ta), *tf = malloc((size_t)rounds * sizeof *tf);
    if (!ptr || !ta || !tf || jit_execmem_create(&p, &m) != JIT_OK) {
        free(ptr);
        free(ta);
        free(tf);
        return res;
    }
    rng_state = 0x2545f4914f6cdd1dull ^ live;
    res.ok = 1;
    double t0 = cpu_sec();
    for (size_t i = 0; i < live && res.ok; i++) {
        struct jit_code c;
        res.ok = jit_execmem_alloc(m, rnd_size(), 0, &c) == JIT_OK;
        ptr[i] = c.rx;
    }
    res.fill_ns = (cpu_sec() - t0) * 1e9 / (double)live;
    for (long r = 0; r < rounds && res.ok; r++) {
        /* The victims: `batch` distinct random slots, moved to the end. */
        for (long j = 0; j < batch; j++) {
            size_t k = rnd() % (live - (size_t)j), last = live - 1 - (size_t)j;
            void *t = ptr[k];
            ptr[k] = ptr[last];
            ptr[last] = t;
        }
        t0 = cpu_sec();
        for (long j = 0; j < batch; j++)
            res.ok &= jit_execmem_free(m, ptr[live - 1 - (size_t)j]) == JIT_OK;
        tf[r] = (cpu_sec() - t0) * 1e9 / (double)batch;
        size_t sizes[1000];
        for (long j = 0; j < batch; j++)
            sizes[j] = rnd_size();
        t0 = cpu_sec();
        for (long j = 0; j < batch; j++) {
            struct jit_code c;
            res.ok &= jit_execmem_alloc(m, sizes[j], 0, &c) == JIT_OK;
            ptr[live - 1 - (size_t)j] = c.rx;
        }
        ta[r] = (cpu_sec() - t0) * 1e9 / (double)batch;
    }
    struct jit_execmem_stats s;
    jit_execmem_stats(m, &s);
    res.rounds = rounds;
    res.batch = batch;
    res.alloc_ns = median(ta, rounds);
    res.free_ns = median(tf, rounds);
    res.fragmentation = s.bytes_free ? (double)s.largest_free / (double)s.bytes_free : 1.0;
    res.free_over_reserved = (double)s.bytes_free / (double)(s.bytes_free + s.bytes_in_use);
    res.regions = s.regions;
    res.free_ranges = s.free_ranges;
    res.ok &= s.allocations == live;
    jit_execmem_destroy(m);
    free(ptr);
    free(ta);
    free(tf);
    return res;
}

int main(int argc, char **argv)
{
    int json = has_flag(argc, argv, "--json"), quick = has_flag(argc, argv, "--quick");
    long ops = quick ? 20000 : 400000;
    /* --scaling-only skips the random workload; --mode M runs the scaling table for mode M only. */
    int nmodes = has_flag(argc, argv, "--scaling-only") ? 0 : 4;
    const char *only = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--mode") == 0)
            only = argv[i + 1];
    struct result r[4] = {{0}};
    if (nmodes) {
        r[0] = run("dual-map", JIT_EXECMEM_DUAL_MAP, 0, ops);
        r[1] = run("dual-map-no-refresh", JIT_EXECMEM_DUAL_MAP, JIT_EXECMEM_NO_RX_REFRESH, ops);
        r[2] = run("mprotect", JIT_EXECMEM_MPROTECT, 0, ops);
        r[3] = run("rwx", JIT_EXECMEM_RWX, 0, ops);
    }
    int all_ok = 1;
    if (json)
        printf("{\"bench\":\"alloc\",\"arch\":\"%s\",\"quick\":%s,\"ops\":%ld,\"modes\":[",
               jit_arch()->name, quick ? "true" : "false", ops);
    else
        printf("alloc_bench: %s, %ld random ops, <= %d live, sizes 16 B..16 KiB\n"
               "%-20s %12s %12s %10s %6s %11s %11s %8s\n",
               jit_arch()->name, ops, LIVE_MAX, "mode", "allocs/s", "frees/s", "largest/", "live",
               "in use B", "free B", "regions");
    for (int i = 0; i < nmodes; i++) {
        all_ok &= r[i].ok;
        if (json)
            printf("%s{\"mode\":\"%s\",\"ok\":%s,\"allocs_per_sec\":%.0f,\"frees_per_sec\":%.0f,"
                   "\"largest_free_over_free\":%.4f,\"live\":%zu,\"bytes_in_use\":%zu,"
                   "\"bytes_free\":%zu,\"regions\":%zu,\"peak_regions\":%zu}",
                   i ? "," : "", r[i].name, r[i].ok ? "true" : "false", r[i].allocs_per_sec,
                   r[i].frees_per_sec, r[i].fragmentation, r[i].live, r[i].bytes_in_use,
                   r[i].bytes_free, r[i].regions, r[i].peak_regions);
        else
            printf("%-20s %12.0f %12.0f %10.4f %6zu %11zu %11zu %4zu/%-3zu%s\n", r[i].name,
                   r[i].allocs_per_sec, r[i].frees_per_sec, r[i].fragmentation, r[i].live,
                   r[i].bytes_in_use, r[i].bytes_free, r[i].regions, r[i].peak_regions,
                   r[i].ok ? "" : "  FAILED");
    }
    if (!json)
        printf("largest/ = largest free range / total free bytes at the end (1 = unfragmented);"
               " regions = now/peak\n");

    /* Scaling. --max-live caps the sizes (an O(n) allocator takes minutes at 100,000). */
    static const size_t sizes[] = {100, 1000, 10000, 100000};
    size_t max_live = 100000;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--max-live") == 0)
            max_live = (size_t)strtoul(argv[i + 1], NULL, 10);
    int scaling = !has_flag(argc, argv, "--no-scaling");
    long sops = quick ? 8000 : 200000;
    static const struct { const char *name; enum jit_execmem_mode mode; } smodes[] = {
        {"rwx", JIT_EXECMEM_RWX}, {"dual-map", JIT_EXECMEM_DUAL_MAP}};
    if (json)
        printf("],\"scaling_ops\":%ld,\"scaling\":[", sops);
    else if (scaling)
        printf("\nscaling: fill to N live allocations, then rounds of freeing and allocating a batch\n"
               "(min(N/2, 1000)) of random ones, ~%ld ops per N; ns/op = median over rounds (thread CPU time)\n"
               "%-9s %7s %9s %9s %9s %10s %10s %8s %8s\n",
               sops, "mode", "live", "alloc ns", "free ns", "fill ns", "largest/", "free/resv", "regions",
               "ranges");
    int first = 1;
    for (size_t mi = 0; scaling && mi < 2; mi++) {
        if (only && strcmp(only, smodes[mi].name) != 0)
            continue;
        double a1k = 0, f1k = 0, a100k = 0, f100k = 0;
        for (size_t si = 0; si < 4 && sizes[si] <= max_live; si++) {
            struct scale sc = scale_run(smodes[mi].name, smodes[mi].mode, sizes[si], sops);
            all_ok &= sc.ok;
            if (sizes[si] == 1000)
                a1k = sc.alloc_ns, f1k = sc.free_ns;
            if (sizes[si] == 100000)
                a100k = sc.alloc_ns, f100k = sc.free_ns;
            if (json)
                printf("%s{\"mode\":\"%s\",\"live\":%zu,\"ok\":%s,\"rounds\":%ld,\"batch\":%ld,"
                       "\"alloc_ns\":%.1f,\"free_ns\":%.1f,\"fill_ns\":%.1f,"
                       "\"largest_free_over_free\":%.4f,\"free_over_reserved\":%.4f,\"regions\":%zu,"
                       "\"free_ranges\":%zu}",
                       first ? "" : ",", sc.mode, sc.live, sc.ok ? "true" : "false", sc.rounds, sc.batch,
                       sc.alloc_ns, sc.free_ns, sc.fill_ns, sc.fragmentation, sc.free_over_reserved,
                       sc.regions, sc.free_ranges);
            else
                printf("%-9s %7zu %9.1f %9.1f %9.1f %10.4f %10.4f %8zu %8zu%s\n", sc.mode, sc.live,
                       sc.alloc_ns, sc.free_ns, sc.fill_ns, sc.fragmentation, sc.free_over_reserved,
                       sc.regions, sc.free_ranges, sc.ok ? "" : "  FAILED");
            first = 0;
        }
        if (!json && a1k > 0 && a100k > 0)
            printf("%-9s 100,000 vs 1,000 live: alloc %.2fx, free %.2fx\n", smodes[mi].name,
                   a100k / a1k, f100k / f1k);
    }
    if (json)
        printf("]}\n");
    else if (scaling)
        printf("largest/ = largest free range / free bytes; free/resv = free bytes / reserved bytes\n");
    return all_ok ? 0 : 1;
}
