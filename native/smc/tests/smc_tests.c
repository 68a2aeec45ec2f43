/* smc_tests: TAP tests of the SMC suite and the emitter. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit/execmem.h"
#include "smc/smc.h"
#include "smc/smc_emit.h"
#include "smc_internal.h"
#include "tap.h"

/* TAP_CHECK_EQ evaluates its arguments twice: calls with effects go here. */
#define CHECK_ERR(call, want)                                                  \
    do {                                                                       \
        long long got_ = (long long)(call);                                    \
        TAP_CHECKF(got_ == (long long)(want), "%s: got %lld, want %lld", #call, got_, \
                   (long long)(want));                                         \
    } while (0)

static struct smc_report report; /* large: keep off the stack */

TAP_CASE(every_strategy_returns_the_right_value)
{
    struct smc_params p = {.flags = SMC_RUN_QUICK, .trials = 2, .iterations = 60, .warmup = 20};
    CHECK_ERR(smc_run(&p, &report), JIT_OK);
    TAP_CHECK_EQ(report.count, smc_strategy_count());
    for (size_t i = 0; i < report.count; i++) {
        const struct smc_result *r = &report.results[i];
#if defined(SMC_NO_CODEGEN)
        TAP_CHECKF(r->status == SMC_STATUS_SKIPPED, "%s", r->name);
        continue;
#endif
        TAP_CHECKF(r->status == SMC_STATUS_OK || r->status == SMC_STATUS_SKIPPED,
                   "%s: %s %s", r->name, smc_status_name(r->status), r->reason);
        if (r->status == SMC_STATUS_SKIPPED)
            TAP_CHECKF(r->reason[0] != 0, "%s skipped without a reason", r->name);
        if (r->status == SMC_STATUS_OK) {
            TAP_CHECKF(r->wrong == 0 && r->last_value == r->last_expected, "%s", r->name);
            TAP_CHECKF(r->calls == 20 + 2 * 60, "%s made %llu calls", r->name,
                       (unsigned long long)r->calls);
            TAP_CHECKF(r->ticks_per_call > 0, "%s", r->name);
        }
    }
    TAP_CHECK(smc_report_all_correct(&report));
}

TAP_CASE(portable_strategies_present)
{
    static const char *const names[] = {"baseline", "plain", "reverse", "copy_memcpy",
                                        "clear_memset", "clear_lines", "clear_2byte",
                                        "clear_memset_reverse", "clear_lines_reverse",
                                        "clear_2byte_reverse", "regions_2", "regions_64",
                                        "regions_2_clear", "dual_map", "remap"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int found = 0;
        for (size_t k = 0; k < smc_strategy_count(); k++) {
            const char *n;
            smc_strategy_info(k, &n, NULL, NULL);
            found |= strcmp(n, names[i]) == 0;
        }
        TAP_CHECKF(found, "%s missing", names[i]);
    }
#if defined(SMC_X86)
    /* Every test of the original has a strategy of ours on x86. */
    for (size_t i = 0; i < smc_peer_map_count(); i++) {
        const char *theirs, *ours;
        CHECK_ERR(smc_peer_map_entry(i, &theirs, &ours), JIT_OK);
        int found = 0;
        for (size_t k = 0; k < smc_strategy_count(); k++) {
            const char *n;
            smc_strategy_info(k, &n, NULL, NULL);
            found |= strcmp(n, ours) == 0;
        }
        TAP_CHECKF(found, "%s maps to %s, which this build lacks", theirs, ours);
    }
    TAP_CHECK_EQ(smc_peer_map_count(), 60);
    TAP_CHECK(smc_strategy_count() >= 63);
#endif
    CHECK_ERR(smc_peer_map_entry(smc_peer_map_count(), NULL, NULL), JIT_ERR_INVALID_ARG);
}

