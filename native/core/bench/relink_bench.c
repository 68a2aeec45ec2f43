/* relink_bench: call throughput after N replacements of a JIT function, for
 * each replacement mode (the table of the LLVM "relink jump chains" report).
 * Usage: relink_bench [--quick] [--json] [--mem dual-map|mprotect|rwx] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "jit/arch.h"
#include "jit/execmem.h"
#include "jit/replace.h"

static const int points[] = {0, 1, 2, 3, 4, 5, 10, 20, 50, 200, 460};
#define NPOINTS (sizeof points / sizeof points[0])
#define BATCH 4096

static volatile unsigned sink;

/* Calls through the slot: one acquire load per call, never cached. */
__attribute__((noinline)) static unsigned run_slot(void **slot, int n)
{
    unsigned s = 0;
    for (int i = 0; i < n; i++)
        s += (unsigned)as_fn(jit_fn_slot_load(slot))(i);
    return s;
}

/* Calls a fixed entry address (direct branch entry, or the chain's head). */
__attribute__((noinline)) static unsigned run_entry(int_fn f, int n)
{
    unsigned s = 0;
    for (int i = 0; i < n; i++)
        s += (unsigned)f(i);
    return s;
}

/* One timed run of at least `secs` of thread CPU time, in Mcalls/s. */
static double trial(struct jit_fn *fn, double secs)
{
    void **slot = jit_fn_slot(fn);
    int_fn f = as_fn(jit_fn_entry(fn));
    double t0 = cpu_sec(), el;
    long calls = 0;
    do {
        sink += slot ? run_slot(slot, BATCH) : run_entry(f, BATCH);
        calls += BATCH;
    } while ((el = cpu_sec() - t0) < secs);
    return (double)calls / el / 1e6;
}

/* Paired measurement: trials of `fn` alternate with trials of `ref`, a function
 * of the same mode that is never replaced, and the best of each is kept. On a
 * shared VM the host's noise moves both alike, so fn/ref is stable where the
 * raw rate swings by +-25% between runs. */
static void measure(struct jit_fn *fn, struct jit_fn *ref, double secs, int trials, double *rate, double *ref_rate)
{
    *rate = *ref_rate = 0;
    for (int t = 0; t < trials; t++) {
        double r = trial(fn, secs), q = trial(ref, secs);
        if (r > *rate)
            *rate = r;
        if (q > *ref_rate)
            *ref_rate = q;
    }
}

static void *emit(struct jit_execmem *m, int k)
{
    unsigned char buf[32];
    size_t len;
    struct jit_code c;
    if (jit_emit_ret_const(buf, sizeof buf, k, &len) != JIT_OK ||
        jit_execmem_alloc(m, len, 0, &c) != JIT_OK || jit_execmem_write(m, c.rx, buf, len) != JIT_OK)
        return NULL;
    return c.rx;
}

/* Rate after `pi` points as a percentage of the initial rate, each taken
 * relative to the reference measured beside it. */
static double percent(const double *rate, const double *ref, size_t pi)
{
    if (rate[0] <= 0 || ref[0] <= 0 || ref[pi] <= 0)
        return 0;
    return 100.0 * (rate[pi] / ref[pi]) / (rate[0] / ref[0]);
}

