/* emit.c: the strategy-aware code emitter and the AUTO choice. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smc/smc_emit.h"
#include "smc_internal.h"

#if defined(SMC_X86)
#include <immintrin.h>
#endif

static const char *const emit_names[SMC_EMIT__COUNT] = {
    "auto", "plain", "copy_memcpy", "copy_rep_movsb", "copy_sse", "regions", "dual_map",
};

const char *smc_emit_strategy_name(enum smc_emit_strategy s)
{
    return (unsigned)s < SMC_EMIT__COUNT ? emit_names[s] : "unknown";
}

enum jit_err smc_emit_strategy_parse(const char *name, enum smc_emit_strategy *out)
{
    if (!name || !out)
        return JIT_ERR_INVALID_ARG;
    for (unsigned i = 0; i < SMC_EMIT__COUNT; i++) {
        if (strcmp(name, emit_names[i]) == 0) {
            *out = (enum smc_emit_strategy)i;
            return JIT_OK;
        }
    }
    if (strncmp(name, "regions_", 8) == 0) { /* smc_run() spelling */
        *out = SMC_EMIT_REGIONS;
        return JIT_OK;
    }
    return JIT_ERR_INVALID_ARG;
}

enum jit_err smc_emit_strategy_supported(const struct smc_cpu_info *cpu, enum smc_emit_strategy s)
{
    if ((unsigned)s >= SMC_EMIT__COUNT)
        return JIT_ERR_INVALID_ARG;
#if defined(SMC_X86)
    if (s == SMC_EMIT_COPY_SSE && !(cpu && (cpu->features & SMC_F_SSE2)))
        return JIT_ERR_UNSUPPORTED;
#else
    (void)cpu;
    if (s == SMC_EMIT_COPY_REP_MOVSB || s == SMC_EMIT_COPY_SSE)
        return JIT_ERR_UNSUPPORTED;
#endif
    return JIT_OK;
}

/* ---- AUTO: cache file, microarchitecture table, measurement ----------- */

#if defined(SMC_X86) /* off x86 AUTO is always plain: nothing to look up */
/* Rankings measured with smc_bench on the named microarchitecture (see
 * docs/smc.md for the numbers). Only microarchitectures we measured are
 * listed: everything else is measured on first use and cached. */
static const struct {
    const char *uarch;
    enum smc_emit_strategy strategy;
} emit_table[] = {
    {"Zen 5", SMC_EMIT_REGIONS}, /* regions ~0.60x plain, copy_sse ~0.64x, rep movsb ~0.67x */
};

/* The fastest copy for the JIT core's jit_execmem_write, measured per
 * microarchitecture (Zen 5 KVM guest: copy_sse 0.64x plain, rep movsb 0.67x,
 * memcpy 0.69x; docs/smc.md). */
static const struct {
    const char *uarch;
    enum smc_emit_strategy strategy;
} copy_table[] = {
    {"Zen 5", SMC_EMIT_COPY_SSE},
};

static int cache_path(const struct smc_emit_params *p, char *buf, size_t cap)
{
    const char *explicit_path = p && p->cache_path ? p->cache_path : getenv("SMC_CACHE");
    int n;
    if (explicit_path && explicit_path[0]) {
        n = snprintf(buf, cap, "%s", explicit_path);
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME");
        const char *home = getenv("HOME");
        if (xdg && xdg[0])
            n = snprintf(buf, cap, "%s/matrix/smc-strategy", xdg);
        else if (home && home[0])
            n = snprintf(buf, cap, "%s/.cache/matrix/smc-strategy", home);
        else
            return 0;
    }
    return n > 0 && (size_t)n < cap;
}

/* Cache file: one line per CPU, "<signature> <strategy> <ticks>". */
static int cache_lookup(const char *path, const char *sig, enum smc_emit_strategy *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256], s1[128], s2[64];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%127s %63s", s1, s2) == 2 && strcmp(s1, sig) == 0 &&
            smc_emit_strategy_parse(s2, out) == JIT_OK && *out != SMC_EMIT_AUTO)
            found = 1;
    }
    fclose(f);
    return found;
}