TAP_CASE(only_filter_and_ratios)
{
    const char *only[] = {"plain", "baseline"};
    struct smc_params p = {.flags = SMC_RUN_QUICK, .only = only, .only_count = 2,
                           .trials = 2, .iterations = 50, .warmup = 10};
    CHECK_ERR(smc_run(&p, &report), JIT_OK);
    TAP_CHECK_EQ(report.count, 2);
    if (report.count == 2 && report.results[1].status == SMC_STATUS_OK) {
        TAP_CHECK(strcmp(report.results[0].name, "baseline") == 0); /* table order */
        TAP_CHECK(report.results[1].ratio_to_plain == 1.0);
        TAP_CHECK(report.results[0].penalty_over_baseline == 0.0);
        TAP_CHECK(report.plain_ticks == report.results[1].ticks_per_call);
        TAP_CHECK(report.best && strcmp(report.best, "plain") == 0); /* baseline never "best" */
    }
    const char *bad[] = {"plain", "no_such_strategy"};
    p.only = bad;
    CHECK_ERR(smc_run(&p, &report), JIT_ERR_INVALID_ARG);
    CHECK_ERR(smc_run(NULL, NULL), JIT_ERR_INVALID_ARG);
}

TAP_CASE(cpu_identification)
{
    struct smc_cpu_info c;
    CHECK_ERR(smc_cpu_identify(0, &c), JIT_OK);
    TAP_CHECK(strcmp(c.arch, SMC_ARCH_NAME) == 0);
    TAP_CHECK(strcmp(smc_uarch_name("AuthenticAMD", 0x1a, 0x02), "Zen 5") == 0);
    TAP_CHECK(strcmp(smc_uarch_name("GenuineIntel", 6, 0x8f), "Sapphire Rapids") == 0);
    TAP_CHECK(strcmp(smc_uarch_name("GenuineIntel", 6, 0x01), "unknown") == 0);
    TAP_CHECK(strcmp(smc_uarch_name(NULL, 6, 0x8f), "unknown") == 0);
    char sig[96], small[2];
    CHECK_ERR(smc_cpu_signature(&c, sig, sizeof sig), JIT_OK);
    CHECK_ERR(smc_cpu_signature(&c, small, sizeof small), JIT_ERR_INVALID_ARG);
#if defined(SMC_X86)
    TAP_CHECK(c.vendor[0] != 0);
    TAP_CHECK(c.family > 0);
    TAP_CHECK(c.features & SMC_F_RDTSC);
    TAP_CHECK(strncmp(sig, c.vendor, strlen(c.vendor)) == 0);
#else
    TAP_CHECK(c.vendor[0] == 0);
#endif
    CHECK_ERR(smc_cpu_identify(0, NULL), JIT_ERR_INVALID_ARG);
}

