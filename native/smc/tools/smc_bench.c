/* smc_bench: run the SMC suite and print a table, JSON or TAP, or
 * (--peer FILE) compare it with the original jit_smc_test's saved output.
 * Exit status: 0 every strategy that ran returned the right values,
 * 1 a strategy returned a wrong value or could not be set up, 2 usage or
 * an unreadable/garbled peer file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smc/smc.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: smc_bench [--quick] [--json|--tap] [--only NAME[,NAME...]] [--trials N]\n"
               "                 [--iterations N] [--list] [--peer FILE [--peer-calls N]]\n"
               "  --peer FILE      FILE is the stdout of animetosho/jit_smc_test's `test`: run ours,\n"
               "                   print ours/theirs per strategy, the Spearman rank correlation\n"
               "                   and the unmatched strategies (docs/smc.md has the name table)\n"
               "  --peer-calls N   calls behind each of its counts (default %d, its ITERS)\n",
            SMC_PEER_CALLS);
}

int main(int argc, char **argv)
{
    struct smc_params p;
    memset(&p, 0, sizeof p);
    enum { TABLE, JSON, TAP } fmt = TABLE;
    static char only_buf[1024];
    const char *only[SMC_MAX_STRATEGIES];
    const char *peer_file = NULL;
    double peer_calls = SMC_PEER_CALLS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            p.flags |= SMC_RUN_QUICK;
        } else if (strcmp(a, "--json") == 0) {
            fmt = JSON;
        } else if (strcmp(a, "--tap") == 0) {
            fmt = TAP;
        } else if (strcmp(a, "--list") == 0) {
            for (size_t k = 0; k < smc_strategy_count(); k++) {
                const char *n, *g, *d;
                smc_strategy_info(k, &n, &g, &d);
                printf("%-22s %-9s %s\n", n, g, d);
            }
            return 0;
        } else if ((strcmp(a, "--trials") == 0 || strcmp(a, "--iterations") == 0) && i + 1 < argc) {
            long v = strtol(argv[++i], NULL, 10);
            if (v <= 0 || v > 10000000) {
                usage(stderr);
                return 2;
            }
            if (a[2] == 't')
                p.trials = (unsigned)v;
            else
                p.iterations = (unsigned)v;
        } else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
            snprintf(only_buf, sizeof only_buf, "%s", argv[++i]);
            for (char *tok = strtok(only_buf, ","); tok && p.only_count < SMC_MAX_STRATEGIES;
                 tok = strtok(NULL, ","))
                only[p.only_count++] = tok;
            p.only = only;
        } else if (strcmp(a, "--peer") == 0 && i + 1 < argc) {
            peer_file = argv[++i];
        } else if (strcmp(a, "--peer-calls") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v <= 0 || v > 100000000) {
                usage(stderr);
                return 2;
            }
            peer_calls = (double)v;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "smc_bench: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    static struct smc_peer_run peer;
    if (peer_file) {
        if (fmt != TABLE) {
            fprintf(stderr, "smc_bench: --peer prints its own table; drop --json/--tap\n");
            return 2;
        }
        char why[512];
        if (smc_peer_load(peer_file, &peer, why, sizeof why) != JIT_OK) {
            fprintf(stderr, "smc_bench: %s\n", why);
            return 2;
        }
    }
    static struct smc_report r;
    enum jit_err e = smc_run(&p, &r);
    if (e != JIT_OK) {
        fprintf(stderr, "smc_bench: invalid arguments (error %d): unknown strategy name? see --list\n", (int)e);
        return 2;
    }
    if (peer_file) {
        static struct smc_peer_comparison cmp;
        smc_report_write_table(&r, stdout);
        fputc('\n', stdout);
        smc_peer_compare(&peer, &r, peer_calls, &cmp);
        smc_peer_write(&cmp, peer_file, stdout);
    } else if (fmt == JSON)
        smc_report_write_json(&r, stdout);
    else if (fmt == TAP)
        smc_report_write_tap(&r, stdout);
    else
        smc_report_write_table(&r, stdout);
    return smc_report_all_correct(&r) ? 0 : 1;
}