static void mkdirs_for(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0755);
            *p = '/';
        }
    }
}

/* Rewrite the file with this CPU's line replaced (temp file + rename). */
static void cache_store(const char *path, const char *sig, enum smc_emit_strategy s, double ticks)
{
    char tmp[1100], line[256], s1[128];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp)
        return;
    mkdirs_for(path);
    FILE *out = fopen(tmp, "w");
    if (!out)
        return;
    FILE *in = fopen(path, "r");
    if (in) {
        while (fgets(line, sizeof line, in))
            if (!(sscanf(line, "%127s", s1) == 1 && strcmp(s1, sig) == 0))
                fputs(line, out);
        fclose(in);
    }
    fprintf(out, "%s %s %.1f\n", sig, smc_emit_strategy_name(s), ticks);
    if (fclose(out) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
}

static const char *suite_name(enum smc_emit_strategy s)
{
    return s == SMC_EMIT_REGIONS ? "regions_4" : smc_emit_strategy_name(s);
}

static int is_copy(enum smc_emit_strategy s)
{
    return s == SMC_EMIT_COPY_MEMCPY || s == SMC_EMIT_COPY_REP_MOVSB || s == SMC_EMIT_COPY_SSE;
}

/* Quick suite run of the supported emitter strategies (only the copies when
 * `copies_only`); the fastest goes to *out. */
static enum jit_err measure(const struct smc_cpu_info *cpu, int copies_only, enum smc_emit_strategy *out, double *ticks)
{
    const char *names[SMC_EMIT__COUNT];
    size_t n = 0;
    for (unsigned s = SMC_EMIT_PLAIN; s < SMC_EMIT__COUNT; s++)
        if (smc_emit_strategy_supported(cpu, (enum smc_emit_strategy)s) == JIT_OK &&
            (!copies_only || is_copy((enum smc_emit_strategy)s)))
            names[n++] = suite_name((enum smc_emit_strategy)s);
    struct smc_report *r = malloc(sizeof *r);
    if (!r)
        return JIT_ERR_NO_MEMORY;
    struct smc_params p;
    memset(&p, 0, sizeof p);
    p.flags = SMC_RUN_QUICK;
    p.only = names;
    p.only_count = n;
    enum jit_err e = smc_run(&p, r);
    if (e == JIT_OK) {
        e = JIT_ERR_UNSUPPORTED;
        for (size_t i = 0; i < r->count; i++) {
            const struct smc_result *res = &r->results[i];
            if (res->status != SMC_STATUS_OK || (e == JIT_OK && res->ticks_per_call >= *ticks))
                continue;
            if (smc_emit_strategy_parse(res->name, out) == JIT_OK) {
                *ticks = res->ticks_per_call;
                e = JIT_OK;
            }
        }
    }
    free(r);
    return e;
}

#endif

enum jit_err smc_emit_choose(const struct smc_cpu_info *cpu, const struct smc_emit_params *params,
                             enum smc_emit_strategy *out, char *why, size_t why_cap)
{
    if (!cpu || !out)
        return JIT_ERR_INVALID_ARG;
    char dummy[4];
    if (!why || !why_cap) {
        why = dummy;
        why_cap = sizeof dummy;
    }
    uint32_t flags = params ? params->flags : 0;
#if !defined(SMC_X86)
    (void)flags;
    *out = SMC_EMIT_PLAIN;
    snprintf(why, why_cap, "not x86: write in place, then icache maintenance (%s)",
             smc_flush_method());
    return JIT_OK;
#else
    char sig[96], path[1024];
    smc_cpu_signature(cpu, sig, sizeof sig);
    int have_path = !(flags & SMC_EMIT_NO_CACHE) && cache_path(params, path, sizeof path);
    if (have_path && !(flags & SMC_EMIT_REMEASURE) && cache_lookup(path, sig, out) &&
        smc_emit_strategy_supported(cpu, *out) == JIT_OK) {
        snprintf(why, why_cap, "cached measurement for %s in %s", sig, path);
        return JIT_OK;
    }
    if (!(flags & (SMC_EMIT_NO_TABLE | SMC_EMIT_REMEASURE))) {
        for (size_t i = 0; i < sizeof emit_table / sizeof emit_table[0]; i++) {
            if (strcmp(emit_table[i].uarch, cpu->uarch) == 0 &&
                smc_emit_strategy_supported(cpu, emit_table[i].strategy) == JIT_OK) {
                *out = emit_table[i].strategy;
                snprintf(why, why_cap, "table: best measured on %s", cpu->uarch);
                return JIT_OK;
            }
        }
    }
    double ticks = 0;
    enum jit_err e = measure(cpu, 0, out, &ticks);
    if (e != JIT_OK) {
        *out = SMC_EMIT_PLAIN;
        snprintf(why, why_cap, "measurement failed: plain");
        return JIT_OK;
    }
    if (have_path)
        cache_store(path, sig, *out, ticks);
    snprintf(why, why_cap, "measured on %s: %.1f ticks/call%s%s", sig, ticks,
             have_path ? ", cached in " : "", have_path ? path : "");
    return JIT_OK;
#endif
}