TAP_CASE(json_and_tap_output)
{
    const char *only[] = {"plain", "copy_memcpy"};
    struct smc_params p = {.flags = SMC_RUN_QUICK, .only = only, .only_count = 2, .trials = 1,
                           .iterations = 20, .warmup = 5};
    CHECK_ERR(smc_run(&p, &report), JIT_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_ERR(smc_report_write_json(&report, f), JIT_OK);
    fclose(f);
    TAP_CHECK(strstr(buf, "\"schema\": \"matrix-smc/1\"") != NULL);
    TAP_CHECK(strstr(buf, "\"name\": \"copy_memcpy\"") != NULL);
    int depth = 0, min_depth = 0;
    for (const char *s = buf; *s; s++) {
        depth += (*s == '{' || *s == '[') - (*s == '}' || *s == ']');
        if (depth < min_depth)
            min_depth = depth;
    }
    TAP_CHECK_EQ(depth, 0);
    TAP_CHECK_EQ(min_depth, 0);
    free(buf);
    f = open_memstream(&buf, &len);
    CHECK_ERR(smc_report_write_tap(&report, f), JIT_OK);
    fclose(f);
    TAP_CHECK(strncmp(buf, "TAP version 13\n1..2\n", 20) == 0);
    free(buf);
}

struct gen_ctx {
    uint32_t seed, expected;
};

static enum jit_err write_fn(uint8_t *dst, size_t cap, void *ctx, size_t *written)
{
    struct gen_ctx *g = ctx;
    if (cap < SMC_CODE_BYTES)
        return JIT_ERR_OUT_OF_RANGE;
    g->expected = smc_gen(dst, g->seed);
    *written = SMC_CODE_BYTES;
    return JIT_OK;
}

static enum jit_err write_too_much(uint8_t *dst, size_t cap, void *ctx, size_t *written)
{
    (void)dst, (void)ctx;
    *written = cap + 1;
    return JIT_OK;
}

TAP_CASE(emitter_every_strategy)
{
#if defined(SMC_NO_CODEGEN)
    tap_skip("no code generator for this architecture");
    return;
#endif
    struct smc_cpu_info cpu;
    smc_cpu_identify(0, &cpu);
    for (unsigned s = SMC_EMIT_PLAIN; s < SMC_EMIT__COUNT; s++) {
        struct smc_emit_params p = {.strategy = (enum smc_emit_strategy)s, .regions = 3};
        struct smc_emitter *em = NULL;
        enum jit_err e = smc_emitter_create(&p, &em);
        if (smc_emit_strategy_supported(&cpu, p.strategy) != JIT_OK) {
            TAP_CHECKF(e == JIT_ERR_UNSUPPORTED, "%s", smc_emit_strategy_name(p.strategy));
            continue;
        }
        TAP_CHECKF(e == JIT_OK, "%s: %d", smc_emit_strategy_name(p.strategy), e);
        if (e != JIT_OK)
            continue;
        CHECK_ERR(smc_emitter_strategy(em), s);
        void *first = NULL;
        for (uint32_t k = 0; k < 7; k++) {
            struct gen_ctx g = {.seed = 1000u + k * 77u};
            void *entry = NULL;
            CHECK_ERR(smc_emitter_emit_with(em, write_fn, &g, &entry), JIT_OK);
            uint32_t v = SMC_CALL(entry);
            TAP_CHECKF(v == g.expected, "%s emit %u: got 0x%x want 0x%x",
                       smc_emit_strategy_name(p.strategy), k, v, g.expected);
            if (k == 0)
                first = entry;
            if (s == SMC_EMIT_REGIONS)
                TAP_CHECK((k % 3 == 0) == (entry == first)); /* rotates over 3 pages */
        }
        /* Ready-made bytes go through the same path. */
        static uint8_t bytes[SMC_CODE_BYTES];
        uint32_t want = smc_gen(bytes, 42);
        void *entry = NULL;
        CHECK_ERR(smc_emitter_emit(em, bytes, sizeof bytes, &entry), JIT_OK);
        CHECK_ERR(SMC_CALL(entry), want);
        CHECK_ERR(smc_emitter_emit_with(em, write_too_much, NULL, &entry), JIT_ERR_OUT_OF_RANGE);
        CHECK_ERR(smc_emitter_emit(em, NULL, 4, &entry), JIT_ERR_INVALID_ARG);
        smc_emitter_destroy(em);
    }
    struct smc_emit_params bad = {.strategy = SMC_EMIT__COUNT};
    struct smc_emitter *em = NULL;
    CHECK_ERR(smc_emitter_create(&bad, &em), JIT_ERR_INVALID_ARG);
    TAP_CHECK(em == NULL);
}

TAP_CASE(emitter_auto_measures_then_uses_cache)
{
    char path[] = "/tmp/smc-cache-XXXXXX";
    int fd = mkstemp(path);
    TAP_CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    unlink(path);
    struct smc_cpu_info cpu;
    smc_cpu_identify(0, &cpu);
    char why[1200], sig[96];
    smc_cpu_signature(&cpu, sig, sizeof sig);
    enum smc_emit_strategy s = SMC_EMIT_AUTO;
    struct smc_emit_params p = {.cache_path = path, .flags = SMC_EMIT_NO_TABLE};
    CHECK_ERR(smc_emit_choose(&cpu, &p, &s, why, sizeof why), JIT_OK);
    TAP_CHECK(s != SMC_EMIT_AUTO);
    tap_diag("auto (measured): %s -- %s", smc_emit_strategy_name(s), why);
#if defined(SMC_X86)
    TAP_CHECKF(strncmp(why, "measured", 8) == 0, "%s", why);
    FILE *f = fopen(path, "r");
    TAP_CHECK(f != NULL);
    if (f) {
        char line[256] = "";
        TAP_CHECK(fgets(line, sizeof line, f) != NULL);
        TAP_CHECKF(strncmp(line, sig, strlen(sig)) == 0, "%s", line);
        fclose(f);
    }
    /* A second choice reads the cache; an edited cache wins over measuring. */
    enum smc_emit_strategy again = SMC_EMIT_AUTO;
    CHECK_ERR(smc_emit_choose(&cpu, &p, &again, why, sizeof why), JIT_OK);
    TAP_CHECK_EQ(again, s);
    TAP_CHECKF(strncmp(why, "cached", 6) == 0, "%s", why);
    f = fopen(path, "w");
    fprintf(f, "Other-1-2-3 copy_sse 1.0\n%s dual_map 1.0\n", sig);
    fclose(f);
    CHECK_ERR(smc_emit_choose(&cpu, &p, &again, why, sizeof why), JIT_OK);
    TAP_CHECK_EQ(again, SMC_EMIT_DUAL_MAP);
    struct smc_emitter *em = NULL;
    CHECK_ERR(smc_emitter_create(&p, &em), JIT_OK);
    CHECK_ERR(smc_emitter_strategy(em), SMC_EMIT_DUAL_MAP);
    smc_emitter_destroy(em);
    /* Table lookup when the CPU's microarchitecture is known. */
    struct smc_cpu_info zen5 = cpu;
    zen5.uarch = "Zen 5";
    struct smc_emit_params t = {.flags = SMC_EMIT_NO_CACHE};
    CHECK_ERR(smc_emit_choose(&zen5, &t, &again, why, sizeof why), JIT_OK);
    TAP_CHECKF(strncmp(why, "table", 5) == 0, "%s", why);
    /* The other CPU's line survives a re-measure of this one. */
    p.flags |= SMC_EMIT_REMEASURE;
    CHECK_ERR(smc_emit_choose(&cpu, &p, &again, why, sizeof why), JIT_OK);
    f = fopen(path, "r");
    char all[512] = "";
    size_t n = f ? fread(all, 1, sizeof all - 1, f) : 0;
    all[n] = 0;
    if (f)
        fclose(f);
    TAP_CHECK(strstr(all, "Other-1-2-3 copy_sse") != NULL);
    TAP_CHECK(strstr(all, " dual_map ") == NULL || again == SMC_EMIT_DUAL_MAP);
#else
    TAP_CHECK_EQ(s, SMC_EMIT_PLAIN);
#endif
    unlink(path);
}

/* "Using the answer" in the JIT core: the measured fastest copy becomes what
 * JIT_EMIT_AUTO means, and a core allocator created with AUTO uses it. */
TAP_CASE(core_auto_uses_the_measured_copy)
{
    char path[] = "/tmp/smc-core-cache-XXXXXX";
    int fd = mkstemp(path);
    TAP_CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    unlink(path);
    char why[1200];
    enum jit_emit_strategy chosen = JIT_EMIT_AUTO;
    struct smc_emit_params p = {.cache_path = path, .flags = SMC_EMIT_NO_TABLE};
    CHECK_ERR(smc_emit_configure_core_auto(&p, &chosen, why, sizeof why), JIT_OK);
    tap_diag("core auto: %s -- %s", jit_emit_strategy_name(chosen), why);
    TAP_CHECK(chosen != JIT_EMIT_AUTO && jit_emit_supported(chosen) == JIT_OK);
    TAP_CHECK_EQ(jit_emit_resolve(JIT_EMIT_AUTO), chosen);
    struct jit_execmem *m = NULL;
    struct jit_execmem_params mp = {0}; /* emit = AUTO */
    CHECK_ERR(jit_execmem_create(&mp, &m), JIT_OK);
    TAP_CHECK_EQ(jit_execmem_get_emit(m), chosen);
    jit_execmem_destroy(m);
#if defined(SMC_X86)
    TAP_CHECKF(strncmp(why, "measured", 8) == 0, "%s", why);
    /* The answer is cached under its own key; an edited cache wins. */
    struct smc_cpu_info cpu;
    smc_cpu_identify(0, &cpu);
    char sig[96];
    smc_cpu_signature(&cpu, sig, sizeof sig);
    FILE *f = fopen(path, "w");
    TAP_CHECK(f != NULL);
    if (f) {
        fprintf(f, "%s regions_4 1.0\n%s:copy copy_rep_movsb 1.0\n", sig, sig);
        fclose(f);
    }
    CHECK_ERR(smc_emit_configure_core_auto(&p, &chosen, why, sizeof why), JIT_OK);
    TAP_CHECK_EQ(chosen, JIT_EMIT_COPY_REP_MOVSB);
    TAP_CHECKF(strncmp(why, "cached", 6) == 0, "%s", why);
    unlink(path);
#else
    TAP_CHECK_EQ(chosen, JIT_EMIT_COPY_MEMCPY);
#endif
    CHECK_ERR(jit_emit_set_auto(JIT_EMIT_AUTO), JIT_OK); /* leave the process default */
}

TAP_CASE(strategy_names_round_trip)
{
    for (unsigned s = 0; s < SMC_EMIT__COUNT; s++) {
        enum smc_emit_strategy back;
        CHECK_ERR(smc_emit_strategy_parse(smc_emit_strategy_name((enum smc_emit_strategy)s), &back),
                     JIT_OK);
        TAP_CHECK_EQ(back, s);
    }
    enum smc_emit_strategy x;
    CHECK_ERR(smc_emit_strategy_parse("regions_16", &x), JIT_OK);
    TAP_CHECK_EQ(x, SMC_EMIT_REGIONS);
    CHECK_ERR(smc_emit_strategy_parse("bogus", &x), JIT_ERR_INVALID_ARG);
}

/* ---- --peer: the original's output, ranks, Spearman ----------------- */

#include "smc_peer_fixture.h" /* smc_peer_fixture[]: tests/data/jit_smc_test-zen4-kvm.txt */

static struct smc_peer_run peer;
static struct smc_peer_comparison cmp;

static enum jit_err parse_str(const char *text, char *err, size_t cap)
{
    return smc_peer_parse(text, strlen(text), "t.txt", &peer, err, cap);
}

TAP_CASE(peer_parses_the_originals_output)
{
    char err[256];
    CHECK_ERR(smc_peer_parse((const char *)smc_peer_fixture, sizeof smc_peer_fixture, "fixture",
                             &peer, err, sizeof err),
              JIT_OK);
    TAP_CHECKF(err[0] == 0, "%s", err);
    TAP_CHECK_EQ(peer.count, 58); /* what the original runs on this Zen 4 */
    TAP_CHECK(strcmp(peer.entries[0].name, "jit_plain") == 0);
    TAP_CHECK_EQ(peer.entries[0].line, 1);
    TAP_CHECK(strcmp(peer.entries[57].name, "jit_realloc") == 0);
    TAP_CHECK_EQ(peer.entries[57].line, 58);
    for (size_t i = 0; i < peer.count; i++) {
        TAP_CHECKF(smc_peer_our_name(peer.entries[i].name) != NULL, "%s is not in the table",
                   peer.entries[i].name);
        TAP_CHECKF(peer.entries[i].counts >= 1000, "%s: %.0f", peer.entries[i].name,
                   peer.entries[i].counts);
    }
    TAP_CHECK(strcmp(smc_peer_our_name("jit_only"), "baseline") == 0);
    TAP_CHECK(strcmp(smc_peer_our_name("jit_dual_mapping"), "dual_map_cpuid") == 0);
    TAP_CHECK(smc_peer_our_name("jit_nonesuch") == NULL);
    TAP_CHECK(smc_peer_our_name(NULL) == NULL);
}

TAP_CASE(peer_parse_accepts_what_the_original_prints)
{
    char err[256];
    /* %20s right-aligned names, CRLF (its Windows results), blank lines. */
    CHECK_ERR(parse_str("           jit_plain    1698960 rdtsc counts\r\n\n"
                        "jit_clflushopt_after    2687820 rdtsc counts  \n"
                        "\tjit_only 617300 rdtsc counts",
                        err, sizeof err),
              JIT_OK);
    TAP_CHECK_EQ(peer.count, 3);
    TAP_CHECK(peer.entries[0].counts == 1698960.0);
    TAP_CHECK(strcmp(peer.entries[1].name, "jit_clflushopt_after") == 0);
    TAP_CHECK_EQ(peer.entries[1].line, 3);
    TAP_CHECK_EQ(peer.entries[2].line, 4);
    TAP_CHECK(peer.entries[2].counts == 617300.0);
}

TAP_CASE(peer_parse_names_the_bad_line)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"jit_plain 1 rdtsc counts\nFailed to allocate write+execute page\n",
         "t.txt:2: expected a whole number of rdtsc counts after the name, got 'Failed to "
         "allocate write+execute page'"},
        {"\n\njit_plain 12x rdtsc counts\n", "t.txt:3: expected a whole number"},
        {"jit_plain 1200 ticks\n", "t.txt:1: expected 'rdtsc counts' after the count"},
        {"jit_plain 1200 rdtsc counts extra\n", "t.txt:1: unexpected text after 'rdtsc counts'"},
        {"jit_plain 0 rdtsc counts\n", "t.txt:1: a count of 0"},
        {"jit_plain\n", "t.txt:1: expected '<name> <count> rdtsc counts'"},
        {"jit-plain 5 rdtsc counts\n", "t.txt:1: expected '<name> <count> rdtsc counts'"},
        {"jit_plain 5 rdtsc counts\njit_only 6 rdtsc counts\njit_plain 7 rdtsc counts\n",
         "t.txt:3: 'jit_plain' again (first on line 1)"},
        {"jit_plain 123456789012345678901 rdtsc counts\n", "t.txt:1: expected a whole number"},
        {"jit_a_name_longer_than_forty_seven_characters_xx 5 rdtsc counts\n",
         "t.txt:1: strategy name too long"},
        {"", "t.txt: no '<name> <count> rdtsc counts' line (empty file)"},
        {"\n \n", "t.txt: no '<name> <count> rdtsc counts' line (only blank lines)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        CHECK_ERR(parse_str(cases[i].text, err, sizeof err), JIT_ERR_INVALID_ARG);
        TAP_CHECKF(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0, "case %zu: got '%s'", i,
                   err);
        TAP_CHECKF(strchr(err, '\n') == NULL, "case %zu: one line", i);
    }
    char err[256];
    static const char nul[] = "jit_plain 5 rdtsc counts\njit\0only 6 rdtsc counts\n";
    CHECK_ERR(smc_peer_parse(nul, sizeof nul - 1, "t.txt", &peer, err, sizeof err), JIT_ERR_INVALID_ARG);
    TAP_CHECKF(strncmp(err, "t.txt:2: NUL byte", 17) == 0, "%s", err);
    /* More lines than SMC_PEER_MAX. */
    static char many[(SMC_PEER_MAX + 1) * 32];
    size_t n = 0;
    for (int i = 0; i <= SMC_PEER_MAX; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "s%d %d rdtsc counts\n", i, i + 1);
    CHECK_ERR(smc_peer_parse(many, n, "t.txt", &peer, err, sizeof err), JIT_ERR_INVALID_ARG);
    TAP_CHECKF(strstr(err, "t.txt:129: more than 128") == err, "%s", err);
    CHECK_ERR(smc_peer_parse(NULL, 3, "t.txt", &peer, err, sizeof err), JIT_ERR_INVALID_ARG);
    CHECK_ERR(smc_peer_parse("x", 1, "t.txt", NULL, err, sizeof err), JIT_ERR_INVALID_ARG);
}