int main(int argc, char **argv)
{
    int json = has_flag(argc, argv, "--json"), quick = has_flag(argc, argv, "--quick");
    enum jit_execmem_mode mem_mode = JIT_EXECMEM_DUAL_MAP;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--mem") == 0) {
            if (strcmp(argv[i + 1], "mprotect") == 0)
                mem_mode = JIT_EXECMEM_MPROTECT;
            else if (strcmp(argv[i + 1], "rwx") == 0)
                mem_mode = JIT_EXECMEM_RWX;
            else if (strcmp(argv[i + 1], "dual-map") != 0) {
                fprintf(stderr, "relink_bench: unknown --mem %s\n", argv[i + 1]);
                return 2;
            }
        }
    double secs = quick ? 0.01 : 0.04;
    int trials = quick ? 2 : 9;
    static const enum jit_fn_mode modes[] = {JIT_FN_SLOT, JIT_FN_BRANCH, JIT_FN_CHAIN};
    double rate[3][NPOINTS], ref_rate[3][NPOINTS];
    int ok[3] = {0, 0, 0};
    for (int mi = 0; mi < 3; mi++) {
        struct jit_execmem_params p = {.mode = mem_mode};
        struct jit_execmem *m;
        struct jit_fn *fn, *ref = NULL;
        enum jit_err e = jit_execmem_create(&p, &m);
        if (e == JIT_OK)
            e = jit_fn_create(m, modes[mi], emit(m, 0), &fn);
        if (e == JIT_OK)
            e = jit_fn_create(m, modes[mi], emit(m, 0), &ref);
        if (e != JIT_OK) {
            fprintf(stderr, "relink_bench: %s: %s\n", jit_fn_mode_name(modes[mi]), jit_err_str(e));
            continue;
        }
        int done = 0;
        double w1, w2;
        measure(fn, ref, secs, 2, &w1, &w2); /* warm-up: caches, predictors, clock ramp */
        for (size_t pi = 0; pi < NPOINTS && e == JIT_OK; pi++) {
            while (done < points[pi] && e == JIT_OK) {
                void *old = NULL, *code = emit(m, ++done);
                e = code ? jit_fn_replace(fn, code, &old) : JIT_ERR_NO_MEMORY;
                if (e == JIT_OK && old)
                    e = jit_execmem_free(m, old); /* single thread: nobody is in it */
            }
            if (e == JIT_OK && as_fn(jit_fn_entry(fn))(0) != done) {
                fprintf(stderr, "relink_bench: %s returned the wrong version\n",
                        jit_fn_mode_name(modes[mi]));
                return 1;
            }
            rate[mi][pi] = ref_rate[mi][pi] = 0;
            if (e == JIT_OK)
                measure(fn, ref, secs, trials, &rate[mi][pi], &ref_rate[mi][pi]);
        }
        if (e != JIT_OK)
            fprintf(stderr, "relink_bench: %s: %s\n", jit_fn_mode_name(modes[mi]), jit_err_str(e));
        ok[mi] = e == JIT_OK;
        jit_fn_destroy(fn);
        jit_fn_destroy(ref);
        jit_execmem_destroy(m);
    }

    if (json) {
        printf("{\"bench\":\"relink\",\"arch\":\"%s\",\"memory\":\"%s\",\"quick\":%s,\"modes\":[",
               jit_arch()->name, jit_execmem_mode_name(mem_mode), quick ? "true" : "false");
        for (int mi = 0; mi < 3; mi++) {
            printf("%s{\"mode\":\"%s\",\"ok\":%s,\"points\":[", mi ? "," : "",
                   jit_fn_mode_name(modes[mi]), ok[mi] ? "true" : "false");
            for (size_t pi = 0; pi < NPOINTS; pi++)
                printf("%s{\"replacements\":%d,\"mcalls_per_sec\":%.3f,\"reference_mcalls_per_sec\":%.3f,"
                       "\"percent_of_initial\":%.3f}",
                       pi ? "," : "", points[pi], rate[mi][pi], ref_rate[mi][pi],
                       percent(rate[mi], ref_rate[mi], pi));
            printf("]}");
        }
        printf("]}\n");
    } else {
        printf("relink_bench: %s, %s memory%s (best of %d x %.2f s CPU time per point, paired with\n"
               "an unreplaced reference function; %% of initial = (rate/reference) / (initial rate/reference))\n",
               jit_arch()->name, jit_execmem_mode_name(mem_mode), quick ? ", quick" : "", trials, secs);
        for (int mi = 0; mi < 3; mi++) {
            printf("\n%s%s\n", jit_fn_mode_name(modes[mi]), ok[mi] ? "" : " (FAILED)");
            for (size_t pi = 0; pi < NPOINTS; pi++) {
                printf("After %3d replacements: %9.3f Mcalls/sec", points[pi], rate[mi][pi]);
                if (pi)
                    printf(" (%8.3f%% of initial)", percent(rate[mi], ref_rate[mi], pi));
                printf("\n");
            }
        }
    }
    return ok[0] && ok[1] && ok[2] ? 0 : 1;
}
