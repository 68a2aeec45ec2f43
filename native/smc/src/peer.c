/* peer.c: compare our measurements with the original's output
 * (animetosho/jit_smc_test, `test` stdout): parse, map names, rank, Spearman. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smc/smc.h"

/* The original's DO_TIME_TEST names -> ours. Every test in its test.c is
 * here, including those its build leaves out on this CPU (cldemote without
 * CLDEMOTE, the AVX/AVX-512 ones without those flags). */
static const struct {
    const char *theirs, *ours;
} peer_map[] = {
    {"jit_plain", "plain"},
    {"jit_only", "baseline"},
    {"jit_reverse", "reverse"},
    {"jit_memcpy", "copy_memcpy"},
    {"jit_memcpy_movsb", "copy_rep_movsb"},
    {"jit_memcpy_movsq", "copy_rep_movsq"},
    {"jit_memcpy_sse2", "copy_sse"},
    {"jit_memcpy_sse2_nt", "copy_sse_nt"},
    {"jit_memcpy_avx", "copy_avx"},
    {"jit_memcpy_avx_nt", "copy_avx_nt"},
    {"jit_memcpy_avx3", "copy_avx512"},
    {"jit_memcpy_avx3_nt", "copy_avx512_nt"},
    {"jit_memcpy_sse2_rev", "copy_sse_rev"},
    {"jit_memcpy_avx_rev", "copy_avx_rev"},
    {"jit_memcpy_avx3_rev", "copy_avx512_rev"},
    {"jit_clr", "clear_memset"},
    {"jit_clr_ret", "clear_ret"},
    {"jit_clr_stosb", "clear_rep_stosb"},
    {"jit_clr_stosq", "clear_rep_stosq"},
    {"jit_clr_1byte", "clear_lines"},
    {"jit_clr_2byte", "clear_2byte"},
    {"jit_clr_scatter", "clear_scatter"},
    {"jit_clr_sse2_nt", "clear_nt"},
    {"jit_clr_sse2_1nt", "clear_sse_nt_lines"},
    {"jit_clr_avx_nt", "clear_avx_nt"},
    {"jit_clr_avx_1nt", "clear_avx_nt_lines"},
    {"jit_clr_avx3_nt", "clear_avx512_nt"},
    {"jit_clr_reverse", "clear_memset_reverse"},
    {"jit_clr_1byte_rev", "clear_lines_reverse"},
    {"jit_clr_2byte_rev", "clear_2byte_reverse"},
    {"jit_clzero", "clzero"},
    {"jit_cldemote", "cldemote_before"},
    {"jit_cldemote_after", "cldemote_after"},
    {"jit_clflush", "clflush_before"},
    {"jit_clflush_after", "clflush_after"},
    {"jit_clflushopt", "clflushopt_before"},
    {"jit_clflushopt_after", "clflushopt_after"},
    {"jit_prefetchw", "prefetchw"},
    {"jit_prefetcht1", "prefetcht1"},
    {"jit_prefetcht1_after", "prefetcht1_after"},
    {"jit_ud2", "ud2_guard"},
    {"jit_ud2_clr", "ud2_guard_clear"},
    {"jit_ud2_clr_1byte", "ud2_guard_clear_lines"},
    {"jit_2region", "regions_2"},
    {"jit_4region", "regions_4"},
    {"jit_8region", "regions_8"},
    {"jit_16region", "regions_16"},
    {"jit_32region", "regions_32"},
    {"jit_64region", "regions_64"},
    {"jit_2region_flush", "regions_2_clflush"},
    {"jit_2region_flushopt", "regions_2_clflushopt"},
    {"jit_2region_clr", "regions_2_clear"},
    {"jit_jmp32k", "icache_thrash"},
    {"jit_jmp32k_unalign", "thrash_32k_unaligned"},
    {"jit_jmp64k", "thrash_64k"},
    {"jit_jmp64k_unalign", "thrash_64k_unaligned"},
    {"jit_mfence", "mfence"},
    {"jit_serialize", "serialize_cpuid"},
    {"jit_dual_mapping", "dual_map_cpuid"},
    {"jit_realloc", "remap"},
};
#define PEER_MAP_COUNT (sizeof peer_map / sizeof peer_map[0])