TAP_CASE(peer_load_reads_a_file_and_names_a_missing_one)
{
    char err[512];
    CHECK_ERR(smc_peer_load("/nonexistent/peer.txt", &peer, err, sizeof err), JIT_ERR_SYSTEM);
    TAP_CHECKF(strncmp(err, "/nonexistent/peer.txt: cannot read: ", 36) == 0, "%s", err);
    char path[] = "/tmp/smc-peer-XXXXXX";
    int fd = mkstemp(path);
    TAP_CHECK(fd >= 0);
    if (fd < 0)
        return;
    TAP_CHECK(write(fd, smc_peer_fixture, sizeof smc_peer_fixture) == (ssize_t)sizeof smc_peer_fixture);
    TAP_CHECK(write(fd, "garbage\n", 8) == 8);
    close(fd);
    CHECK_ERR(smc_peer_load(path, &peer, err, sizeof err), JIT_ERR_INVALID_ARG);
    char want[64];
    snprintf(want, sizeof want, "%s:59: ", path);
    TAP_CHECKF(strncmp(err, want, strlen(want)) == 0, "%s", err);
    FILE *f = fopen(path, "wb");
    TAP_CHECK(f != NULL);
    if (f) {
        fwrite(smc_peer_fixture, 1, sizeof smc_peer_fixture, f);
        fclose(f);
    }
    CHECK_ERR(smc_peer_load(path, &peer, err, sizeof err), JIT_OK);
    TAP_CHECK_EQ(peer.count, 58);
    unlink(path);
}

