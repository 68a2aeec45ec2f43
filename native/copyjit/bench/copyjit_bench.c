/* copyjit_bench: emission speed and the billion-sum against C.
 *   copyjit_bench [--n N] [--rounds R] [--json] [--peer DIR]
 * Prints ops emitted per second, microseconds per 1,000-op program (emit
 * only, and emit + copy into executable memory), and the billion-sum time
 * for copyjit and for the same loop compiled from C at -O0 and -O1 (best of
 * R interleaved rounds, default 3). --peer DIR: DIR is a checkout of the
 * original copyjit; its billion-sum program (DIR/copyjit or
 * DIR/examples/copyjit, built with make if neither exists) runs in the same
 * rounds and its time is printed beside ours. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cj_internal.h"
#include "copyjit.h"

uint64_t cj_sum_c_o0(uint64_t n);
uint64_t cj_sum_c_o1(uint64_t n);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define NOPS 1000

/* ---- --peer: the original copyjit's own billion-sum program ---- */

static int is_exe(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Runs argv with stdout to out_fd (or /dev/null) and stderr to /dev/null;
 * returns the exit status, or -1 when it could not be run. */
static int run_quiet(char *const argv[], int out_fd)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(out_fd >= 0 ? out_fd : nul, 1);
            dup2(nul, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The peer's program in prog (size n): an existing one, else after make
 * (the seed README's `make`, then `make examples` of later versions).
 * Returns 0, or -1 with why filled. */
static int peer_find(const char *dir, char *prog, size_t n, char *why, size_t wn)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, wn, "%s is not a directory", dir);
        return -1;
    }
    static const char *const cand[] = {"copyjit", "examples/copyjit"};
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
            snprintf(prog, n, "%s/%s", dir, cand[i]);
            if (is_exe(prog)) return 0;
        }
        if (pass == 2) break;
        snprintf(prog, n, "%s/Makefile", dir);
        if (stat(prog, &st) != 0) {
            snprintf(why, wn, "no copyjit program and no Makefile in %s", dir);
            return -1;
        }
        char *argv[] = {"make", "-C", (char *)dir, "RELEASE=1", pass == 0 ? NULL : "examples", NULL};
        run_quiet(argv, -1);
    }
    snprintf(why, wn, "make in %s built no copyjit or examples/copyjit", dir);
    return -1;
}

/* One run of the peer's program: wall time, and the number it printed. */
static int peer_run(const char *prog, double *secs, uint64_t *result)
{
    FILE *f = tmpfile();
    if (!f) return -1;
    char *argv[] = {(char *)prog, NULL};
    double t0 = now();
    int rc = run_quiet(argv, fileno(f));
    *secs = now() - t0;
    rewind(f);
    unsigned long long v = 0;
    int got = fscanf(f, "%llu", &v) == 1;
    fclose(f);
    *result = v;
    return rc == 0 && got ? 0 : -1;
}

/* A typical mix: ALU with registers and immediates, memory, stack, branches. */
static int op_label[NOPS];

/* The same program three ways: op by op through the code cj_emit had before
 * its fast path (cj_emit_reference), op by op through cj_emit, and one
 * cj_emit_n call per 50-op block. */
enum { EMIT_REF, EMIT_OP, EMIT_RUN, EMIT_WAYS };
static const char *const emit_way[EMIT_WAYS] = {"reference", "cj_emit", "cj_emit_n"};
static cj_word op_imm[NOPS];

static void emit_program(struct cj_builder *b, const int *ops, const int *labels, int way)
{
    for (int blk = 0; blk < NOPS / 50; blk++) {
        cj_label_bind(b, labels[blk]);
        if (way == EMIT_RUN) {
            cj_emit_n(b, ops + blk * 50, op_imm + blk * 50, op_label + blk * 50, 50);
        } else if (way == EMIT_OP) {
            for (int i = blk * 50; i < blk * 50 + 50; i++) cj_emit(b, ops[i], (cj_word)i, op_label[i]);
        } else {
            for (int i = blk * 50; i < blk * 50 + 50; i++) cj_emit_reference(b, ops[i], (cj_word)i, op_label[i]);
        }
    }
}

/* Best time of one program for each way, over alternating batches. */
static void time_emission(struct cj_builder *b, const int *ops, int *labels, double best[EMIT_WAYS])
{
    enum { ITERS = 100 };
    for (int w = 0; w < EMIT_WAYS; w++) best[w] = 1e9;
    for (int rep = 0; rep < 400; rep++) {
        for (int w = 0; w < EMIT_WAYS; w++) {
            double t0 = now();
            for (int it = 0; it < ITERS; it++) {
                cj_builder_reset(b);
                for (int i = 0; i < NOPS / 50; i++) cj_label_new(b, &labels[i]);
                emit_program(b, ops, labels, w);
            }
            double t = (now() - t0) / ITERS;
            if (t < best[w]) best[w] = t;
        }
    }
}

