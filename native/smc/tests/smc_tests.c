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
    struct smc_params p = {.flags = SMC_RUN_QUICK, .trials = 2, .iterations = 100, .warmup = 20};
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
            TAP_CHECKF(r->calls == 20 + 2 * 100, "%s made %llu calls", r->name,
                       (unsigned long long)r->calls);
            TAP_CHECKF(r->ticks_per_call > 0, "%s", r->name);
        }
    }
    TAP_CHECK(smc_report_all_correct(&report));
}

TAP_CASE(portable_strategies_present)
{
    static const char *const names[] = {"baseline", "plain", "copy_memcpy", "regions_2",
                                        "regions_64", "dual_map", "remap"};
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
    TAP_CHECK(smc_strategy_count() >= 35);
#endif
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

int main(int argc, char **argv) { return tap_main(argc, argv); }