size_t smc_peer_map_count(void) { return PEER_MAP_COUNT; }

enum jit_err smc_peer_map_entry(size_t i, const char **theirs, const char **ours)
{
    if (i >= PEER_MAP_COUNT)
        return JIT_ERR_INVALID_ARG;
    if (theirs)
        *theirs = peer_map[i].theirs;
    if (ours)
        *ours = peer_map[i].ours;
    return JIT_OK;
}

const char *smc_peer_our_name(const char *theirs)
{
    if (!theirs)
        return NULL;
    for (size_t i = 0; i < PEER_MAP_COUNT; i++)
        if (strcmp(peer_map[i].theirs, theirs) == 0)
            return peer_map[i].ours;
    return NULL;
}

/* ---- parsing ---------------------------------------------------------- */

static int is_space(char c) { return c == ' ' || c == '\t'; }
static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Show at most 40 bytes of a bad line, control bytes as '?'. */
static void excerpt(const char *s, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && i < 40 && k + 1 < cap; i++)
        buf[k++] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f ? '?' : s[i];
    if (n > 40 && k + 3 < cap)
        buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
    buf[k] = 0;
}

/* One line (no newline): 1 = an entry, 0 = blank, -1 = garbled (why set). */
static int parse_line(const char *s, size_t n, struct smc_peer_entry *e, const char **why)
{
    if (n && s[n - 1] == '\r')
        n--;
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    if (i == n)
        return 0;
    size_t name0 = i;
    while (i < n && is_name_char(s[i]))
        i++;
    size_t name_len = i - name0;
    if (name_len == 0 || i == n || !is_space(s[i])) {
        *why = "expected '<name> <count> rdtsc counts'";
        return -1;
    }
    if (name_len >= SMC_PEER_NAME_MAX) {
        *why = "strategy name too long";
        return -1;
    }
    while (i < n && is_space(s[i]))
        i++;
    size_t num0 = i;
    double v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + (s[i++] - '0');
    if (i == num0 || i - num0 > 19 || i == n || !is_space(s[i])) {
        *why = "expected a whole number of rdtsc counts after the name";
        return -1;
    }
    while (i < n && is_space(s[i]))
        i++;
    static const char tail[] = "rdtsc counts";
    size_t tl = sizeof tail - 1;
    if (n - i < tl || memcmp(s + i, tail, tl) != 0) {
        *why = "expected 'rdtsc counts' after the count";
        return -1;
    }
    i += tl;
    while (i < n && is_space(s[i]))
        i++;
    if (i != n) {
        *why = "unexpected text after 'rdtsc counts'";
        return -1;
    }
    if (v <= 0) {
        *why = "a count of 0 rdtsc ticks cannot be a measurement";
        return -1;
    }
    memcpy(e->name, s + name0, name_len);
    e->name[name_len] = 0;
    e->counts = v;
    return 1;
}