int main(int argc, char **argv)
{
    uint64_t n = 1000000000ull;
    int json = 0, rounds = 3;
    const char *peer = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) n = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc) peer = argv[++i];
        else {
            fprintf(stderr, "usage: copyjit_bench [--n N] [--rounds R] [--json] [--peer DIR]\n");
            return 2;
        }
    }
    if (rounds < 1) rounds = 1;
    /* The peer first: a missing or unbuildable one stops before the long part. */
    char peer_prog[4096];
    if (peer) {
        char why[4200];
        if (peer_find(peer, peer_prog, sizeof peer_prog, why, sizeof why)) {
            fprintf(stderr, "copyjit_bench: --peer: %s\n", why);
            return 2;
        }
    }
    if (cj_init()) {
        fprintf(stderr, "copyjit_bench: template check failed (run copyjit --check)\n");
        return 1;
    }
    struct jit_execmem *mem;
    struct jit_execmem_params mp;
    memset(&mp, 0, sizeof mp);
    if (jit_execmem_create(&mp, &mem)) return 1;

    static const char *const mix[] = {"add_a_x", "add_x_i", "sub_y_a", "mul_a_y", "xor_o_i", "ld_a_x", "st_x_a",
                                      "push_a", "pop_y", "bltu_x_i", "mov_y_i", "shl_a_i", "and_a_o", "bne_a_y"};
    /* ops: the benchmark's program since its first version ((i * 7) % 14
     * picks only mix[0] and mix[7]: add_a_x and push_a, no data slots);
     * ops_mix: every op of the mix in turn (immediates, memory, branches). */
    int ops[NOPS], ops_mix[NOPS];
    for (int i = 0; i < NOPS; i++) {
        cj_op_find(mix[(i * 7) % (int)(sizeof mix / sizeof mix[0])], &ops[i]);
        cj_op_find(mix[i % (int)(sizeof mix / sizeof mix[0])], &ops_mix[i]);
        op_label[i] = (i / 50 + 1) % (NOPS / 50); /* label ids are 0..19 after each reset */
        op_imm[i] = (cj_word)i;
    }

    struct cj_builder *b;
    cj_builder_create(NULL, &b);
    int labels[NOPS / 50];
    /* warm up */
    for (int i = 0; i < NOPS / 50; i++) cj_label_new(b, &labels[i]);
    emit_program(b, ops, labels, EMIT_OP);

    /* Minimum over many short batches, the ways alternating: the machine is
     * shared, take the quiet moments and give each way the same ones. */
    double best_w[EMIT_WAYS], mix_w[EMIT_WAYS];
    time_emission(b, ops, labels, best_w);
    time_emission(b, ops_mix, labels, mix_w);
    double best = best_w[EMIT_OP];
    cj_builder_reset(b);
    for (int i = 0; i < NOPS / 50; i++) cj_label_new(b, &labels[i]);
    emit_program(b, ops, labels, EMIT_OP);
    size_t code = cj_builder_code_size(b);
    double finish_best = 1e9;
    for (int rep = 0; rep < 200; rep++) {
        cj_builder_reset(b);
        double t0 = now();
        for (int i = 0; i < NOPS / 50; i++) cj_label_new(b, &labels[i]);
        emit_program(b, ops, labels, EMIT_OP);
        struct cj_program *p = NULL;
        cj_builder_finish(b, mem, &p);
        double t = now() - t0;
        cj_program_free(p);
        if (t < finish_best) finish_best = t;
    }
    cj_builder_destroy(b);
    double ops_per_s = NOPS / best;

    /* billion-sum */
    char text[512];
    snprintf(text, sizeof text,
             "mov a, 0\nmov x, 0\nbgeu x, %" PRIu64 ", done\nloop:\nadd a, x\nadd x, 1\nbltu x, %" PRIu64 ", loop\ndone:\nhalt\n",
             n, n);
    struct cj_builder *sb;
    struct cj_program *sp = NULL;
    cj_builder_create(NULL, &sb);
    cj_parse(sb, text, strlen(text), NULL);
    if (cj_builder_finish(sb, mem, &sp)) return 1;
    cj_builder_destroy(sb);
    /* Best of `rounds` interleaved rounds (copyjit, C -O0, C -O1 in turn): on a
     * shared VM a single timing swings by tens of percent; the minimum of
     * interleaved runs compares like with like. */
    struct cj_run r;
    double t_jit = 1e9, t_o0 = 1e9, t_o1 = 1e9, t_peer = 1e9;
    uint64_t c0 = 0, c1 = 0, peer_sum = 0;
    volatile uint64_t vn = n;
    for (int round = 0; round < rounds; round++) {
        if (peer) {
            double t;
            if (peer_run(peer_prog, &t, &peer_sum)) {
                fprintf(stderr, "copyjit_bench: --peer: %s failed or printed no number\n", peer_prog);
                return 2;
            }
            if (t < t_peer) t_peer = t;
        }
        memset(&r, 0, sizeof r);
        double t0 = now();
        cj_program_run(sp, &r);
        double t = now() - t0;
        if (t < t_jit) t_jit = t;
        t0 = now();
        c0 = cj_sum_c_o0(vn);
        t = now() - t0;
        if (t < t_o0) t_o0 = t;
        t0 = now();
        c1 = cj_sum_c_o1(vn);
        t = now() - t0;
        if (t < t_o1) t_o1 = t;
    }
    cj_program_free(sp);
    int agree = c0 == r.ra && c1 == r.ra;

    if (json) {
        printf("{\"arch\":\"%s\",\"emit_ops_per_s\":%.0f,\"ns_per_op\":%.3f,\"us_per_1000_ops_emit\":%.3f,"
               "\"us_per_1000_ops_emit_finish\":%.3f,\"code_bytes_1000_ops\":%zu,\"sum_n\":%" PRIu64 ","
               "\"sum_jit_s\":%.4f,\"sum_c_o0_s\":%.4f,\"sum_c_o1_s\":%.4f,\"jit_vs_o1\":%.3f,\"jit_vs_o0\":%.3f,"
               "\"results_agree\":%s,\"emit_ref_ops_per_s\":%.0f,\"emit_n_ops_per_s\":%.0f,"
               "\"mix_emit_ref_ops_per_s\":%.0f,\"mix_emit_ops_per_s\":%.0f,\"mix_emit_n_ops_per_s\":%.0f",
               cj_arch_desc(), ops_per_s, best / NOPS * 1e9, best * 1e6, finish_best * 1e6, code, n, t_jit, t_o0, t_o1,
               t_jit / t_o1, t_jit / t_o0, agree ? "true" : "false", NOPS / best_w[EMIT_REF], NOPS / best_w[EMIT_RUN],
               NOPS / mix_w[EMIT_REF], NOPS / mix_w[EMIT_OP], NOPS / mix_w[EMIT_RUN]);
        if (peer)
            printf(",\"peer_sum_s\":%.4f,\"peer_sum\":%" PRIu64 ",\"peer_vs_o1\":%.3f,\"jit_vs_peer\":%.3f", t_peer,
                   peer_sum, t_peer / t_o1, t_jit / t_peer);
        printf("}\n");
    } else {
        printf("copyjit bench (%s)\n", cj_arch_desc());
        printf("  emit: %.1f M ops/s (%.2f ns/op), %.2f us per 1000-op program (%zu code bytes)\n", ops_per_s / 1e6,
               best / NOPS * 1e9, best * 1e6, code);
        for (int w = 0; w < EMIT_WAYS; w++)
            printf("    %-10s %6.1f M ops/s (%.2f ns/op); 14-op mix %6.1f M ops/s\n", emit_way[w],
                   NOPS / best_w[w] / 1e6, best_w[w] / NOPS * 1e9, NOPS / mix_w[w] / 1e6);
        printf("  emit + copy to executable memory: %.2f us per 1000-op program\n", finish_best * 1e6);
        printf("  sum(0..%" PRIu64 "-1) = %" PRIu64 ": copyjit %.3f s, C -O0 %.3f s, C -O1 %.3f s\n", n, r.ra, t_jit,
               t_o0, t_o1);
        printf("  copyjit / C -O1 = %.2fx, copyjit / C -O0 = %.2fx%s\n", t_jit / t_o1, t_jit / t_o0,
               agree ? "" : "  (RESULTS DISAGREE)");
        if (peer)
            printf("  original copyjit (%s, its own billion-sum, printed %" PRIu64 "): %.3f s = %.2fx C -O1; "
                   "ours / original = %.2fx%s\n",
                   peer_prog, peer_sum, t_peer, t_peer / t_o1, t_jit / t_peer,
                   n == 1000000000ull ? "" : " (ours ran a different n: not like for like)");
    }
    jit_execmem_destroy(mem);
    return agree ? 0 : 1;
}
