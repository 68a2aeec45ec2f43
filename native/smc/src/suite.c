/* suite.c: runs the strategies, times them and writes the report. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "smc/smc.h"
#include "smc_internal.h"
#include "strategies.h"

const char *smc_status_name(enum smc_status st)
{
    switch (st) {
    case SMC_STATUS_OK: return "ok";
    case SMC_STATUS_SKIPPED: return "skipped";
    case SMC_STATUS_WRONG: return "wrong";
    case SMC_STATUS_FAILED: return "failed";
    }
    return "unknown";
}

size_t smc_strategy_count(void) { return smc_strategies_count; }

enum jit_err smc_strategy_info(size_t i, const char **name, const char **group, const char **description)
{
    if (i >= smc_strategies_count)
        return JIT_ERR_INVALID_ARG;
    if (name)
        *name = smc_strategies[i].name;
    if (group)
        *group = smc_strategies[i].group;
    if (description)
        *description = smc_strategies[i].description;
    return JIT_OK;
}

static const char *missing_feature(uint32_t missing)
{
    static const struct { uint32_t bit; const char *why; } names[] = {
        {SMC_F_SSE2, "CPU lacks SSE2 (cpuid.1:edx[26])"},
        {SMC_F_AVX, "CPU or OS lacks AVX (cpuid.1:ecx[28] with XCR0 YMM state)"},
        {SMC_F_AVX512F, "CPU or OS lacks AVX-512F (cpuid.7:ebx[16] with XCR0 ZMM state)"},
        {SMC_F_CLFLUSH, "CPU lacks CLFLUSH (cpuid.1:edx[19])"},
        {SMC_F_CLFLUSHOPT, "CPU lacks CLFLUSHOPT (cpuid.7:ebx[23])"},
        {SMC_F_PREFETCHW, "CPU lacks PREFETCHW (cpuid.80000001h:ecx[8])"},
        {SMC_F_SERIALIZE, "CPU lacks SERIALIZE (cpuid.7:edx[14])"},
        {SMC_F_X86_64, "rep movsq/stosq need 64-bit mode (this is an i686 build)"},
        {SMC_F_CLZERO, "CPU lacks CLZERO (AMD only, cpuid.80000008h:ebx[0])"},
        {SMC_F_CLDEMOTE, "CPU lacks CLDEMOTE (cpuid.7:ecx[25])"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (missing & names[i].bit)
            return names[i].why;
    return "CPU lacks a required feature";
}

static int wanted(const struct smc_params *p, const char *name)
{
    if (!p || !p->only)
        return 1;
    for (size_t i = 0; i < p->only_count; i++)
        if (p->only[i] && strcmp(p->only[i], name) == 0)
            return 1;
    return 0;
}

static void run_one(const struct smc_strategy *s, struct smc_ctx *c, unsigned warmup,
                    unsigned trials, unsigned iters, struct smc_result *r)
{
    uint32_t seed = 0x9e3779b9u;
    uint32_t expected = 0, v = 0;
    double best = -1;
    c->sys_errno = 0;
    for (unsigned i = 0; i < warmup; i++) {
        v = s->run(c, seed, &expected);
        seed = SMC_LCG(seed) ^ i;
        r->calls++;
        if (v != expected) {
            r->wrong++;
            r->last_value = v;
            r->last_expected = expected;
        }
    }
    for (unsigned t = 0; t < trials && !c->sys_errno; t++) {
        uint64_t wrong = 0;
        uint64_t t0 = smc_ticks();
        for (unsigned i = 0; i < iters; i++) {
            v = s->run(c, seed, &expected);
            seed = SMC_LCG(seed) + i;
            if (__builtin_expect(v != expected, 0)) {
                wrong++;
                r->last_value = v;
                r->last_expected = expected;
            }
        }
        uint64_t t1 = smc_ticks();
        r->calls += iters;
        r->wrong += wrong;
        double per = (double)(t1 - t0) / iters;
        if (best < 0 || per < best)
            best = per;
    }
    if (!r->wrong) {
        r->last_value = v;
        r->last_expected = expected;
    }
    if (c->sys_errno) {
        r->status = SMC_STATUS_FAILED;
        snprintf(r->reason, sizeof r->reason, "a per-call system call failed: %s",
                 strerror(c->sys_errno));
    } else if (r->wrong) {
        r->status = SMC_STATUS_WRONG;
        snprintf(r->reason, sizeof r->reason,
                 "%llu of %llu calls returned a wrong value (last 0x%08x, want 0x%08x)",
                 (unsigned long long)r->wrong, (unsigned long long)r->calls, r->last_value,
                 r->last_expected);
    } else {
        r->status = SMC_STATUS_OK;
        r->ticks_per_call = best;
    }
}

enum jit_err smc_run(const struct smc_params *params, struct smc_report *out)
{
    if (!out)
        return JIT_ERR_INVALID_ARG;
    if (params && params->only) {
        for (size_t i = 0; i < params->only_count; i++) {
            size_t j = 0;
            while (j < smc_strategies_count &&
                   !(params->only[i] && strcmp(params->only[i], smc_strategies[j].name) == 0))
                j++;
            if (j == smc_strategies_count)
                return JIT_ERR_INVALID_ARG;
        }
    }
    memset(out, 0, sizeof *out);
    uint32_t flags = params ? params->flags : 0;
    int quick = (flags & SMC_RUN_QUICK) != 0;
#if defined(SMC_X86)
    /* quick: 63 strategies in about the time 36 took with 5 x 1000 + 200. */
    unsigned d_trials = quick ? 5 : 9, d_iters = quick ? 600 : 4000, d_warmup = quick ? 150 : 500;
