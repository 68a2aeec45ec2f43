/* copyjit: the command-line harness.
 *   copyjit --check            validate every op template (TAP; exit 1 names failing ops)
 *   copyjit --sum [N]          the seed's program: sum of 0..N-1 (default 10^9), timed (TAP)
 *   copyjit --corpus [filter]  run the embedded program corpus (TAP)
 *   copyjit --batch FILE [--trace-every N]
 *                              run a differential batch from the TS generator (TAP);
 *                              every N-th program (and every failing one) also traced
 *   copyjit run FILE [--trace] run one program; prints out values and the status
 *   copyjit --list             list the op templates and their sizes
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cj_tools.h"
#include "copyjit.h"

static double cj_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cj_check(struct jit_execmem *mem, int verbose)
{
    enum jit_err init = cj_init();
    int n = cj_op_count(), fails = 0, stripped = 0;
    size_t total = 0;
    char failed[4096] = "";
    printf("TAP version 13\n1..%d\n# templates: %s\n", n, cj_arch_desc());
    for (int i = 0; i < n; i++) {
        struct cj_op_info inf;
        cj_op_get(i, &inf);
        int dyn_ok = 0;
        char why[200] = "";
        if (inf.ok) {
            enum jit_err e = cj_check_op_stack(mem, i, &dyn_ok, why, sizeof why);
            if (e) snprintf(why, sizeof why, "dynamic check could not run: %s", jit_err_str(e));
        }
        int ok = inf.ok && dyn_ok;
        stripped += inf.stripped;
        total += inf.size;
        if (ok) {
            if (verbose || inf.why[0])
                printf("ok %d - %s size=%u raw=%u %s%s%s\n", i + 1, inf.name, inf.size, inf.raw_size,
                       inf.stripped ? "tail-stripped" : "whole", inf.why[0] ? " # " : "", inf.why);
            else
                printf("ok %d - %s size=%u %s\n", i + 1, inf.name, inf.size, inf.stripped ? "tail-stripped" : "whole");
        } else {
            fails++;
            const char *reason = inf.ok ? why : inf.why;
            printf("not ok %d - %s\n  ---\n  message: \"%s\"\n  raw_size: %u\n  ...\n", i + 1, inf.name, reason, inf.raw_size);
            size_t l = strlen(failed);
            if (l + 200 < sizeof failed) snprintf(failed + l, sizeof failed - l, "%s%s (%s)", l ? ", " : "", inf.name, reason);
        }
    }
    printf("# %d ops, %d tail-stripped, %d kept whole, average %.1f bytes\n", n, stripped, n - stripped,
           n ? (double)total / n : 0.0);
    if (fails) {
        printf("# FAILED %d ops: %s\n", fails, failed);
        fprintf(stderr, "copyjit --check: %d op(s) failed: %s\n", fails, failed);
    }
    (void)init;
    return fails ? 1 : 0;
}

static int cj_sum(struct jit_execmem *mem, uint64_t n)
{
    char text[512];
    snprintf(text, sizeof text,
             "# sum of 0..N-1 (the seed's program)\n"
             "    mov a, 0\n    mov x, 0\n    bgeu x, %" PRIu64 ", done\n"
             "loop:\n    add a, x\n    add x, 1\n    bltu x, %" PRIu64 ", loop\n"
             "done:\n    halt\n", n, n);
    struct cj_builder *b;
    enum jit_err e = cj_builder_create(NULL, &b);
    if (e) {
        printf("1..1\nnot ok 1 - sum: %s\n", jit_err_str(e));
        return 1;
    }
    struct cj_parse_error pe;
    struct cj_program *p = NULL;
    double t0 = cj_now();
    e = cj_parse(b, text, strlen(text), &pe);
    if (!e) e = cj_builder_finish(b, mem, &p);
    double t1 = cj_now();
    cj_builder_destroy(b);
    if (e) {
        printf("1..1\nnot ok 1 - sum: build failed: %s %s\n", jit_err_str(e), pe.msg);
        return 1;
    }
    struct cj_run r;
    memset(&r, 0, sizeof r);
    double t2 = cj_now();
    cj_program_run(p, &r);
    double t3 = cj_now();
    uint64_t want = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
    int ok = r.status == CJ_STATUS_HALT && r.ra == want;
    printf("TAP version 13\n1..1\n%s 1 - sum(0..%" PRIu64 "-1) = %" PRIu64 " in %.3f s (build %.1f us, %zu code bytes)\n",
           ok ? "ok" : "not ok", n, r.ra, t3 - t2, (t1 - t0) * 1e6, cj_program_code_size(p));
    if (!ok)
        printf("  ---\n  message: \"want %" PRIu64 ", status %s\"\n  fault: \"%s\"\n  ...\n", want,
               cj_status_name(r.status), r.fault.desc);
    cj_program_free(p);
    return ok ? 0 : 1;
}

static int cj_list(void)
{
    cj_init();
    for (int i = 0; i < cj_op_count(); i++) {
        struct cj_op_info inf;
        cj_op_get(i, &inf);
        printf("%-10s size=%-3u raw=%-3u slots=%u %s%s%s\n", inf.name, inf.size, inf.raw_size, inf.nslots,
               inf.ok ? (inf.stripped ? "stripped" : "whole") : "FAILED", inf.why[0] ? ": " : "", inf.why);
    }
    return 0;
}

static void cj_usage(void)
{
    fprintf(stderr,
            "usage: copyjit --check [-v] | --sum [N] | --corpus [filter] | --batch FILE [--trace-every N] | run FILE [--trace] | --list\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cj_usage();
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct jit_execmem *mem;
    struct jit_execmem_params mp;
    memset(&mp, 0, sizeof mp);
    enum jit_err e = jit_execmem_create(&mp, &mem);
    if (e) {
        fprintf(stderr, "copyjit: execmem: %s\n", jit_err_str(e));
        return 3;
    }
    int rc = 2;
    const char *cmd = argv[1];
    if (strcmp(cmd, "--check") == 0) {
        rc = cj_check(mem, argc > 2 && strcmp(argv[2], "-v") == 0);
    } else if (strcmp(cmd, "--sum") == 0) {
        uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000000ull;
        rc = cj_sum(mem, n);
    } else if (strcmp(cmd, "--corpus") == 0) {
        rc = cj_tool_corpus(mem, argc > 2 ? argv[2] : NULL, stdout);
    } else if (strcmp(cmd, "--batch") == 0 && argc > 2) {
        /* --trace-every N: trace every N-th program (and every failing one); default all. */
        unsigned long every = 1;
        int bad = 0;
        if (argc > 4 && strcmp(argv[3], "--trace-every") == 0) {
            char *end;
            every = strtoul(argv[4], &end, 10);
            bad = *end || every == 0 || every > 1000000;
            if (bad) fprintf(stderr, "copyjit: --trace-every needs a whole number from 1, got '%s'\n", argv[4]);
        } else if (argc == 4 && strcmp(argv[3], "--trace-every") == 0) {
            bad = 1;
            fprintf(stderr, "copyjit: --trace-every needs a number N (trace every N-th program), e.g. --trace-every 10\n");
        } else if (argc > 3) {
            bad = 1;
            fprintf(stderr, "copyjit: unknown argument '%s' after --batch FILE (only --trace-every N)\n", argv[3]);
        }
        rc = bad ? 2 : cj_tool_batch(mem, argv[2], (unsigned)every, stdout);
    } else if (strcmp(cmd, "run") == 0 && argc > 2) {
        size_t len;
        char *text = cj_read_file(argv[2], &len);
        if (!text) {
            fprintf(stderr, "copyjit: cannot read %s\n", argv[2]);
            rc = 2;
        } else {
            rc = cj_tool_run_text(mem, text, len, argc > 3 && strcmp(argv[3], "--trace") == 0, stdout, stderr);
            free(text);
        }
    } else if (strcmp(cmd, "--list") == 0) {
        rc = cj_list();
    } else {
        cj_usage();
    }
    jit_execmem_destroy(mem);
    return rc;
}