enum jit_err smc_peer_parse(const char *text, size_t len, const char *file, struct smc_peer_run *out,
                            char *err, size_t err_cap)
{
    if (!out || (!text && len) || (err_cap && !err))
        return JIT_ERR_INVALID_ARG;
    if (!file)
        file = "<peer>";
    if (err_cap)
        err[0] = 0;
    memset(out, 0, sizeof *out);
    unsigned line = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (memchr(s, 0, n)) {
            if (err_cap)
                snprintf(err, err_cap, "%s:%u: NUL byte: not the text output of jit_smc_test", file, line);
            return JIT_ERR_INVALID_ARG;
        }
        struct smc_peer_entry e;
        const char *why = NULL;
        int r = parse_line(s, n, &e, &why);
        if (r == 0)
            continue;
        if (r < 0) {
            char ex[48];
            excerpt(s, n, ex, sizeof ex);
            if (err_cap)
                snprintf(err, err_cap, "%s:%u: %s, got '%s'", file, line, why, ex);
            return JIT_ERR_INVALID_ARG;
        }
        for (size_t k = 0; k < out->count; k++) {
            if (strcmp(out->entries[k].name, e.name) == 0) {
                if (err_cap)
                    snprintf(err, err_cap, "%s:%u: '%s' again (first on line %u): one run per file", file,
                             line, e.name, out->entries[k].line);
                return JIT_ERR_INVALID_ARG;
            }
        }
        if (out->count == SMC_PEER_MAX) {
            if (err_cap)
                snprintf(err, err_cap, "%s:%u: more than %d strategies", file, line, SMC_PEER_MAX);
            return JIT_ERR_INVALID_ARG;
        }
        e.line = line;
        out->entries[out->count++] = e;
    }
    if (out->count == 0) {
        if (err_cap)
            snprintf(err, err_cap, "%s: no '<name> <count> rdtsc counts' line (%s)", file,
                     len ? "only blank lines" : "empty file");
        return JIT_ERR_INVALID_ARG;
    }
    return JIT_OK;
}

enum jit_err smc_peer_load(const char *path, struct smc_peer_run *out, char *err, size_t err_cap)
{
    if (!path || !out || (err_cap && !err))
        return JIT_ERR_INVALID_ARG;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err_cap)
            snprintf(err, err_cap, "%s: cannot read: %s", path, strerror(errno));
        return JIT_ERR_SYSTEM;
    }
    /* The original prints ~60 lines of ~40 bytes: 64 KiB is plenty. */
    enum { CAP = 64 * 1024 };
    char *buf = malloc(CAP + 1);
    if (!buf) {
        fclose(f);
        if (err_cap)
            snprintf(err, err_cap, "%s: out of memory", path);
        return JIT_ERR_NO_MEMORY;
    }
    size_t n = fread(buf, 1, CAP + 1, f);
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    enum jit_err e;
    if (bad) {
        if (err_cap)
            snprintf(err, err_cap, "%s: cannot read: %s", path, strerror(saved));
        e = JIT_ERR_SYSTEM;
    } else if (n > CAP) {
        if (err_cap)
            snprintf(err, err_cap, "%s: larger than %d bytes: not the output of jit_smc_test", path, CAP);
        e = JIT_ERR_INVALID_ARG;
    } else {
        e = smc_peer_parse(buf, n, path, out, err, err_cap);
    }
    free(buf);
    return e;
}

/* ---- ranks and Spearman ----------------------------------------------- */

/* No libm here (the suite links nothing but libc on every target). */
static double abs_d(double v) { return v < 0 ? -v : v; }

/* Square root of v > 0 by Newton's method from above (monotone). */
static double sqrt_pos(double v)
{
    double x = v > 1 ? v : 1;
    for (int i = 0; i < 4096; i++) {
        double nx = 0.5 * (x + v / x);
        if (nx >= x)
            break;
        x = nx;
    }
    return x;
}

/* How far apart two positive numbers are, as a factor >= 1. */
static double factor_apart(double a, double b) { return a > b ? a / b : b / a; }

enum jit_err smc_ranks(const double *x, size_t n, double *ranks)
{
    if ((!x || !ranks) && n)
        return JIT_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != x[i]) /* NaN */
            return JIT_ERR_INVALID_ARG;
        size_t below = 0, equal = 0;
        for (size_t j = 0; j < n; j++) {
            below += x[j] < x[i];
            equal += x[j] == x[i];
        }
        ranks[i] = (double)below + ((double)equal + 1) / 2; /* ties: average of their ranks */
    }
    return JIT_OK;
}