static enum jit_emit_strategy core_strategy(enum smc_emit_strategy s)
{
    switch (s) {
    case SMC_EMIT_COPY_REP_MOVSB: return JIT_EMIT_COPY_REP_MOVSB;
    case SMC_EMIT_COPY_SSE: return JIT_EMIT_COPY_SSE;
    default: return JIT_EMIT_COPY_MEMCPY;
    }
}

enum jit_err smc_emit_configure_core_auto(const struct smc_emit_params *params, enum jit_emit_strategy *out,
                                          char *why, size_t why_cap)
{
    char dummy[4];
    if (!why || !why_cap) {
        why = dummy;
        why_cap = sizeof dummy;
    }
    enum smc_emit_strategy chosen = SMC_EMIT_COPY_MEMCPY;
#if !defined(SMC_X86)
    (void)params;
    snprintf(why, why_cap, "not x86: memcpy, then icache maintenance (%s)", smc_flush_method());
#else
    struct smc_cpu_info cpu;
    enum jit_err e = smc_cpu_identify(0, &cpu);
    if (e != JIT_OK)
        return e;
    uint32_t flags = params ? params->flags : 0;
    char sig[128], path[1024];
    smc_cpu_signature(&cpu, sig, sizeof sig - 8);
    strcat(sig, ":copy"); /* its own line in the cache file, beside the emitter's */
    int have_path = !(flags & SMC_EMIT_NO_CACHE) && cache_path(params, path, sizeof path);
    int found = 0;
    if (have_path && !(flags & SMC_EMIT_REMEASURE) && cache_lookup(path, sig, &chosen) && is_copy(chosen) &&
        smc_emit_strategy_supported(&cpu, chosen) == JIT_OK) {
        snprintf(why, why_cap, "cached measurement for %s in %s", sig, path);
        found = 1;
    }
    for (size_t i = 0; !found && !(flags & (SMC_EMIT_NO_TABLE | SMC_EMIT_REMEASURE)) && i < sizeof copy_table / sizeof copy_table[0]; i++) {
        if (strcmp(copy_table[i].uarch, cpu.uarch) == 0 && smc_emit_strategy_supported(&cpu, copy_table[i].strategy) == JIT_OK) {
            chosen = copy_table[i].strategy;
            snprintf(why, why_cap, "table: fastest copy measured on %s", cpu.uarch);
            found = 1;
        }
    }
    if (!found) {
        double ticks = 0;
        if (measure(&cpu, 1, &chosen, &ticks) != JIT_OK) {
            chosen = SMC_EMIT_COPY_MEMCPY;
            snprintf(why, why_cap, "measurement failed: memcpy");
        } else {
            if (have_path)
                cache_store(path, sig, chosen, ticks);
            snprintf(why, why_cap, "measured on %s: %.1f ticks/call%s%s", sig, ticks, have_path ? ", cached in " : "",
                     have_path ? path : "");
        }
    }
#endif
    enum jit_emit_strategy core = core_strategy(chosen);
    enum jit_err set = jit_emit_set_auto(core);
    if (set != JIT_OK)
        return set;
    if (out)
        *out = core;
    return JIT_OK;
}

