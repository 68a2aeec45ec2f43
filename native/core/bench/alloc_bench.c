/* alloc_bench: allocation/free throughput and fragmentation of the code
 * allocator under a random workload of mixed sizes, for each memory mode.
 * Usage: alloc_bench [--quick] [--json] */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

int main(int argc, char **argv)
{
    int json = has_flag(argc, argv, "--json"), quick = has_flag(argc, argv, "--quick");
    long ops = quick ? 20000 : 400000;
    struct result r[4] = {
        run("dual-map", JIT_EXECMEM_DUAL_MAP, 0, ops),
        run("dual-map-no-refresh", JIT_EXECMEM_DUAL_MAP, JIT_EXECMEM_NO_RX_REFRESH, ops),
        run("mprotect", JIT_EXECMEM_MPROTECT, 0, ops),
        run("rwx", JIT_EXECMEM_RWX, 0, ops),
    };
    int all_ok = 1;
    if (json)
        printf("{\"bench\":\"alloc\",\"arch\":\"%s\",\"quick\":%s,\"ops\":%ld,\"modes\":[",
               jit_arch()->name, quick ? "true" : "false", ops);
    else
        printf("alloc_bench: %s, %ld random ops, <= %d live, sizes 16 B..16 KiB\n"
               "%-20s %12s %12s %10s %6s %11s %11s %8s\n",
               jit_arch()->name, ops, LIVE_MAX, "mode", "allocs/s", "frees/s", "largest/", "live",
               "in use B", "free B", "regions");
    for (int i = 0; i < 4; i++) {
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
    if (json)
        printf("]}\n");
    else
        printf("largest/ = largest free range / total free bytes at the end (1 = unfragmented);"
               " regions = now/peak\n");
    return all_ok ? 0 : 1;
}