enum jit_err smc_spearman(const double *x, const double *y, size_t n, double *rho)
{
    if (!x || !y || !rho || n < 2)
        return JIT_ERR_INVALID_ARG;
    double *rx = malloc(2 * n * sizeof *rx);
    if (!rx)
        return JIT_ERR_NO_MEMORY;
    double *ry = rx + n;
    enum jit_err e = smc_ranks(x, n, rx);
    if (e == JIT_OK)
        e = smc_ranks(y, n, ry);
    if (e == JIT_OK) {
        double mean = ((double)n + 1) / 2; /* the mean of ranks, ties or not */
        double sxy = 0, sxx = 0, syy = 0;
        for (size_t i = 0; i < n; i++) {
            double dx = rx[i] - mean, dy = ry[i] - mean;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0)
            e = JIT_ERR_INVALID_ARG; /* one side is constant: no correlation */
        else
            *rho = sxy / sqrt_pos(sxx * syy);
    }
    free(rx);
    return e;
}

/* ---- comparison ------------------------------------------------------- */

static const struct smc_result *find_result(const struct smc_report *r, const char *name)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->results[i].name, name) == 0)
            return &r->results[i];
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum jit_err smc_peer_compare(const struct smc_peer_run *peer, const struct smc_report *ours,
                              double calls_per_count, struct smc_peer_comparison *out)
{
    if (!peer || !ours || !out || calls_per_count < 0 || peer->count > SMC_PEER_MAX)
        return JIT_ERR_INVALID_ARG;
    if (calls_per_count == 0)
        calls_per_count = SMC_PEER_CALLS;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < peer->count; i++) {
        const struct smc_peer_entry *e = &peer->entries[i];
        const char *mine = smc_peer_our_name(e->name);
        const struct smc_result *r = mine ? find_result(ours, mine) : NULL;
        const char *why = NULL;
        if (!mine)
            why = "no entry in the mapping table";
        else if (!r)
            why = "not in this run of ours (--only)";
        else if (r->status != SMC_STATUS_OK)
            why = r->reason[0] ? r->reason : smc_status_name(r->status);
        if (why) {
            out->theirs_only[out->theirs_only_count].name = e->name;
            out->theirs_only[out->theirs_only_count++].why = why;
            continue;
        }
        struct smc_peer_match *m = &out->m[out->matched++];
        m->theirs = e->name;
        m->ours = r->name;
        m->theirs_per_call = e->counts / calls_per_count;
        m->ours_per_call = r->ticks_per_call;
        m->ratio = m->ours_per_call / m->theirs_per_call;
    }
    for (size_t i = 0; i < ours->count && out->ours_only_count < SMC_MAX_STRATEGIES; i++) {
        const struct smc_result *r = &ours->results[i];
        int matched = 0;
        for (size_t k = 0; k < out->matched && !matched; k++)
            matched = strcmp(out->m[k].ours, r->name) == 0;
        if (matched)
            continue;
        const char *why = NULL;
        if (r->status != SMC_STATUS_OK)
            why = r->reason[0] ? r->reason : smc_status_name(r->status);
        else {
            int in_table = 0;
            for (size_t k = 0; k < PEER_MAP_COUNT && !in_table; k++)
                in_table = strcmp(peer_map[k].ours, r->name) == 0;
            why = in_table ? "not in the peer file" : "the original has no such test";
        }
        out->ours_only[out->ours_only_count].name = r->name;
        out->ours_only[out->ours_only_count++].why = why;
    }
    size_t n = out->matched;
    if (n == 0)
        return JIT_OK;
    double xs[SMC_PEER_MAX], ys[SMC_PEER_MAX], rx[SMC_PEER_MAX], ry[SMC_PEER_MAX];
    for (size_t k = 0; k < n; k++) {
        xs[k] = out->m[k].theirs_per_call;
        ys[k] = out->m[k].ours_per_call;
    }
    enum jit_err e = smc_ranks(xs, n, rx);
    if (e == JIT_OK)
        e = smc_ranks(ys, n, ry);
    if (e != JIT_OK)
        return e;
    for (size_t k = 0; k < n; k++) {
        out->m[k].rank_theirs = rx[k];
        out->m[k].rank_ours = ry[k];
    }
    out->have_spearman = smc_spearman(xs, ys, n, &out->spearman) == JIT_OK;
    double ratios[SMC_PEER_MAX];
    for (size_t k = 0; k < n; k++)
        ratios[k] = out->m[k].ratio;
    qsort(ratios, n, sizeof ratios[0], cmp_double);
    out->median_ratio = n % 2 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
    return JIT_OK;
}