static int near(double a, double b) { return a - b < 1e-9 && b - a < 1e-9; }

TAP_CASE(spearman_and_ranks)
{
    double rho = 0;
    /* Wikipedia's example (IQ, hours of TV a week): rho = -29/165, no ties. */
    const double iq[] = {106, 100, 86, 101, 99, 103, 97, 113, 112, 110};
    const double tv[] = {7, 27, 2, 50, 28, 29, 20, 12, 6, 17};
    CHECK_ERR(smc_spearman(iq, tv, 10, &rho), JIT_OK);
    TAP_CHECKF(near(rho, -29.0 / 165.0), "rho %.12f", rho);
    /* Monotone but not linear: 1; reversed: -1. */
    const double x[] = {1, 2, 3, 4, 5}, sq[] = {1, 4, 9, 16, 1000}, down[] = {50, 40, 30, 20, 10};
    CHECK_ERR(smc_spearman(x, sq, 5, &rho), JIT_OK);
    TAP_CHECKF(near(rho, 1.0), "rho %.12f", rho);
    CHECK_ERR(smc_spearman(x, down, 5, &rho), JIT_OK);
    TAP_CHECKF(near(rho, -1.0), "rho %.12f", rho);
    /* Ties get their average rank: y ranks 1 2 3.5 5 3.5, rho = 8/sqrt(95). */
    const double tied[] = {5, 6, 7, 8, 7};
    CHECK_ERR(smc_spearman(x, tied, 5, &rho), JIT_OK);
    TAP_CHECKF(near(rho, 0.82078268166812329), "rho %.12f", rho);
    double r[5];
    const double v[] = {3, 1, 4, 1, 5};
    CHECK_ERR(smc_ranks(v, 5, r), JIT_OK);
    TAP_CHECK(r[0] == 3 && r[1] == 1.5 && r[2] == 4 && r[3] == 1.5 && r[4] == 5);
    /* Undefined: fewer than 2 values, no spread, NaN. */
    const double flat[] = {2, 2, 2, 2, 2}, nan_[] = {1, 2, 0.0 / 0.0, 4, 5};
    CHECK_ERR(smc_spearman(x, tied, 1, &rho), JIT_ERR_INVALID_ARG);
    CHECK_ERR(smc_spearman(x, flat, 5, &rho), JIT_ERR_INVALID_ARG);
    CHECK_ERR(smc_spearman(x, nan_, 5, &rho), JIT_ERR_INVALID_ARG);
    CHECK_ERR(smc_spearman(NULL, x, 5, &rho), JIT_ERR_INVALID_ARG);
    CHECK_ERR(smc_ranks(nan_, 5, r), JIT_ERR_INVALID_ARG);
}