#else
    /* Correctness check only (timings not meaningful); qemu retranslates
     * every rewritten page, ~0.1-0.3 ms per call. quick: 20 strategies in
     * the time 13 took with 2 x 100 + 20. */
    unsigned d_trials = quick ? 2 : 3, d_iters = quick ? 60 : 300, d_warmup = quick ? 20 : 50;
#endif
    unsigned trials = params && params->trials ? params->trials : d_trials;
    unsigned iters = params && params->iterations ? params->iterations : d_iters;
    unsigned warmup = params && params->warmup ? params->warmup : d_warmup;

    smc_cpu_identify(1, &out->cpu);
    out->quick = quick;
    out->trials = trials;
    out->iterations = iters;
    out->warmup = warmup;
    out->code_bytes = SMC_CODE_BYTES;
    out->flush_method = smc_flush_method();
#if defined(SMC_X86)
    out->timer = "rdtsc";
    out->timings_meaningful = 1;
    out->note = "";
#else
    out->timer = "clock_gettime (ns)";
    out->timings_meaningful = 0;
    out->note = "portable correctness check: timings off x86 (usually under qemu) are not meaningful";
#endif

    /* Pin to the current CPU so a migration does not land inside a trial. */
    cpu_set_t old_mask;
    int pinned = 0;
    if (!(flags & SMC_RUN_NO_PIN) && sched_getaffinity(0, sizeof old_mask, &old_mask) == 0) {
        int cpu = sched_getcpu();
        if (cpu >= 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            pinned = sched_setaffinity(0, sizeof one, &one) == 0;
        }
    }

    struct smc_ctx ctx;
    smc_ctx_init(&ctx);
    for (size_t i = 0; i < smc_strategies_count && out->count < SMC_MAX_STRATEGIES; i++) {
        const struct smc_strategy *s = &smc_strategies[i];
        if (!wanted(params, s->name))
            continue;
        struct smc_result *r = &out->results[out->count++];
        r->name = s->name;
        r->group = s->group;
        r->description = s->description;
        uint32_t missing = s->needs & ~out->cpu.features;
#if defined(SMC_NO_CODEGEN)
        r->status = SMC_STATUS_SKIPPED;
        snprintf(r->reason, sizeof r->reason, "no code generator for this architecture");
        continue;
#endif
        if (missing || !s->run) {
            r->status = SMC_STATUS_SKIPPED;
            snprintf(r->reason, sizeof r->reason, "%s", missing_feature(missing));
            continue;
        }
        const char *setup = ctx.setup_error[SMC_RES_EXEC];
        if (!setup && s->res != SMC_RES_NONE)
            setup = ctx.setup_error[s->res];
        if (setup) {
            /* A missing allocator is a property of the build, not a failure. */
            r->status = s->res == SMC_RES_EXECMEM && !ctx.em ? SMC_STATUS_SKIPPED : SMC_STATUS_FAILED;
            snprintf(r->reason, sizeof r->reason, "%s", setup);
            continue;
        }
        run_one(s, &ctx, warmup, trials, iters, r);
    }
    smc_ctx_fini(&ctx);
    if (pinned)
        sched_setaffinity(0, sizeof old_mask, &old_mask);

    const struct smc_result *plain = NULL, *base = NULL;
    for (size_t i = 0; i < out->count; i++) {
        const struct smc_result *r = &out->results[i];
        if (r->status != SMC_STATUS_OK)
            continue;
        if (strcmp(r->name, "plain") == 0)
            plain = r;
        if (strcmp(r->name, "baseline") == 0)
            base = r;
    }
    out->plain_ticks = plain ? plain->ticks_per_call : 0;
    out->baseline_ticks = base ? base->ticks_per_call : 0;
    double best = -1;
    for (size_t i = 0; i < out->count; i++) {
        struct smc_result *r = &out->results[i];
        if (r->status != SMC_STATUS_OK)
            continue;
        if (plain && plain->ticks_per_call > 0)
            r->ratio_to_plain = r->ticks_per_call / plain->ticks_per_call;
        if (base)
            r->penalty_over_baseline = r->ticks_per_call - base->ticks_per_call;
        if (strcmp(r->name, "baseline") != 0 && (best < 0 || r->ticks_per_call < best)) {
            best = r->ticks_per_call;
            out->best = r->name;
        }
    }
    return JIT_OK;
}