/* ---- the emitter ------------------------------------------------------ */

struct smc_emitter {
    enum smc_emit_strategy strategy;
    char reason[1200];
    size_t capacity;     /* bytes per slot (whole pages) */
    unsigned regions, next;
    uint8_t *exec;       /* RWX: 1 slot, or `regions` slots */
    size_t exec_len;
    uint8_t *scratch;    /* RW, copy strategies */
    uint8_t *dual_rw, *dual_rx;
};

static void *map_anon(size_t n, int prot)
{
    void *p = mmap(NULL, n, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void smc_emitter_destroy(struct smc_emitter *em)
{
    if (!em)
        return;
    if (em->exec)
        munmap(em->exec, em->exec_len);
    if (em->scratch)
        munmap(em->scratch, em->capacity);
    if (em->dual_rw)
        munmap(em->dual_rw, em->capacity);
    if (em->dual_rx)
        munmap(em->dual_rx, em->capacity);
    free(em);
}

static enum jit_err setup_dual(struct smc_emitter *em)
{
#ifdef SYS_memfd_create
    int fd = (int)syscall(SYS_memfd_create, "smc-emit", 1u /* MFD_CLOEXEC */);
    if (fd < 0)
        return JIT_ERR_SYSTEM;
    enum jit_err e = JIT_ERR_SYSTEM;
    if (ftruncate(fd, (off_t)em->capacity) == 0) {
        void *rw = mmap(NULL, em->capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        void *rx = mmap(NULL, em->capacity, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
        if (rw != MAP_FAILED)
            em->dual_rw = rw;
        if (rx != MAP_FAILED)
            em->dual_rx = rx;
        if (em->dual_rw && em->dual_rx)
            e = JIT_OK;
    }
    close(fd);
    return e;
#else
    (void)em;
    return JIT_ERR_UNSUPPORTED;
#endif
}

enum jit_err smc_emitter_create(const struct smc_emit_params *params, struct smc_emitter **out)
{
    if (!out)
        return JIT_ERR_INVALID_ARG;
    *out = NULL;
    struct smc_emit_params p;
    memset(&p, 0, sizeof p);
    if (params)
        p = *params;
    if ((unsigned)p.strategy >= SMC_EMIT__COUNT || p.regions > 64 || p.capacity > (64u << 20))
        return JIT_ERR_INVALID_ARG;
    struct smc_cpu_info cpu;
    smc_cpu_identify(0, &cpu);
    struct smc_emitter *em = calloc(1, sizeof *em);
    if (!em)
        return JIT_ERR_NO_MEMORY;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t cap = p.capacity ? p.capacity : 4096;
    em->capacity = (cap + page - 1) / page * page;
    em->regions = p.regions ? p.regions : 4;
    if (p.strategy == SMC_EMIT_AUTO) {
        enum jit_err e = smc_emit_choose(&cpu, &p, &em->strategy, em->reason, sizeof em->reason);
        if (e != JIT_OK) {
            free(em);
            return e;
        }
    } else {
        if (smc_emit_strategy_supported(&cpu, p.strategy) != JIT_OK) {
            free(em);
            return JIT_ERR_UNSUPPORTED;
        }
        em->strategy = p.strategy;
        snprintf(em->reason, sizeof em->reason, "requested");
    }

    enum jit_err e = JIT_OK;
    switch (em->strategy) {
    case SMC_EMIT_DUAL_MAP:
        e = setup_dual(em);
        break;
    case SMC_EMIT_COPY_MEMCPY:
    case SMC_EMIT_COPY_REP_MOVSB:
    case SMC_EMIT_COPY_SSE:
        em->scratch = map_anon(em->capacity, PROT_READ | PROT_WRITE);
        if (!em->scratch)
            e = JIT_ERR_NO_MEMORY;
        /* they copy into one RWX slot */
        __attribute__((fallthrough));
    default:
        em->exec_len = em->capacity * (em->strategy == SMC_EMIT_REGIONS ? em->regions : 1);
        if (e == JIT_OK && !(em->exec = map_anon(em->exec_len, PROT_READ | PROT_WRITE | PROT_EXEC)))
            e = JIT_ERR_NO_MEMORY;
        break;
    }
    if (e != JIT_OK) {
        smc_emitter_destroy(em);
        return e;
    }
    *out = em;
    return JIT_OK;
}

#if defined(SMC_X86)
__attribute__((target("sse2"))) static void copy_sse(uint8_t *d, const uint8_t *s, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) /* d and s are page-aligned */
        _mm_store_si128((__m128i *)(d + i), _mm_load_si128((const __m128i *)(s + i)));
    for (; i < n; i++)
        d[i] = s[i];
}
#endif

enum jit_err smc_emitter_emit_with(struct smc_emitter *em, smc_write_fn fn, void *ctx, void **entry)
{
    if (!em || !fn || !entry)
        return JIT_ERR_INVALID_ARG;
    uint8_t *dst, *rx;
    switch (em->strategy) {
    case SMC_EMIT_DUAL_MAP:
        dst = em->dual_rw;
        rx = em->dual_rx;
        break;
    case SMC_EMIT_COPY_MEMCPY:
    case SMC_EMIT_COPY_REP_MOVSB:
    case SMC_EMIT_COPY_SSE:
        dst = em->scratch;
        rx = em->exec;
        break;
    case SMC_EMIT_REGIONS:
        dst = rx = em->exec + (size_t)(em->next++ % em->regions) * em->capacity;
        break;
    default:
        dst = rx = em->exec;
        break;
    }
    size_t n = 0;
    enum jit_err e = fn(dst, em->capacity, ctx, &n);
    if (e != JIT_OK)
        return e;
    if (n == 0 || n > em->capacity)
        return JIT_ERR_OUT_OF_RANGE;
    switch (em->strategy) {
    case SMC_EMIT_COPY_MEMCPY:
        memcpy(rx, dst, n);
        dst = rx;
        break;
#if defined(SMC_X86)
    case SMC_EMIT_COPY_REP_MOVSB: {
        void *d = rx;
        const void *s = dst;
        size_t c = n;
        __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(c)::"memory");
        dst = rx;
        break;
    }
    case SMC_EMIT_COPY_SSE:
        copy_sse(rx, dst, n);
        dst = rx;
        break;
#endif
    default:
        break;
    }
    smc_flush(dst, rx, n);
#if !defined(SMC_X86)
    /* qemu-user keeps running stale translations of a page rewritten through
     * another mapping; changing the RX view's protection makes it drop them. */
    if (em->strategy == SMC_EMIT_DUAL_MAP &&
        (mprotect(rx, em->capacity, PROT_READ) != 0 ||
         mprotect(rx, em->capacity, PROT_READ | PROT_EXEC) != 0))
        return JIT_ERR_SYSTEM;
#endif
    *entry = rx;
    return JIT_OK;
}

struct bytes_ctx {
    const void *code;
    size_t size;
};

static enum jit_err write_bytes(uint8_t *dst, size_t cap, void *ctx, size_t *written)
{
    const struct bytes_ctx *b = ctx;
    if (b->size > cap)
        return JIT_ERR_OUT_OF_RANGE;
    memcpy(dst, b->code, b->size);
    *written = b->size;
    return JIT_OK;
}

enum jit_err smc_emitter_emit(struct smc_emitter *em, const void *code, size_t size, void **entry)
{
    if (!code || size == 0)
        return JIT_ERR_INVALID_ARG;
    struct bytes_ctx b = {code, size};
    return smc_emitter_emit_with(em, write_bytes, &b, entry);
}

enum smc_emit_strategy smc_emitter_strategy(const struct smc_emitter *em)
{
    return em ? em->strategy : SMC_EMIT_AUTO;
}

const char *smc_emitter_reason(const struct smc_emitter *em)
{
    return em ? em->reason : "";
}