static void add_result(struct smc_report *r, const char *name, enum smc_status st, double ticks,
                       const char *reason)
{
    struct smc_result *x = &r->results[r->count++];
    memset(x, 0, sizeof *x);
    x->name = name;
    x->group = "g";
    x->status = st;
    x->ticks_per_call = ticks;
    snprintf(x->reason, sizeof x->reason, "%s", reason);
}

TAP_CASE(peer_compare_matches_ranks_and_lists_the_rest)
{
    memset(&report, 0, sizeof report);
    add_result(&report, "baseline", SMC_STATUS_OK, 600, "");
    add_result(&report, "plain", SMC_STATUS_OK, 1000, "");
    add_result(&report, "copy_sse", SMC_STATUS_SKIPPED, 0, "CPU lacks SSE2 (cpuid.1:edx[26])");
    add_result(&report, "remap", SMC_STATUS_OK, 30000, "");
    add_result(&report, "execmem", SMC_STATUS_OK, 25000, "");
    add_result(&report, "regions_2", SMC_STATUS_OK, 700, "");
    char err[256];
    CHECK_ERR(parse_str("jit_plain 2000000 rdtsc counts\n"
                        "jit_only 1200000 rdtsc counts\n"
                        "jit_memcpy_sse2 900000 rdtsc counts\n"
                        "jit_realloc 10000000 rdtsc counts\n"
                        "jit_newfangled 5 rdtsc counts\n",
                        err, sizeof err),
              JIT_OK);
    CHECK_ERR(smc_peer_compare(&peer, &report, 0, &cmp), JIT_OK);
    TAP_CHECK_EQ(cmp.matched, 3);
    TAP_CHECK(strcmp(cmp.m[0].theirs, "jit_plain") == 0 && strcmp(cmp.m[0].ours, "plain") == 0);
    TAP_CHECK(near(cmp.m[0].theirs_per_call, 2000) && near(cmp.m[0].ours_per_call, 1000));
    TAP_CHECK(near(cmp.m[0].ratio, 0.5));
    TAP_CHECK(near(cmp.m[1].ratio, 0.5));  /* baseline 600 / 1200 */
    TAP_CHECK(near(cmp.m[2].ratio, 3.0));  /* remap 30000 / 10000 */
    TAP_CHECK(cmp.m[1].rank_theirs == 1 && cmp.m[1].rank_ours == 1);
    TAP_CHECK(cmp.m[2].rank_theirs == 3 && cmp.m[2].rank_ours == 3);
    TAP_CHECK(cmp.have_spearman && near(cmp.spearman, 1.0));
    TAP_CHECK(near(cmp.median_ratio, 0.5));
    TAP_CHECK_EQ(cmp.theirs_only_count, 2);
    TAP_CHECK(strcmp(cmp.theirs_only[0].name, "jit_memcpy_sse2") == 0);
    TAP_CHECK(strstr(cmp.theirs_only[0].why, "lacks SSE2") != NULL); /* our skip reason */
    TAP_CHECK(strcmp(cmp.theirs_only[1].name, "jit_newfangled") == 0);
    TAP_CHECK(strcmp(cmp.theirs_only[1].why, "no entry in the mapping table") == 0);
    TAP_CHECK_EQ(cmp.ours_only_count, 3);
    TAP_CHECK(strcmp(cmp.ours_only[0].name, "copy_sse") == 0);
    TAP_CHECK(strcmp(cmp.ours_only[1].name, "execmem") == 0);
    TAP_CHECK(strcmp(cmp.ours_only[1].why, "the original has no such test") == 0);
    TAP_CHECK(strcmp(cmp.ours_only[2].name, "regions_2") == 0);
    TAP_CHECK(strcmp(cmp.ours_only[2].why, "not in the peer file") == 0);

    /* --peer-calls: counts for 2000 calls halve theirs per call. */
    CHECK_ERR(smc_peer_compare(&peer, &report, 2000, &cmp), JIT_OK);
    TAP_CHECK(near(cmp.m[0].theirs_per_call, 1000) && near(cmp.m[0].ratio, 1.0));

    /* Swap two of ours: ranks (2,1,3) against (1,2,3), rho = 0.5. */
    report.results[0].ticks_per_call = 1500; /* baseline now slower than plain */
    CHECK_ERR(smc_peer_compare(&peer, &report, 0, &cmp), JIT_OK);
    TAP_CHECK(cmp.have_spearman && near(cmp.spearman, 0.5));

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_ERR(smc_peer_write(&cmp, "peer.txt", f), JIT_OK);
    fclose(f);
    TAP_CHECKF(strstr(buf, "Spearman rank correlation over the 3: 0.500") != NULL, "%s", buf);
    TAP_CHECK(strstr(buf, "jit_only               baseline") != NULL);
    TAP_CHECK(strstr(buf, "only theirs: 2") != NULL && strstr(buf, "jit_newfangled") != NULL);
    TAP_CHECK(strstr(buf, "only ours: 3") != NULL);
    free(buf);

    /* Nothing matched: no Spearman, and the writer says so. */
    CHECK_ERR(parse_str("jit_newfangled 5 rdtsc counts\n", err, sizeof err), JIT_OK);
    CHECK_ERR(smc_peer_compare(&peer, &report, 0, &cmp), JIT_OK);
    TAP_CHECK_EQ(cmp.matched, 0);
    TAP_CHECK(!cmp.have_spearman);
    CHECK_ERR(smc_peer_compare(NULL, &report, 0, &cmp), JIT_ERR_INVALID_ARG);
    CHECK_ERR(smc_peer_compare(&peer, &report, -1, &cmp), JIT_ERR_INVALID_ARG);
}

int main(int argc, char **argv) { return tap_main(argc, argv); }