int smc_report_all_correct(const struct smc_report *r)
{
    if (!r)
        return 0;
    for (size_t i = 0; i < r->count; i++)
        if (r->results[i].status == SMC_STATUS_WRONG || r->results[i].status == SMC_STATUS_FAILED)
            return 0;
    return 1;
}

/* ---- output ----------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, int ok, double v, int decimals)
{
    if (ok)
        fprintf(f, "%.*f", decimals, v);
    else
        fputs("null", f);
}

static const char *const feature_names[] = {
    "sse2", "avx", "avx512f", "clflush", "clflushopt", "prefetchw",
    "erms", "fsrm", "serialize", "rdtsc", "invariant_tsc", "x86_64",
    "clzero", "cldemote",
};

const char *smc_feature_name(uint32_t bit)
{
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
        if (bit == (1u << i))
            return feature_names[i];
    return NULL;
}

enum jit_err smc_report_write_json(const struct smc_report *r, FILE *f)
{
    if (!r || !f)
        return JIT_ERR_INVALID_ARG;
    const struct smc_cpu_info *c = &r->cpu;
    char sig[96];
    smc_cpu_signature(c, sig, sizeof sig);
    fprintf(f, "{\n  \"schema\": \"matrix-smc/1\",\n  \"arch\": ");
    json_str(f, c->arch);
    fprintf(f, ",\n  \"cpu\": {\"vendor\": ");
    json_str(f, c->vendor);
    fprintf(f, ", \"brand\": ");
    json_str(f, c->brand);
    fprintf(f, ", \"family\": %u, \"model\": %u, \"stepping\": %u, \"signature\": ", c->family,
            c->model, c->stepping);
    json_str(f, sig);
    fprintf(f, ",\n          \"microarchitecture\": ");
    json_str(f, c->uarch);
    fprintf(f, ", \"hypervisor\": %s, \"hypervisor_vendor\": ", c->hypervisor ? "true" : "false");
    json_str(f, c->hypervisor_vendor);
    fprintf(f, ",\n          \"tsc_hz\": ");
    json_num(f, c->tsc_hz > 0, c->tsc_hz, 0);
    fprintf(f, ", \"tsc_source\": ");
    json_str(f, c->tsc_source);
    fprintf(f, ", \"features\": [");
    int first = 1;
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++) {
        if (c->features & (1u << i)) {
            fprintf(f, "%s", first ? "" : ", ");
            json_str(f, feature_names[i]);
            first = 0;
        }
    }
    fprintf(f, "]},\n  \"timer\": ");
    json_str(f, r->timer);
    fprintf(f, ", \"timings_meaningful\": %s, \"note\": ", r->timings_meaningful ? "true" : "false");
    json_str(f, r->note);
    fprintf(f, ",\n  \"flush_method\": ");
    json_str(f, r->flush_method);
    fprintf(f, ", \"quick\": %s, \"trials\": %u, \"iterations\": %u, \"warmup\": %u, "
               "\"code_bytes\": %zu,\n  \"plain_ticks\": ",
            r->quick ? "true" : "false", r->trials, r->iterations, r->warmup, r->code_bytes);
    json_num(f, r->plain_ticks > 0, r->plain_ticks, 1);
    fprintf(f, ", \"baseline_ticks\": ");
    json_num(f, r->baseline_ticks > 0, r->baseline_ticks, 1);
    fprintf(f, ", \"best\": ");
    if (r->best)
        json_str(f, r->best);
    else
        fputs("null", f);
    fprintf(f, ", \"all_correct\": %s,\n  \"strategies\": [\n",
            smc_report_all_correct(r) ? "true" : "false");
    for (size_t i = 0; i < r->count; i++) {
        const struct smc_result *s = &r->results[i];
        int ok = s->status == SMC_STATUS_OK;
        fprintf(f, "    {\"name\": ");
        json_str(f, s->name);
        fprintf(f, ", \"group\": ");
        json_str(f, s->group);
        fprintf(f, ", \"status\": \"%s\", \"reason\": ", smc_status_name(s->status));
        if (s->reason[0])
            json_str(f, s->reason);
        else
            fputs("null", f);
        fprintf(f, ",\n     \"ticks_per_call\": ");
        json_num(f, ok, s->ticks_per_call, 1);
        fprintf(f, ", \"ratio_to_plain\": ");
        json_num(f, ok && s->ratio_to_plain > 0, s->ratio_to_plain, 3);
        fprintf(f, ", \"penalty_over_baseline\": ");
        json_num(f, ok && r->baseline_ticks > 0, s->penalty_over_baseline, 1);
        fprintf(f, ", \"calls\": %llu, \"wrong\": %llu, \"description\": ",
                (unsigned long long)s->calls, (unsigned long long)s->wrong);
        json_str(f, s->description);
        fprintf(f, "}%s\n", i + 1 < r->count ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return ferror(f) ? JIT_ERR_SYSTEM : JIT_OK;
}

enum jit_err smc_report_write_table(const struct smc_report *r, FILE *f)
{
    if (!r || !f)
        return JIT_ERR_INVALID_ARG;
    const struct smc_cpu_info *c = &r->cpu;
    if (c->vendor[0])
        fprintf(f, "CPU: %s (%s family %u model %u stepping %u, %s)%s%s%s\n",
                c->brand[0] ? c->brand : "?", c->vendor, c->family, c->model, c->stepping,
                c->uarch, c->hypervisor ? ", hypervisor " : "", c->hypervisor_vendor,
                c->hypervisor ? "" : ", no hypervisor");
    else
        fprintf(f, "CPU: %s (no cpuid)\n", c->arch);
    if (c->tsc_hz > 0)
        fprintf(f, "TSC: %.3f GHz (%s)\n", c->tsc_hz / 1e9, c->tsc_source);
    fprintf(f, "Timer: %s; %u trials x %u calls after %u warm-up, minimum kept; %zu code bytes\n",
            r->timer, r->trials, r->iterations, r->warmup, r->code_bytes);
    if (!r->timings_meaningful)
        fprintf(f, "NOTE: %s\n", r->note);
    const char *unit = r->timings_meaningful ? "ticks/call" : "ns/call*";
    fprintf(f, "\n%-22s %-9s %12s %9s %12s  %s\n", "strategy", "group", unit, "x plain",
            "penalty", "status");
    for (size_t i = 0; i < r->count; i++) {
        const struct smc_result *s = &r->results[i];
        if (s->status == SMC_STATUS_OK) {
            char ratio[32] = "-", penalty[32] = "-";
            if (r->plain_ticks > 0)
                snprintf(ratio, sizeof ratio, "%.3fx", s->ratio_to_plain);
            if (r->baseline_ticks > 0)
                snprintf(penalty, sizeof penalty, "%+.1f", s->penalty_over_baseline);
            fprintf(f, "%-22s %-9s %12.1f %9s %12s  ok\n", s->name, s->group, s->ticks_per_call,
                    ratio, penalty);
        } else {
            fprintf(f, "%-22s %-9s %12s %9s %12s  %s: %s\n", s->name, s->group, "-", "-", "-",
                    smc_status_name(s->status), s->reason);
        }
    }
    if (r->best)
        fprintf(f, "\nbest: %s\n", r->best);
    return ferror(f) ? JIT_ERR_SYSTEM : JIT_OK;
}

enum jit_err smc_report_write_tap(const struct smc_report *r, FILE *f)
{
    if (!r || !f)
        return JIT_ERR_INVALID_ARG;
    fprintf(f, "TAP version 13\n1..%zu\n", r->count);
    for (size_t i = 0; i < r->count; i++) {
        const struct smc_result *s = &r->results[i];
        switch (s->status) {
        case SMC_STATUS_OK:
            fprintf(f, "ok %zu - %s (%.1f %s/call%s)\n", i + 1, s->name, s->ticks_per_call,
                    r->timings_meaningful ? "ticks" : "ns", r->timings_meaningful ? "" : ", not meaningful");
            break;
        case SMC_STATUS_SKIPPED:
            fprintf(f, "ok %zu - %s # SKIP %s\n", i + 1, s->name, s->reason);
            break;
        default:
            fprintf(f, "not ok %zu - %s\n  ---\n  message: ", i + 1, s->name);
            json_str(f, s->reason);
            fprintf(f, "\n  ...\n");
            break;
        }
    }
    return ferror(f) ? JIT_ERR_SYSTEM : JIT_OK;
}