enum jit_err smc_peer_write(const struct smc_peer_comparison *c, const char *source, FILE *f)
{
    if (!c || !f)
        return JIT_ERR_INVALID_ARG;
    fprintf(f, "Peer: %s (animetosho/jit_smc_test: rdtsc counts per %d calls, shown per call)\n",
            source ? source : "?", SMC_PEER_CALLS);
    fprintf(f, "\n%-22s %-22s %11s %11s %11s %6s %6s\n", "theirs", "ours", "theirs/call",
            "ours/call", "ours/theirs", "rank", "rank");
    fprintf(f, "%-22s %-22s %11s %11s %11s %6s %6s\n", "", "", "", "", "", "theirs", "ours");
    for (size_t k = 0; k < c->matched; k++) {
        const struct smc_peer_match *m = &c->m[k];
        fprintf(f, "%-22s %-22s %11.1f %11.1f %10.2fx %6.1f %6.1f\n", m->theirs, m->ours,
                m->theirs_per_call, m->ours_per_call, m->ratio, m->rank_theirs, m->rank_ours);
    }
    fprintf(f, "\nmatched: %zu strategies; median ours/theirs %.2fx\n", c->matched, c->median_ratio);
    if (c->have_spearman)
        fprintf(f, "Spearman rank correlation over the %zu: %.3f\n", c->matched, c->spearman);
    else
        fprintf(f, "Spearman rank correlation: undefined (%zu matched)\n", c->matched);
    /* The five largest rank differences: what the two runs rank most differently. */
    int used[SMC_PEER_MAX] = {0};
    size_t show = c->matched < 5 ? c->matched : 5;
    if (show)
        fprintf(f, "largest rank differences (theirs -> ours):");
    for (size_t s = 0; s < show; s++) {
        size_t best = 0;
        double bd = -1;
        for (size_t k = 0; k < c->matched; k++) {
            double d = abs_d(c->m[k].rank_theirs - c->m[k].rank_ours);
            if (!used[k] && d > bd)
                bd = d, best = k;
        }
        used[best] = 1;
        fprintf(f, "%s %s %.1f -> %.1f", s ? "," : "", c->m[best].ours, c->m[best].rank_theirs,
                c->m[best].rank_ours);
    }
    if (show)
        fputc('\n', f);
    /* The five ratios furthest (by factor) from the median ratio. */
    memset(used, 0, sizeof used);
    if (show && c->median_ratio > 0)
        fprintf(f, "ratios furthest from the median:");
    for (size_t s = 0; s < show && c->median_ratio > 0; s++) {
        size_t best = 0;
        double bd = -1;
        for (size_t k = 0; k < c->matched; k++) {
            double d = factor_apart(c->m[k].ratio, c->median_ratio);
            if (!used[k] && d > bd)
                bd = d, best = k;
        }
        used[best] = 1;
        fprintf(f, "%s %s %.2fx", s ? "," : "", c->m[best].ours, c->m[best].ratio);
    }
    if (show && c->median_ratio > 0)
        fputc('\n', f);
    fprintf(f, "only theirs: %zu\n", c->theirs_only_count);
    for (size_t k = 0; k < c->theirs_only_count; k++)
        fprintf(f, "  %-22s %s\n", c->theirs_only[k].name, c->theirs_only[k].why);
    fprintf(f, "only ours: %zu\n", c->ours_only_count);
    for (size_t k = 0; k < c->ours_only_count; k++)
        fprintf(f, "  %-22s %s\n", c->ours_only[k].name, c->ours_only[k].why);
    return ferror(f) ? JIT_ERR_SYSTEM : JIT_OK;
}
