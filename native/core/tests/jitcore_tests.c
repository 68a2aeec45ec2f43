/* jitcore_tests.c: TAP tests of the JIT core on the running architecture. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jit/arch.h"
#include "jit/cpu.h"
#include "jit/epoch.h"
#include "jit/execmem.h"
#include "jit/icache.h"
#include "jit/replace.h"
#include "jit/emit.h"
#include "tap.h"

typedef int (*int_fn)(int);

static int call(void *rx, int arg)
{
    struct jit_fdesc d; /* powerpc64 ELFv1: the descriptor the pointer names */
    void *p = jit_code_callable(rx, &d);
    int_fn f;
    memcpy(&f, &p, sizeof f); /* data -> function pointer without a cast warning */
    return f(arg);
}

static const enum jit_execmem_mode all_modes[] = {JIT_EXECMEM_DUAL_MAP, JIT_EXECMEM_MPROTECT,
                                                  JIT_EXECMEM_RWX};

static struct jit_execmem *mk(enum jit_execmem_mode mode, size_t region_size, uint32_t flags)
{
    struct jit_execmem_params p = {.mode = mode, .region_size = region_size, .flags = flags};
    struct jit_execmem *m = NULL;
    enum jit_err e = jit_execmem_create(&p, &m);
    TAP_CHECKF(e == JIT_OK, "create %s: %s", jit_execmem_mode_name(mode), jit_err_str(e));
    return m;
}

/* Allocate and write "return k"; returns rx or NULL. */
static void *emit_const(struct jit_execmem *m, int32_t k)
{
    uint8_t buf[32];
    size_t len;
    struct jit_code c;
    if (jit_emit_ret_const(buf, sizeof buf, k, &len) != JIT_OK)
        return NULL;
    enum jit_err e = jit_execmem_alloc(m, len, 0, &c);
    if (e == JIT_OK)
        e = jit_execmem_write(m, c.rx, buf, len);
    TAP_CHECKF(e == JIT_OK, "emit_const: %s", jit_err_str(e));
    return e == JIT_OK ? c.rx : NULL;
}

/* The smallest function we can make: smaller than any jump sequence. */
static enum jit_err emit_tiny(void *buf, size_t cap, size_t *len)
{
#if defined(JIT_ARCH_I686)
    /* ret: returns garbage, only ever called after being chained */
    if (cap < 1)
        return JIT_ERR_INVALID_ARG;
    ((uint8_t *)buf)[0] = 0xc3;
    *len = 1;
    return JIT_OK;
#else
    return jit_emit_ret_arg(buf, cap, len);
#endif
}

/* For the chain test: a function shorter than the long jump. On m68k the
 * identity (6 B) is as long as jmp (abs).l, so it is a bare rts (returns
 * garbage, only ever called after being chained), like i686's ret. */
static enum jit_err emit_shorter_than_jump(void *buf, size_t cap, size_t *len)
{
#if defined(JIT_ARCH_M68K)
    if (cap < 2)
        return JIT_ERR_INVALID_ARG;
    ((uint8_t *)buf)[0] = 0x4e;
    ((uint8_t *)buf)[1] = 0x75;
    *len = 2;
    return JIT_OK;
#else
    return emit_tiny(buf, cap, len);
#endif
}

static void stats(struct jit_execmem *m, struct jit_execmem_stats *s)
{
    TAP_CHECK(jit_execmem_stats(m, s) == JIT_OK);
}

/* Run fn(arg) in a child process; returns the wait status. */
static int in_child(void (*fn)(void *), void *arg)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit no_core = {0, 0}; /* expected crashes: no core files */
        setrlimit(RLIMIT_CORE, &no_core);
        fn(arg);
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return st;
}

/* ------------------------------------------------------------------------ */

TAP_CASE(arch_facts)
{
    const struct jit_arch_info *a = jit_arch();
    tap_diag("arch %s, i-cache: %s, trap 0x%08x -> signal %d, entry %zu B, long jump %zu B",
             a->name, jit_icache_method(), (unsigned)a->trap_insn, a->trap_signal, a->entry_size,
             a->long_jump_size);
    TAP_CHECK(a->entry_size >= a->long_jump_size);
    TAP_CHECK(a->entry_size >= a->branch_size);
    TAP_CHECK(JIT_EXECMEM_MIN_ALLOC >= a->entry_size);
    TAP_CHECK(a->trap_signal == SIGTRAP || a->trap_signal == SIGILL);
    /* Zero is never the fill except where zero IS a trap (aarch64 udf #0). */
#if !defined(JIT_ARCH_AARCH64)
    TAP_CHECK(a->trap_insn != 0);
#endif
}

TAP_CASE(each_mode_runs_code)
{
    for (size_t i = 0; i < sizeof all_modes / sizeof all_modes[0]; i++) {
        struct jit_execmem *m = mk(all_modes[i], 0, 0);
        if (!m)
            continue;
        TAP_CHECK_EQ(jit_execmem_get_mode(m), all_modes[i]);
        void *f = emit_const(m, 1234567);
        void *g = emit_const(m, -5);
        TAP_CHECK(f && g);
        if (f && g) {
            TAP_CHECKF(call(f, 0) == 1234567, "%s", jit_execmem_mode_name(all_modes[i]));
            TAP_CHECKF(call(g, 0) == -5, "%s", jit_execmem_mode_name(all_modes[i]));
        }
        struct jit_code q;
        TAP_CHECK(jit_execmem_query(m, f, &q) == JIT_OK && q.rx == f);
        if (all_modes[i] == JIT_EXECMEM_DUAL_MAP)
            TAP_CHECKF(q.rw != q.rx, "dual map has two views");
        else
            TAP_CHECK(q.rw == q.rx);
        jit_execmem_destroy(m);
    }
}

/* Each emission strategy puts runnable code in place, in every memory mode;
 * the ones this CPU cannot run are refused, not silently replaced. */
TAP_CASE(emit_strategies)
{
    for (int s = JIT_EMIT_COPY_MEMCPY; s < JIT_EMIT__COUNT; s++) {
        for (size_t i = 0; i < sizeof all_modes / sizeof all_modes[0]; i++) {
            struct jit_execmem_params p = {.mode = all_modes[i], .emit = (enum jit_emit_strategy)s};
            struct jit_execmem *m = NULL;
            enum jit_err e = jit_execmem_create(&p, &m);
            if (jit_emit_supported((enum jit_emit_strategy)s) != JIT_OK) {
                TAP_CHECKF(e == JIT_ERR_UNSUPPORTED, "%s on %s: %s", jit_emit_strategy_name(s), jit_arch()->name,
                           jit_err_str(e));
                continue;
            }
            TAP_CHECKF(e == JIT_OK, "%s: %s", jit_emit_strategy_name(s), jit_err_str(e));
            if (e != JIT_OK)
                continue;
            TAP_CHECK_EQ(jit_execmem_get_emit(m), s);
            /* Rewrite the same allocation several times: stale code would show. */
            void *f = emit_const(m, 1000 + s);
            TAP_CHECKF(f && call(f, 0) == 1000 + s, "%s/%s", jit_emit_strategy_name(s), jit_execmem_mode_name(all_modes[i]));
            jit_execmem_destroy(m);
        }
    }
    struct jit_execmem_params bad = {.emit = JIT_EMIT__COUNT};
    struct jit_execmem *m = NULL;
    TAP_CHECK(jit_execmem_create(&bad, &m) == JIT_ERR_INVALID_ARG && m == NULL);
}

/* AUTO means what the process installed (the SMC suite's measured answer),
 * and falls back to memcpy once reset. */
TAP_CASE(emit_auto_follows_the_installed_choice)
{
    enum jit_emit_strategy want = jit_emit_supported(JIT_EMIT_COPY_REP_MOVSB) == JIT_OK ? JIT_EMIT_COPY_REP_MOVSB
                                                                                       : JIT_EMIT_COPY_MEMCPY;
    TAP_CHECK(jit_emit_set_auto(want) == JIT_OK);
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    if (m) {
        TAP_CHECK_EQ(jit_execmem_get_emit(m), want);
        void *f = emit_const(m, 77);
        TAP_CHECK(f && call(f, 0) == 77);
        jit_execmem_destroy(m);
    }
    TAP_CHECK(jit_emit_set_auto(JIT_EMIT_AUTO) == JIT_OK); /* reset */
    m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    if (m) {
        TAP_CHECK_EQ(jit_execmem_get_emit(m), JIT_EMIT_COPY_MEMCPY);
        jit_execmem_destroy(m);
    }
    TAP_CHECK(jit_emit_set_auto(JIT_EMIT__COUNT) == JIT_ERR_INVALID_ARG);
    if (jit_emit_supported(JIT_EMIT_COPY_SSE) != JIT_OK)
        TAP_CHECK(jit_emit_set_auto(JIT_EMIT_COPY_SSE) == JIT_ERR_UNSUPPORTED);
    TAP_CHECK_EQ(jit_emit_resolve(JIT_EMIT_AUTO), JIT_EMIT_COPY_MEMCPY);
}

TAP_CASE(reuse_after_free)
{
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_code a, b, c;
    TAP_CHECK(jit_execmem_alloc(m, 100, 0, &a) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(m, 100, 0, &b) == JIT_OK);
    TAP_CHECK(jit_execmem_free(m, a.rx) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(m, 64, 0, &c) == JIT_OK);
    TAP_CHECKF(c.rx == a.rx, "freed range reused first (first fit)");
    void *f = NULL;
    TAP_CHECK(jit_execmem_free(m, c.rx) == JIT_OK);
    f = emit_const(m, 77); /* new code in the reused range runs */
    TAP_CHECK(f == a.rx);
    if (f)
        TAP_CHECK_EQ(call(f, 0), 77);
    jit_execmem_destroy(m);
}

TAP_CASE(merge_with_neighbours)
{
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_execmem_stats s0, s;
    struct jit_code a, b, c, d, big;
    TAP_CHECK(jit_execmem_alloc(m, 256, 0, &a) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(m, 256, 0, &b) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(m, 256, 0, &c) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(m, 256, 0, &d) == JIT_OK); /* keeps the tail apart */
    TAP_CHECK((uint8_t *)b.rx == (uint8_t *)a.rx + 256 && (uint8_t *)c.rx == (uint8_t *)b.rx + 256);
    stats(m, &s0);
    TAP_CHECK(jit_execmem_free(m, a.rx) == JIT_OK);
    TAP_CHECK(jit_execmem_free(m, c.rx) == JIT_OK);
    stats(m, &s);
    TAP_CHECK_EQ(s.free_ranges, s0.free_ranges + 2);
    TAP_CHECK(jit_execmem_free(m, b.rx) == JIT_OK); /* joins a and c */
    stats(m, &s);
    TAP_CHECK_EQ(s.free_ranges, s0.free_ranges + 1);
    TAP_CHECK(jit_execmem_alloc(m, 768, 0, &big) == JIT_OK);
    TAP_CHECKF(big.rx == a.rx, "merged range holds a+b+c");
    TAP_CHECK(jit_execmem_free(m, big.rx) == JIT_OK);
    TAP_CHECK(jit_execmem_free(m, d.rx) == JIT_OK);
    stats(m, &s);
    TAP_CHECK_EQ(s.free_ranges, 1);
    TAP_CHECK_EQ(s.largest_free, s.bytes_free);
    TAP_CHECK_EQ(s.bytes_in_use, 0);
    jit_execmem_destroy(m);
}

TAP_CASE(regions_given_back)
{
    long pg = sysconf(_SC_PAGESIZE);
    for (size_t mi = 0; mi < 3; mi++) {
        struct jit_execmem *m = mk(all_modes[mi], (size_t)pg, 0);
        struct jit_execmem_stats s;
        enum { N = 64 };
        void *p[N];
        size_t sz = (size_t)pg / 4;
        for (int i = 0; i < N; i++) {
            struct jit_code c;
            TAP_CHECK(jit_execmem_alloc(m, sz, 0, &c) == JIT_OK);
            p[i] = c.rx;
        }
        stats(m, &s);
        TAP_CHECKF(s.regions >= N / 4, "regions %zu", s.regions);
        TAP_CHECK_EQ(s.allocations, N);
        TAP_CHECK_EQ(s.bytes_in_use, N * sz);
        for (int i = 0; i < N; i += 2) /* every other: regions stay */
            TAP_CHECK(jit_execmem_free(m, p[i]) == JIT_OK);
        stats(m, &s);
        TAP_CHECKF(s.regions >= N / 4, "half-used regions stay: %zu", s.regions);
        for (int i = 1; i < N; i += 2)
            TAP_CHECK(jit_execmem_free(m, p[i]) == JIT_OK);
        stats(m, &s);
        TAP_CHECKF(s.regions == 1, "%s: %zu regions left, want 1 kept", jit_execmem_mode_name(all_modes[mi]),
                   s.regions);
        TAP_CHECK_EQ(s.allocations, 0);
        TAP_CHECK_EQ(s.bytes_in_use, 0);
        /* A big allocation gets its own region, given back on free. */
        struct jit_code big;
        TAP_CHECK(jit_execmem_alloc(m, (size_t)pg * 5, 0, &big) == JIT_OK);
        stats(m, &s);
        TAP_CHECK(s.regions == 1 || s.regions == 2);
        TAP_CHECK(jit_execmem_free(m, big.rx) == JIT_OK);
        stats(m, &s);
        TAP_CHECK_EQ(s.regions, 1);
        jit_execmem_destroy(m);
    }
}

TAP_CASE(stats_and_alignment)
{
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_execmem_stats s;
    stats(m, &s);
    TAP_CHECK_EQ(s.regions, 0);
    TAP_CHECK_EQ(s.bytes_free, 0);
    struct jit_code a, b;
    TAP_CHECK(jit_execmem_alloc(m, 1, 0, &a) == JIT_OK);
    TAP_CHECKF(a.size >= JIT_EXECMEM_MIN_ALLOC, "even 1 byte gets room for a jump: %zu", a.size);
    TAP_CHECK(jit_execmem_alloc(m, 10, 256, &b) == JIT_OK);
    TAP_CHECK(((uintptr_t)b.rx & 255u) == 0);
    stats(m, &s);
    TAP_CHECK_EQ(s.regions, 1);
    TAP_CHECK_EQ(s.allocations, 2);
    TAP_CHECK_EQ(s.bytes_in_use, a.size + b.size);
    TAP_CHECK_EQ(s.bytes_in_use + s.bytes_free, JIT_EXECMEM_DEFAULT_REGION_SIZE);
    TAP_CHECK(s.largest_free <= s.bytes_free && s.free_ranges == 2); /* gap before b, tail */
    jit_execmem_destroy(m);
}

struct trap_arg {
    enum jit_execmem_mode mode;
    int bad_offset; /* call into the middle of the freed range */
};

/* Report the trap as exit status 128+signal: same proof as dying of it, but
 * qemu-user does not log "uncaught target signal ... core dumped". */
static void trap_exit(int sig)
{
    _exit(128 + sig);
}

static void trap_child(void *p)
{
    struct trap_arg *t = p;
    signal(SIGTRAP, trap_exit);
    signal(SIGILL, trap_exit);
    signal(SIGSEGV, trap_exit);
    signal(SIGBUS, trap_exit);
    struct jit_execmem_params prm = {.mode = t->mode};
    struct jit_execmem *m;
    if (jit_execmem_create(&prm, &m) != JIT_OK)
        _exit(10);
    uint8_t buf[32];
    size_t len;
    struct jit_code c, keep;
    if (jit_execmem_alloc(m, 64, 0, &keep) != JIT_OK) /* region stays mapped */
        _exit(11);
    jit_emit_ret_const(buf, sizeof buf, 42, &len);
    if (jit_execmem_alloc(m, 64, 0, &c) != JIT_OK || jit_execmem_write(m, c.rx, buf, len) != JIT_OK)
        _exit(12);
    if (call(c.rx, 0) != 42) /* runs (and, under qemu, gets translated) */
        _exit(13);
    if (jit_execmem_free(m, c.rx) != JIT_OK)
        _exit(14);
    call((uint8_t *)c.rx + t->bad_offset, 0); /* must trap */
    _exit(15);
}

TAP_CASE(trap_fill_traps)
{
    const struct jit_arch_info *a = jit_arch();
    for (size_t i = 0; i < 3; i++)
        for (int off = 0; off <= 16; off += 16) {
            struct trap_arg t = {all_modes[i], off};
            int st = in_child(trap_child, &t);
            TAP_CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 128 + a->trap_signal,
                       "%s offset %d: want signal %d (exit %d), got %s %d",
                       jit_execmem_mode_name(t.mode), off, a->trap_signal, 128 + a->trap_signal,
                       WIFSIGNALED(st) ? "signal" : "exit",
                       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        }
    /* The freed bytes hold the trap word, not zeros (a no-op on mips/arm). */
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_code c, keep;
    TAP_CHECK(jit_execmem_alloc(m, 64, 0, &keep) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(m, 64, 0, &c) == JIT_OK);
    memset(c.rw, 0x5a, 64);
    TAP_CHECK(jit_execmem_free(m, c.rx) == JIT_OK);
    uint32_t w;
    int all = 1;
    for (int i = 0; i < 64; i += 4) {
        memcpy(&w, (uint8_t *)c.rx + i, 4);
        all &= w == a->trap_insn;
    }
    TAP_CHECKF(all, "freed range reads back as trap words");
    jit_execmem_destroy(m);
}

/* Write k=1, run it, rewrite in place to k=2..: the new code must run. */
static int rewrite_in_place(struct jit_execmem *m, int rounds)
{
    uint8_t buf[32];
    size_t len;
    void *f = emit_const(m, 1);
    if (!f || call(f, 0) != 1)
        return -1;
    int stale = 0;
    for (int k = 2; k < 2 + rounds; k++) {
        jit_emit_ret_const(buf, sizeof buf, k, &len);
        if (jit_execmem_write(m, f, buf, len) != JIT_OK)
            return -1;
        for (int rep = 0; rep < 3; rep++)
            stale += call(f, 0) != k;
    }
    jit_execmem_free(m, f);
    return stale;
}

TAP_CASE(in_place_rewrite)
{
    for (size_t i = 0; i < 3; i++) {
        struct jit_execmem *m = mk(all_modes[i], 0, 0);
        int stale = rewrite_in_place(m, 20);
        TAP_CHECKF(stale == 0, "%s: %d stale calls after rewriting in place",
                   jit_execmem_mode_name(all_modes[i]), stale);
        jit_execmem_destroy(m);
    }
    /* Without the RX-view toggle, an emulator may run stale code: report it. */
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, JIT_EXECMEM_NO_RX_REFRESH);
    int stale = rewrite_in_place(m, 20);
    TAP_CHECK(stale >= 0);
    tap_diag("dual map without RX refresh: %d of 60 calls ran stale code%s", stale,
             stale ? " (emulator: the refresh is needed here)" : "");
    jit_execmem_destroy(m);
}

struct flush_count {
    unsigned long calls;
    size_t bytes;
};

static void count_hook(void *rx, size_t size, void *ctx)
{
    (void)rx;
    struct flush_count *fc = ctx;
    __atomic_add_fetch(&fc->calls, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&fc->bytes, size, __ATOMIC_RELAXED);
}

TAP_CASE(icache_flush_path_runs)
{
    struct flush_count fc = {0, 0};
    for (size_t i = 0; i < 3; i++) {
        struct jit_execmem *m = mk(all_modes[i], 0, 0);
        struct jit_code c;
        TAP_CHECK(jit_execmem_alloc(m, 64, 0, &c) == JIT_OK);
        jit_icache_set_hook(count_hook, &fc);
        fc.calls = fc.bytes = 0;
        uint8_t buf[32];
        size_t len;
        jit_emit_ret_const(buf, sizeof buf, 9, &len);
        TAP_CHECK(jit_execmem_write(m, c.rx, buf, len) == JIT_OK);
        TAP_CHECKF(fc.calls == 1 && fc.bytes == len, "%s: write flushed %lu times, %zu bytes",
                   jit_execmem_mode_name(all_modes[i]), fc.calls, fc.bytes);
        TAP_CHECK_EQ(call(c.rx, 0), 9);
        TAP_CHECK(jit_execmem_free(m, c.rx) == JIT_OK);
        TAP_CHECKF(fc.calls == 2, "free (trap fill) flushed: %lu", fc.calls);
        jit_icache_set_hook(NULL, NULL);
        jit_execmem_destroy(m);
    }
    /* Replacement: the slot needs no flush, the branch does. */
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_fn *slot, *br;
    void *old;
    TAP_CHECK(jit_fn_create(m, JIT_FN_SLOT, emit_const(m, 1), &slot) == JIT_OK);
    TAP_CHECK(jit_fn_create(m, JIT_FN_BRANCH, emit_const(m, 1), &br) == JIT_OK);
    void *s2 = emit_const(m, 2), *b2 = emit_const(m, 2);
    jit_icache_set_hook(count_hook, &fc);
    fc.calls = 0;
    TAP_CHECK(jit_fn_replace(slot, s2, &old) == JIT_OK);
    TAP_CHECKF(fc.calls == 0, "slot replace flushed %lu times", fc.calls);
    jit_execmem_free(m, old);
    fc.calls = 0;
    TAP_CHECK(jit_fn_replace(br, b2, &old) == JIT_OK);
    TAP_CHECKF(fc.calls >= 1, "branch replace flushed %lu times", fc.calls);
    jit_icache_set_hook(NULL, NULL);
    jit_execmem_free(m, old);
    TAP_CHECK_EQ(call(jit_fn_entry(br), 0), 2);
    jit_fn_destroy(slot);
    jit_fn_destroy(br);
    jit_execmem_destroy(m);
}

TAP_CASE(encoders)
{
    const struct jit_arch_info *a = jit_arch();
    uint8_t buf[64];
    size_t len;
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    static const int32_t ks[] = {0, 1, -1, 2047, -2048, 2048, 65535, 65536, 0x12345678, INT32_MIN,
                                 INT32_MAX};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        void *f = emit_const(m, ks[i]);
        if (f)
            TAP_CHECKF(call(f, 0) == ks[i], "return %d", (int)ks[i]);
        jit_execmem_free(m, f);
    }
    struct jit_code c;
    TAP_CHECK(jit_emit_ret_arg(buf, sizeof buf, &len) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(m, len, 0, &c) == JIT_OK && jit_execmem_write(m, c.rx, buf, len) == JIT_OK);
    TAP_CHECK_EQ(call(c.rx, 31337), 31337);
    jit_execmem_free(m, c.rx);
    /* The long jump reaches its target wherever it is. */
    void *target = emit_const(m, 4242);
    struct jit_code j;
    TAP_CHECK(jit_execmem_alloc(m, JIT_ARCH_LONG_JUMP_SIZE, 0, &j) == JIT_OK);
    TAP_CHECK(jit_emit_long_jump(buf, sizeof buf, (uintptr_t)j.rx, (uintptr_t)target, &len) == JIT_OK);
    TAP_CHECK_EQ(len, a->long_jump_size);
    TAP_CHECK(jit_execmem_write(m, j.rx, buf, len) == JIT_OK);
    TAP_CHECK_EQ(call(j.rx, 0), 4242);
    /* Direct branches: in reach they run; beyond reach they are refused. */
    TAP_CHECK(jit_emit_branch(buf, sizeof buf, (uintptr_t)j.rx, (uintptr_t)target, &len) == JIT_OK);
    TAP_CHECK(jit_execmem_write(m, j.rx, buf, len) == JIT_OK);
    TAP_CHECK_EQ(call(j.rx, 0), 4242);
    if (sizeof(uintptr_t) == 8 || a->branch_reach < 0xffffffffu) {
        uintptr_t at = (uintptr_t)0x10000000u, far;
        if (a->branch_reach == 0)
            far = at + 0x10000000u; /* next 256 MiB segment */
        else
            far = at + (uintptr_t)(a->branch_reach * 2 > 0x7fffffffu ? 0x7fffffffu : a->branch_reach * 2);
#if UINTPTR_MAX > 0xffffffffu
        if (a->branch_reach >= 0x7fffffffu)
            far = at + ((uintptr_t)1 << 40);
#endif
        TAP_CHECK(jit_emit_branch(buf, sizeof buf, at, far, &len) == JIT_ERR_OUT_OF_RANGE);
        TAP_CHECK(jit_emit_jump(buf, sizeof buf, at, far, &len) == JIT_OK && len == a->long_jump_size);
    }
    TAP_CHECK(jit_emit_ret_const(buf, 2, 1, &len) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_emit_branch(NULL, 64, 0, 0, &len) == JIT_ERR_INVALID_ARG);
    jit_execmem_destroy(m);
}

TAP_CASE(replace_pointer_slot)
{
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_fn *fn;
    TAP_CHECK(jit_fn_create(m, JIT_FN_SLOT, emit_const(m, 0), &fn) == JIT_OK);
    void **slot = jit_fn_slot(fn);
    TAP_CHECK(slot != NULL);
    TAP_CHECK_EQ(call(jit_fn_slot_load(slot), 0), 0);
    for (int k = 1; k <= 50; k++) {
        void *old;
        TAP_CHECK(jit_fn_replace(fn, emit_const(m, k), &old) == JIT_OK);
        TAP_CHECK(jit_execmem_free(m, old) == JIT_OK);
        TAP_CHECK_EQ(call(jit_fn_slot_load(slot), 0), k);
    }
    TAP_CHECK_EQ(jit_fn_replacements(fn), 50);
    struct jit_execmem_stats s;
    stats(m, &s);
    TAP_CHECK_EQ(s.allocations, 1);
    TAP_CHECK(jit_fn_destroy(fn) == JIT_OK);
    stats(m, &s);
    TAP_CHECK_EQ(s.allocations, 0);
    jit_execmem_destroy(m);
}

TAP_CASE(replace_direct_branch)
{
    for (size_t mi = 0; mi < 3; mi++) {
        struct jit_execmem *m = mk(all_modes[mi], 0, 0);
        struct jit_fn *fn;
        uint8_t buf[32];
        size_t len;
        struct jit_code tiny;
        /* Target smaller than the entry's branch sequence. */
        TAP_CHECK(emit_tiny(buf, sizeof buf, &len) == JIT_OK);
        TAP_CHECK(jit_execmem_alloc(m, len, 0, &tiny) == JIT_OK);
        TAP_CHECK(jit_execmem_write(m, tiny.rx, buf, len) == JIT_OK);
        TAP_CHECK(jit_fn_create(m, JIT_FN_BRANCH, emit_const(m, 0), &fn) == JIT_OK);
        void *entry = jit_fn_entry(fn);
        TAP_CHECK_EQ(call(entry, 0), 0);
        for (int k = 1; k <= 50; k++) {
            void *old;
            TAP_CHECK(jit_fn_replace(fn, emit_const(m, k), &old) == JIT_OK);
            TAP_CHECK(jit_execmem_free(m, old) == JIT_OK);
            TAP_CHECKF(call(entry, 0) == k, "%s k=%d", jit_execmem_mode_name(all_modes[mi]), k);
            TAP_CHECK(jit_fn_entry(fn) == entry);
        }
#if !defined(JIT_ARCH_I686)
        void *old;
        TAP_CHECK(jit_fn_replace(fn, tiny.rx, &old) == JIT_OK);
        TAP_CHECK(jit_execmem_free(m, old) == JIT_OK);
        TAP_CHECK_EQ(call(entry, 99), 99); /* ret_arg */
#else
        TAP_CHECK(jit_execmem_free(m, tiny.rx) == JIT_OK);
#endif
        TAP_CHECK(jit_fn_destroy(fn) == JIT_OK);
        struct jit_execmem_stats s;
        stats(m, &s);
        TAP_CHECK_EQ(s.allocations, 0);
        jit_execmem_destroy(m);
    }
}

TAP_CASE(replace_chain_functions_smaller_than_a_jump)
{
    const struct jit_arch_info *a = jit_arch();
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    uint8_t buf[32];
    size_t len;
    struct jit_code tiny;
    TAP_CHECK(emit_shorter_than_jump(buf, sizeof buf, &len) == JIT_OK);
    TAP_CHECKF(len < a->long_jump_size, "tiny function %zu B < long jump %zu B", len,
               a->long_jump_size);
    TAP_CHECK(jit_execmem_alloc(m, len, 0, &tiny) == JIT_OK);
    TAP_CHECK(jit_execmem_write(m, tiny.rx, buf, len) == JIT_OK);
    void *neighbour = emit_const(m, 77); /* allocated right after the tiny one */
    TAP_CHECKF((uint8_t *)neighbour == (uint8_t *)tiny.rx + tiny.size, "neighbours are adjacent");
    struct jit_fn *fn;
    TAP_CHECK(jit_fn_create(m, JIT_FN_CHAIN, tiny.rx, &fn) == JIT_OK);
    void *entry = jit_fn_entry(fn);
    TAP_CHECK(entry == tiny.rx);
    for (int k = 1; k <= 20; k++) {
        /* Far targets too: the long jump gets used when out of direct reach. */
        TAP_CHECK(jit_fn_replace(fn, emit_const(m, k), NULL) == JIT_OK);
        TAP_CHECK_EQ(call(entry, 0), k);
        TAP_CHECKF(call(neighbour, 0) == 77, "neighbour intact after %d patches", k);
    }
    TAP_CHECK_EQ(jit_fn_replacements(fn), 20);
    struct jit_execmem_stats s;
    stats(m, &s);
    TAP_CHECKF(s.allocations == 22, "chain keeps every version: %zu", s.allocations);
    TAP_CHECK(jit_fn_destroy(fn) == JIT_OK);
    stats(m, &s);
    TAP_CHECK_EQ(s.allocations, 1);
    jit_execmem_destroy(m);
}

TAP_CASE(epoch_rules)
{
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_epoch *ep;
    struct jit_epoch_thread *t1, *t2;
    size_t freed;
    TAP_CHECK(jit_epoch_create(&ep) == JIT_OK);
    TAP_CHECK(jit_epoch_register(ep, &t1) == JIT_OK);
    TAP_CHECK(jit_epoch_register(ep, &t2) == JIT_OK);
    void *f = emit_const(m, 1);
    TAP_CHECK(jit_epoch_retire(ep, m, f) == JIT_OK);
    TAP_CHECK(jit_epoch_reclaim(ep, &freed) == JIT_OK);
    TAP_CHECK_EQ(freed, 0);
    jit_epoch_quiescent(t1);
    TAP_CHECK(jit_epoch_reclaim(ep, &freed) == JIT_OK);
    TAP_CHECKF(freed == 0, "t2 has not passed a quiescent state");
    jit_epoch_quiescent(t2);
    TAP_CHECK(jit_epoch_reclaim(ep, &freed) == JIT_OK);
    TAP_CHECK_EQ(freed, 1);
    struct jit_code q;
    TAP_CHECK(jit_execmem_query(m, f, &q) == JIT_ERR_NOT_OWNED);
    /* Offline threads do not hold reclamation back. */
    jit_epoch_offline(t2);
    TAP_CHECK(jit_epoch_retire(ep, m, emit_const(m, 2)) == JIT_OK);
    jit_epoch_quiescent(t1);
    TAP_CHECK(jit_epoch_reclaim(ep, &freed) == JIT_OK);
    TAP_CHECK_EQ(freed, 1);
    jit_epoch_online(t2);
    /* A quiescent state from before the retirement does not count. */
    jit_epoch_quiescent(t1);
    jit_epoch_quiescent(t2);
    TAP_CHECK(jit_epoch_retire(ep, m, emit_const(m, 3)) == JIT_OK);
    TAP_CHECK(jit_epoch_reclaim(ep, &freed) == JIT_OK);
    TAP_CHECK_EQ(freed, 0);
    TAP_CHECK_EQ(jit_epoch_pending(ep), 1);
    TAP_CHECK(jit_epoch_unregister(ep, t1) == JIT_OK);
    TAP_CHECK(jit_epoch_unregister(ep, t2) == JIT_OK);
    TAP_CHECK(jit_epoch_reclaim(ep, &freed) == JIT_OK);
    TAP_CHECK_EQ(freed, 1);
    int local;
    TAP_CHECK(jit_epoch_retire(ep, m, &local) == JIT_ERR_NOT_OWNED);
    TAP_CHECK(jit_epoch_retire(ep, NULL, &local) == JIT_ERR_INVALID_ARG);
    /* destroy frees what is still pending */
    TAP_CHECK(jit_epoch_retire(ep, m, emit_const(m, 4)) == JIT_OK);
    jit_epoch_destroy(ep);
    struct jit_execmem_stats s;
    stats(m, &s);
    TAP_CHECK_EQ(s.allocations, 0);
    jit_execmem_destroy(m);
}

/* --- concurrency ------------------------------------------------------------ */

#define CONC_CALLERS 2

struct conc {
    struct jit_execmem *mem;
    struct jit_epoch *ep;
    struct jit_fn *fn;
    enum jit_fn_mode mode;
    int replacements;
    int stop;            /* __atomic */
    int bad;             /* __atomic: wrong or out-of-order results */
    unsigned long calls; /* __atomic */
    unsigned long batches; /* __atomic: callers' progress */
    /* __atomic: each caller's own progress, so the replacer can wait for every
     * one of them (a total would let one descheduled caller hold its epoch
     * while the others count, and retired code would pile up). */
    unsigned long progress[CONC_CALLERS];
    int next_id; /* __atomic */
};

static void *caller(void *p)
{
    struct conc *c = p;
    struct jit_epoch_thread *t;
    int id = __atomic_fetch_add(&c->next_id, 1, __ATOMIC_RELAXED);
    if (jit_epoch_register(c->ep, &t) != JIT_OK) {
        __atomic_add_fetch(&c->bad, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&c->progress[id], ~0ul, __ATOMIC_RELEASE); /* never wait for it */
        return NULL;
    }
    void **slot = jit_fn_slot(c->fn);
    void *entry = jit_fn_entry(c->fn);
    int last = -1;
    unsigned long n = 0;
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        for (int i = 0; i < 32; i++, n++) {
            int r = call(slot ? jit_fn_slot_load(slot) : entry, 0);
            if (r < last || r > c->replacements)
                __atomic_add_fetch(&c->bad, 1, __ATOMIC_SEQ_CST);
            last = r;
        }
        jit_epoch_quiescent(t);
        __atomic_add_fetch(&c->batches, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&c->progress[id], 1, __ATOMIC_RELEASE);
        sched_yield(); /* leave the replacer a core on a busy 2-core host */
    }
    jit_epoch_unregister(c->ep, t);
    __atomic_add_fetch(&c->calls, n, __ATOMIC_SEQ_CST);
    return NULL;
}

/* In a child: a crash (call into freed, trap-filled code) becomes its status. */
static void conc_child(void *p)
{
    struct conc *c = p;
    struct jit_execmem_params prm = {0};
    if (jit_execmem_create(&prm, &c->mem) != JIT_OK || jit_epoch_create(&c->ep) != JIT_OK)
        _exit(20);
    uint8_t buf[32];
    size_t len;
    struct jit_code code;
    jit_emit_ret_const(buf, sizeof buf, 0, &len);
    if (jit_execmem_alloc(c->mem, len, 0, &code) != JIT_OK ||
        jit_execmem_write(c->mem, code.rx, buf, len) != JIT_OK ||
        jit_fn_create(c->mem, c->mode, code.rx, &c->fn) != JIT_OK)
        _exit(21);
    pthread_t th[CONC_CALLERS];
    for (int i = 0; i < CONC_CALLERS; i++)
        if (pthread_create(&th[i], NULL, caller, c) != 0)
            _exit(22);
    size_t max_allocs = 0;
    for (int k = 1; k <= c->replacements; k++) {
        void *old;
        /* Every 8 replacements wait until every caller made progress (and so
         * passed a quiescent point), so calls really overlap replacements from
         * the first to the last and no caller holds its epoch for long,
         * however the host schedules the threads. */
        if ((k & 7) == 1) {
            unsigned long seen[CONC_CALLERS];
            for (int i = 0; i < CONC_CALLERS; i++)
                seen[i] = __atomic_load_n(&c->progress[i], __ATOMIC_ACQUIRE);
            for (int i = 0; i < CONC_CALLERS; i++)
                while (seen[i] != ~0ul && __atomic_load_n(&c->progress[i], __ATOMIC_ACQUIRE) == seen[i])
                    sched_yield();
        }
        jit_emit_ret_const(buf, sizeof buf, k, &len);
        if (jit_execmem_alloc(c->mem, len, 0, &code) != JIT_OK ||
            jit_execmem_write(c->mem, code.rx, buf, len) != JIT_OK)
            _exit(23);
        if (jit_fn_replace(c->fn, code.rx, &old) != JIT_OK)
            _exit(24);
        if (jit_epoch_retire(c->ep, c->mem, old) != JIT_OK)
            _exit(25);
        if ((k & 15) == 0 && jit_epoch_reclaim(c->ep, NULL) != JIT_OK)
            _exit(26);
        struct jit_execmem_stats s;
        if ((k & 255) == 0 && jit_execmem_stats(c->mem, &s) == JIT_OK && s.allocations > max_allocs)
            max_allocs = s.allocations;
    }
    __atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < CONC_CALLERS; i++)
        pthread_join(th[i], NULL);
    size_t freed;
    if (jit_epoch_reclaim(c->ep, &freed) != JIT_OK || jit_epoch_pending(c->ep) != 0)
        _exit(27);
    if (jit_fn_destroy(c->fn) != JIT_OK)
        _exit(28);
    struct jit_execmem_stats s;
    jit_execmem_stats(c->mem, &s);
    printf("# %s: %d replacements, %lu calls by %d threads, %d bad results, peak %zu live "
           "allocations, end: %zu live, %zu regions\n",
           jit_fn_mode_name(c->mode), c->replacements, c->calls, CONC_CALLERS, c->bad, max_allocs,
           s.allocations, s.regions);
    fflush(stdout);
    if (c->bad)
        _exit(30);
    if (s.allocations != 0 || s.bytes_in_use != 0)
        _exit(31);
    if (max_allocs > 4096) /* retired code must come back, not pile up */
        _exit(32);
    if (c->calls == 0)
        _exit(33);
    jit_epoch_destroy(c->ep);
    jit_execmem_destroy(c->mem);
    _exit(0);
}

static void concurrency(enum jit_fn_mode mode)
{
    struct conc c = {.mode = mode, .replacements = 10000};
    int st = in_child(conc_child, &c);
    TAP_CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child %s %d", jit_fn_mode_name(mode),
               WIFSIGNALED(st) ? "killed by signal" : "exited with",
               WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

TAP_CASE(concurrent_replace_pointer_slot)
{
    concurrency(JIT_FN_SLOT);
}

TAP_CASE(concurrent_replace_direct_branch)
{
    concurrency(JIT_FN_BRANCH);
}

/* Several threads allocate, write, run and free at once. Dual map and RWX
 * only: in mprotect mode a writer flips a whole page to RW, which faults any
 * thread running other code on that page (a limit of that mode). */
struct alloc_thread {
    struct jit_execmem *mem;
    int id, errors;
};

static void *alloc_worker(void *p)
{
    struct alloc_thread *t = p;
    void *live[8] = {0};
    for (int i = 0; i < 1500; i++) {
        int k = i & 7;
        if (live[k]) {
            if (call(live[k], 0) != t->id * 100000 + k)
                t->errors++;
            if (jit_execmem_free(t->mem, live[k]) != JIT_OK)
                t->errors++;
            live[k] = NULL;
        }
        uint8_t buf[32];
        size_t len;
        struct jit_code c;
        jit_emit_ret_const(buf, sizeof buf, t->id * 100000 + k, &len);
        if (jit_execmem_alloc(t->mem, len + (size_t)(i % 5) * 100, 0, &c) != JIT_OK ||
            jit_execmem_write(t->mem, c.rx, buf, len) != JIT_OK) {
            t->errors++;
            continue;
        }
        live[k] = c.rx;
    }
    for (int k = 0; k < 8; k++)
        if (live[k] && jit_execmem_free(t->mem, live[k]) != JIT_OK)
            t->errors++;
    return NULL;
}

TAP_CASE(allocator_thread_safety)
{
    static const enum jit_execmem_mode modes[] = {JIT_EXECMEM_DUAL_MAP, JIT_EXECMEM_RWX};
    for (size_t mi = 0; mi < 2; mi++) {
        struct jit_execmem *m = mk(modes[mi], 4096, 0);
        enum { T = 4 };
        pthread_t th[T];
        struct alloc_thread at[T];
        for (int i = 0; i < T; i++) {
            at[i] = (struct alloc_thread){m, i + 1, 0};
            TAP_CHECK(pthread_create(&th[i], NULL, alloc_worker, &at[i]) == 0);
        }
        int errors = 0;
        for (int i = 0; i < T; i++) {
            pthread_join(th[i], NULL);
            errors += at[i].errors;
        }
        TAP_CHECKF(errors == 0, "%s: %d errors", jit_execmem_mode_name(modes[mi]), errors);
        struct jit_execmem_stats s;
        stats(m, &s);
        TAP_CHECK_EQ(s.allocations, 0);
        TAP_CHECK_EQ(s.regions, 1);
        jit_execmem_destroy(m);
    }
}

/* --- randomized test against a model ---------------------------------------- */

/* Under qemu-user uname() reports the guest machine while the kernel's own
 * /proc/sys/kernel/arch names the host's: they differ only when emulated. */
static int emulated(void)
{
    struct utsname u;
    char host[64] = "";
    FILE *f = fopen("/proc/sys/kernel/arch", "r");
    if (!f)
        return 0;
    int ok = fgets(host, sizeof host, f) != NULL;
    fclose(f);
    if (!ok || uname(&u) != 0)
        return 0;
    host[strcspn(host, "\n")] = 0;
    return strcmp(host, u.machine) != 0;
}

/* 1,000,000 operations natively; JIT_RANDOM_OPS=N sets the count, and under
 * qemu it is 50,000 unless that variable says otherwise. --quick (the
 * matrix's quick profile) runs a fifth of that: 200,000 / 10,000, every
 * kind of operation and check still in it; the nightly runs the full count. */
static long random_ops(void)
{
    const char *v = getenv("JIT_RANDOM_OPS");
    if (v && *v)
        return strtol(v, NULL, 10);
    long ops = emulated() ? 50000 : 1000000;
    return tap_quick() ? ops / 5 : ops;
}

struct model_alloc {
    uint8_t *rx, *rw;
    size_t size;
    uint8_t tag;
};

static uint64_t model_rng;
static uint32_t model_rnd(void)
{
    model_rng ^= model_rng << 13;
    model_rng ^= model_rng >> 7;
    model_rng ^= model_rng << 17;
    return (uint32_t)(model_rng >> 11);
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* One run: random allocs (mixed sizes, some over-aligned), frees, queries,
 * interior and double frees; the model is the list of live allocations, each
 * filled with its own tag byte (an overlap would overwrite a neighbour's
 * tag). Checked on every operation: results, alignment, new ranges
 * trap-filled, freed ranges trap-filled, and the stats against the model.
 * Returns the number of failed checks (the first few are reported). */
static long model_run(enum jit_execmem_mode mode, long ops, uint64_t seed)
{
    enum { LIVE_CAP = 4096, PAT = 64 * 1024 };
    struct jit_execmem *m = mk(mode, 0, 0);
    if (!m)
        return 1;
    static struct model_alloc live[LIVE_CAP];
    static uint8_t trap[PAT];
    jit_arch_trap_fill(trap, sizeof trap);
    long pg = sysconf(_SC_PAGESIZE), bad = 0;
    size_t nlive = 0, in_use = 0, target = 100;
    model_rng = seed;
#define MODEL_CHECK(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond) && bad++ < 5)                                                                  \
            TAP_CHECKF(cond, __VA_ARGS__);                                                         \
    } while (0)
    for (long i = 0; i < ops && bad < 100; i++) {
        if (i % 20000 == 0) /* a new phase: grow or shrink towards another size */
            target = model_rnd() % 3000;
        struct jit_execmem_stats s0, s;
        jit_execmem_stats(m, &s0);
        int do_alloc = nlive == 0 || (nlive < LIVE_CAP && (model_rnd() % 2048) < (nlive < target ? 1400u : 648u));
        if (do_alloc) {
            uint32_t r = model_rnd() % 100;
            size_t asked = r < 70 ? 1 + model_rnd() % 256 : r < 95 ? 256 + model_rnd() % 1793 : 2048 + model_rnd() % 14337;
            size_t align = model_rnd() % 20 == 0 ? (size_t)32 << (model_rnd() % 8) : 0;
            if (align > (size_t)pg)
                align = (size_t)pg;
            struct jit_code c;
            enum jit_err e = jit_execmem_alloc(m, asked, align, &c);
            MODEL_CHECK(e == JIT_OK, "op %ld: alloc %zu/%zu: %s", i, asked, align, jit_err_str(e));
            if (e != JIT_OK)
                continue;
            MODEL_CHECK(c.size >= asked && c.size % JIT_EXECMEM_GRANULE == 0 && c.size >= JIT_EXECMEM_MIN_ALLOC,
                        "op %ld: size %zu for %zu", i, c.size, asked);
            MODEL_CHECK((uintptr_t)c.rx % (align ? align : JIT_EXECMEM_GRANULE) == 0, "op %ld: %p not %zu-aligned", i, c.rx, align);
            MODEL_CHECK(mode == JIT_EXECMEM_DUAL_MAP ? c.rw != c.rx : c.rw == c.rx, "op %ld: views", i);
            MODEL_CHECK(memcmp(c.rx, trap, c.size) == 0, "op %ld: new range %p+%zu not trap-filled", i, c.rx, c.size);
            struct model_alloc *a = &live[nlive++];
            *a = (struct model_alloc){c.rx, c.rw, c.size, (uint8_t)(1 + i % 251)};
            in_use += c.size;
            if (mode == JIT_EXECMEM_MPROTECT)
                MODEL_CHECK(jit_execmem_begin_write(m, c.rx, c.size) == JIT_OK, "op %ld: begin_write", i);
            memset(a->rw, a->tag, a->size);
            if (mode == JIT_EXECMEM_MPROTECT)
                MODEL_CHECK(jit_execmem_end_write(m, c.rx, c.size) == JIT_OK, "op %ld: end_write", i);
        } else {
            size_t k = model_rnd() % nlive;
            struct model_alloc a = live[k];
            MODEL_CHECK(all_bytes(a.rx, a.size, a.tag), "op %ld: %p+%zu overwritten (overlap)", i, a.rx, a.size);
            struct jit_code q;
            size_t in = (model_rnd() % a.size) & ~(size_t)3;
            MODEL_CHECK(jit_execmem_query(m, a.rx + in, &q) == JIT_OK && q.rx == a.rx && q.rw == a.rw && q.size == a.size,
                        "op %ld: query %p+%zu", i, a.rx, in);
            MODEL_CHECK(jit_execmem_query(m, a.rw + in, &q) == JIT_OK && q.rx == a.rx, "op %ld: query rw", i);
            if (a.size > JIT_EXECMEM_GRANULE)
                MODEL_CHECK(jit_execmem_free(m, a.rx + JIT_EXECMEM_GRANULE) == JIT_ERR_NOT_OWNED, "op %ld: interior free", i);
            enum jit_err e = jit_execmem_free(m, a.rx);
            MODEL_CHECK(e == JIT_OK, "op %ld: free %p: %s", i, a.rx, jit_err_str(e));
            live[k] = live[--nlive];
            in_use -= a.size;
            jit_execmem_stats(m, &s);
            if (s.regions == s0.regions) { /* its region is still mapped */
                MODEL_CHECK(memcmp(a.rx, trap, a.size) == 0, "op %ld: freed %p+%zu not trap-filled", i, a.rx, a.size);
                e = jit_execmem_free(m, a.rx);
                MODEL_CHECK(e == JIT_ERR_DOUBLE_FREE, "op %ld: double free: %s", i, jit_err_str(e));
                MODEL_CHECK(jit_execmem_query(m, a.rx, &q) == JIT_ERR_NOT_OWNED, "op %ld: query freed", i);
            }
        }
        jit_execmem_stats(m, &s);
        MODEL_CHECK(s.allocations == nlive && s.bytes_in_use == in_use, "op %ld: stats %zu/%zu live, %zu/%zu B", i,
                    s.allocations, nlive, s.bytes_in_use, in_use);
        MODEL_CHECK(s.bytes_in_use + s.bytes_free == s.regions * JIT_EXECMEM_DEFAULT_REGION_SIZE,
                    "op %ld: %zu + %zu B != %zu regions", i, s.bytes_in_use, s.bytes_free, s.regions);
        MODEL_CHECK(s.largest_free <= s.bytes_free && (s.bytes_free == 0) == (s.free_ranges == 0) &&
                        s.free_ranges * JIT_EXECMEM_GRANULE <= s.bytes_free,
                    "op %ld: free stats", i);
    }
    while (nlive) {
        struct model_alloc a = live[--nlive];
        MODEL_CHECK(all_bytes(a.rx, a.size, a.tag), "end: %p+%zu overwritten", a.rx, a.size);
        MODEL_CHECK(jit_execmem_free(m, a.rx) == JIT_OK, "end: free");
    }
    struct jit_execmem_stats s;
    jit_execmem_stats(m, &s);
    MODEL_CHECK(s.allocations == 0 && s.bytes_in_use == 0 && s.regions == 1 && s.free_ranges == 1 &&
                    s.largest_free == JIT_EXECMEM_DEFAULT_REGION_SIZE,
                "end: %zu live, %zu regions, %zu free ranges", s.allocations, s.regions, s.free_ranges);
#undef MODEL_CHECK
    jit_execmem_destroy(m);
    return bad;
}

TAP_CASE(randomized_against_model)
{
    long ops = random_ops();
    /* RWX: the allocator alone, the full count; the W^X modes pay syscalls per
     * free (and mprotect per write), so a tenth and a twentieth. */
    long bad = model_run(JIT_EXECMEM_RWX, ops, 0x2545f4914f6cdd1dull);
    long bad_dual = model_run(JIT_EXECMEM_DUAL_MAP, ops / 10, 0x9e3779b97f4a7c15ull);
    long bad_mp = model_run(JIT_EXECMEM_MPROTECT, ops / 20, 0xd1b54a32d192ed03ull);
    tap_diag("model: %ld rwx + %ld dual-map + %ld mprotect operations%s%s", ops, ops / 10, ops / 20,
             emulated() ? " (scaled down: emulated)" : "", tap_quick() ? " (--quick: a fifth)" : "");
    TAP_CHECKF(bad == 0 && bad_dual == 0 && bad_mp == 0, "%ld + %ld + %ld failed checks", bad, bad_dual, bad_mp);
}

/* --- CPU features and the slot swap ------------------------------------------- */

TAP_CASE(cpu_features)
{
    const struct jit_cpu_info *ci = jit_cpu();
    TAP_CHECK(ci != NULL && ci == jit_cpu());
    TAP_CHECK(strcmp(ci->arch, JIT_ARCH_NAME) == 0);
    TAP_CHECKF((ci->detected & ~ci->known) == 0, "detected only what this arch can detect");
    /* The binary runs, so what the compiler assumed is there; detection must agree. */
    TAP_CHECKF((ci->built_for & ~ci->detected) == 0, "built for %#llx, detected %#llx",
               (unsigned long long)ci->built_for, (unsigned long long)ci->detected);
    int names = 0;
    for (unsigned f = 0; f < JIT_CPU_FEATURE_COUNT; f++) {
        enum jit_cpu_feature got;
        const char *n = jit_cpu_feature_name((enum jit_cpu_feature)f);
        TAP_CHECK(n && strcmp(n, "?") != 0);
        enum jit_err e = jit_cpu_feature_lookup(n, &got);
        if (ci->known & JIT_CPU_BIT(f)) {
            names++;
            TAP_CHECKF(e == JIT_OK && got == (enum jit_cpu_feature)f, "lookup %s", n);
        } else {
            /* another arch's feature is not a name here (a typo must not pass) */
            TAP_CHECKF(e == JIT_ERR_UNSUPPORTED, "lookup %s on %s: %s", n, ci->arch, jit_err_str(e));
            TAP_CHECK(!jit_cpu_has((enum jit_cpu_feature)f));
        }
        TAP_CHECK_EQ(jit_cpu_has((enum jit_cpu_feature)f), (ci->detected & JIT_CPU_BIT(f)) != 0);
    }
    enum jit_cpu_feature f;
    TAP_CHECK(jit_cpu_feature_lookup("AVX2", &f) == JIT_ERR_UNSUPPORTED); /* exact, lower case */
    TAP_CHECK(jit_cpu_feature_lookup("", &f) == JIT_ERR_UNSUPPORTED);
    TAP_CHECK(jit_cpu_feature_lookup(NULL, &f) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_cpu_feature_lookup("sse2", NULL) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(strcmp(jit_cpu_feature_name(JIT_CPU_FEATURE_COUNT), "?") == 0);
    TAP_CHECK(!jit_cpu_has(JIT_CPU_FEATURE_COUNT));
#if defined(JIT_ARCH_X86_64) || defined(JIT_ARCH_I686) || defined(JIT_ARCH_AARCH64) ||             \
    defined(JIT_ARCH_ARM) || defined(JIT_ARCH_RISCV64)
    TAP_CHECK(names >= 7 && ci->note == NULL);
#else
    TAP_CHECK(names == 0 && ci->detected == 0);
    TAP_CHECK(ci->note && strstr(ci->note, "no run-time feature detection on ") &&
              strstr(ci->note, JIT_ARCH_NAME));
#endif
#if defined(JIT_ARCH_X86_64)
    TAP_CHECK(jit_cpu_has(JIT_CPU_SSE2)); /* part of x86-64 itself */
#elif defined(JIT_ARCH_AARCH64)
    TAP_CHECK(jit_cpu_has(JIT_CPU_FP) && jit_cpu_has(JIT_CPU_ASIMD)); /* Linux requires both */
#elif defined(JIT_ARCH_RISCV64)
    TAP_CHECK(jit_cpu_has(JIT_CPU_RV_I) && jit_cpu_has(JIT_CPU_RV_A)); /* rv64gc userland */
#endif
    char line[512] = "";
    for (unsigned g = 0; g < JIT_CPU_FEATURE_COUNT; g++)
        if (ci->detected & JIT_CPU_BIT(g)) {
            strncat(line, " ", sizeof line - strlen(line) - 1);
            strncat(line, jit_cpu_feature_name((enum jit_cpu_feature)g), sizeof line - strlen(line) - 1);
        }
    tap_diag("cpu (%s):%s%s%s", ci->method, line, ci->note ? "; " : "", ci->note ? ci->note : "");
}

/* Detection must agree with what the CPU executes: run one instruction of a
 * feature in a child; it must die of SIGILL exactly when the feature is not
 * detected (under qemu this checks the -cpu model against our reading). */
#if defined(JIT_ARCH_X86_64) || defined(JIT_ARCH_I686)
static void exec_avx2(void *p)
{
    (void)p;
    /* vpaddd ymm0, ymm0, ymm0. No xmm0 clobber (i686 builds have no SSE
     * registers to name); the child exits right after. */
    __asm__ volatile(".byte 0xc5, 0xfd, 0xfe, 0xc0" ::: "memory");
}
static void exec_bmi2(void *p)
{
    (void)p;
    __asm__ volatile(".byte 0xc4, 0xe2, 0x7b, 0xf7, 0xc0" ::: "eax", "memory"); /* sarx eax, eax, eax */
}
#elif defined(JIT_ARCH_AARCH64)
static void exec_lse(void *p)
{
    register void *x0 __asm__("x0");
    register void *x1 __asm__("x1") = NULL;
    register void *x2 __asm__("x2") = p;
    __asm__ volatile(".inst 0xf8e18040" : "=r"(x0) : "r"(x1), "r"(x2) : "memory"); /* swpal x1, x0, [x2] */
    (void)x0;
}
#endif

struct exec_arg {
    void (*fn)(void *);
    void *arg;
};

static void exec_child(void *p)
{
    struct exec_arg *x = p;
    signal(SIGILL, trap_exit); /* exit 128+SIGILL: no core, no qemu message */
    x->fn(x->arg);
}

__attribute__((unused)) static void check_executes(const char *what, int detected, void (*fn)(void *), void *arg)
{
    struct exec_arg x = {fn, arg};
    int st = in_child(exec_child, &x);
    int sigill = WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGILL;
    int ran = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    TAP_CHECKF(detected ? ran : sigill, "%s %s detected, child %s %d", what, detected ? "is" : "is not",
               WIFSIGNALED(st) ? "got signal" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    tap_diag("%s: %s, and it %s", what, detected ? "detected" : "not detected", ran ? "runs" : "traps");
}

TAP_CASE(cpu_detection_agrees_with_the_cpu)
{
#if defined(JIT_ARCH_X86_64) || defined(JIT_ARCH_I686)
    check_executes("avx2 (vpaddd ymm)", jit_cpu_has(JIT_CPU_AVX2), exec_avx2, NULL);
    check_executes("bmi2 (sarx)", jit_cpu_has(JIT_CPU_BMI2), exec_bmi2, NULL);
#elif defined(JIT_ARCH_AARCH64)
    void *slot = NULL;
    check_executes("atomics (swpal)", jit_cpu_has(JIT_CPU_ATOMICS), exec_lse, &slot);
#else
    tap_skip("no instruction probe here (riscv64 detects v/zba/zbb by executing them already)");
#endif
}

struct swap_race {
    void **slot; /* shared by both threads */
    enum jit_swap_path path;
    uintptr_t base; /* this thread's tokens: base+1 .. base+n */
    long n;
    uint64_t sum_out; /* sum of the values this thread got back */
    long errors;
    int *go; /* start line: both threads begin together */
};

static void *swap_racer(void *p)
{
    struct swap_race *r = p;
    __atomic_add_fetch(r->go, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(r->go, __ATOMIC_SEQ_CST) < 2)
        sched_yield();
    for (long i = 1; i <= r->n; i++) {
        void *old;
        if (jit_slot_swap(r->slot, (void *)(r->base + (uintptr_t)i), r->path, &old) != JIT_OK)
            r->errors++;
        r->sum_out += (uintptr_t)old;
    }
    return NULL;
}

/* Two threads swap distinct tokens into one slot through `path`: with an
 * atomic exchange every value put in comes back exactly once (to a thread,
 * or as the final slot value), so the sums balance; a lost or duplicated
 * swap breaks them. Returns the imbalance (0 when atomic), -1 on errors. */
static long long swap_race(enum jit_swap_path path, long n)
{
    void *slot = (void *)(uintptr_t)1;
    struct swap_race r[2];
    pthread_t t[2];
    uint64_t in = 1; /* the initial value */
    int go = 0;
    for (int i = 0; i < 2; i++) {
        r[i] = (struct swap_race){.slot = &slot, .path = path, .base = (uintptr_t)(i + 1) << 24, .n = n, .go = &go};
        in += (uint64_t)n * r[i].base + (uint64_t)n * (uint64_t)(n + 1) / 2;
    }
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, swap_racer, &r[i]) != 0)
            return -1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (r[0].errors || r[1].errors)
        return -1;
    uint64_t out = r[0].sum_out + r[1].sum_out + (uintptr_t)__atomic_load_n(&slot, __ATOMIC_SEQ_CST);
    return (long long)(in - out);
}

TAP_CASE(slot_swap_paths)
{
    enum jit_swap_path want;
#if defined(JIT_ARCH_X86_64) || defined(JIT_ARCH_I686)
    want = JIT_SWAP_XCHG;
#elif defined(JIT_ARCH_AARCH64) && defined(__ARM_FEATURE_ATOMICS)
    want = JIT_SWAP_LSE; /* the build assumes LSE */
#elif defined(JIT_ARCH_AARCH64)
    want = jit_cpu_has(JIT_CPU_ATOMICS) ? JIT_SWAP_LSE : JIT_SWAP_LLSC;
#else
    want = JIT_SWAP_BUILTIN;
#endif
    TAP_CHECKF(jit_slot_swap_auto() == want, "auto path %s, want %s", jit_slot_swap_path(),
               jit_swap_path_name(want));
    TAP_CHECK(strcmp(jit_slot_swap_path(), jit_swap_path_name(want)) == 0);
    tap_diag("slot swap: %s", jit_slot_swap_path());

    long n = emulated() ? 20000 : 200000;
    static int a, b;
    for (int p = JIT_SWAP_AUTO; p <= JIT_SWAP_BUILTIN; p++) {
        enum jit_swap_path path = (enum jit_swap_path)p;
        int avail = path == JIT_SWAP_AUTO || path == want;
#if defined(JIT_ARCH_AARCH64)
        avail |= path == JIT_SWAP_LLSC; /* forced LL/SC works on an LSE CPU too */
#endif
        void *slot = &a, *old = NULL;
        enum jit_err e = jit_slot_swap(&slot, &b, path, &old);
        if (!avail) {
            TAP_CHECKF(e == JIT_ERR_UNSUPPORTED && slot == &a && old == NULL, "%s: %s",
                       jit_swap_path_name(path), jit_err_str(e));
            continue;
        }
        TAP_CHECKF(e == JIT_OK && old == &a && slot == &b, "%s: %s", jit_swap_path_name(path),
                   jit_err_str(e));
        long long imbalance = swap_race(path, n);
        TAP_CHECKF(imbalance == 0, "%s: 2 threads x %ld swaps, imbalance %lld", jit_swap_path_name(path),
                   n, imbalance);
    }
    void *slot = &a, *old;
    TAP_CHECK(jit_slot_swap(NULL, &b, JIT_SWAP_AUTO, &old) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_slot_swap(&slot, &b, JIT_SWAP_AUTO, NULL) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_slot_swap(&slot, &b, (enum jit_swap_path)99, &old) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(slot == &a);
    TAP_CHECK(strcmp(jit_swap_path_name((enum jit_swap_path)99), "?") == 0);
}

/* --- bad arguments ------------------------------------------------------------ */

TAP_CASE(bad_arguments)
{
    struct jit_execmem *m = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_code c, keep;
    TAP_CHECK(jit_execmem_alloc(m, 0, 0, &c) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_alloc(m, SIZE_MAX, 0, &c) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_alloc(m, SIZE_MAX / 2, 0, &c) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_alloc(m, JIT_EXECMEM_MAX_ALLOC + 1, 0, &c) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_alloc(m, 16, 3, &c) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_alloc(m, 16, (size_t)1 << 30, &c) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_alloc(m, 16, 0, NULL) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_alloc(NULL, 16, 0, &c) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_alloc(m, 64, 0, &keep) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(m, 64, 0, &c) == JIT_OK);
    TAP_CHECK(jit_execmem_free(m, (uint8_t *)c.rx + 16) == JIT_ERR_NOT_OWNED); /* interior */
    TAP_CHECK(jit_execmem_free(m, c.rw) == JIT_ERR_NOT_OWNED);                /* rw view, not rx */
    TAP_CHECK(jit_execmem_free(m, c.rx) == JIT_OK);
    TAP_CHECK(jit_execmem_free(m, c.rx) == JIT_ERR_DOUBLE_FREE);
    int local;
    void *heap = malloc(16);
    TAP_CHECK(jit_execmem_free(m, &local) == JIT_ERR_NOT_OWNED);
    TAP_CHECK(jit_execmem_free(m, heap) == JIT_ERR_NOT_OWNED);
    free(heap);
    TAP_CHECK(jit_execmem_free(m, NULL) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_begin_write(m, c.rx, 16) == JIT_ERR_NOT_OWNED); /* freed */
    TAP_CHECK(jit_execmem_begin_write(m, keep.rx, keep.size + 1) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_end_write(m, &local, 4) == JIT_ERR_NOT_OWNED);
    TAP_CHECK(jit_execmem_query(m, &local, &c) == JIT_ERR_NOT_OWNED);
    TAP_CHECK(jit_execmem_stats(m, NULL) == JIT_ERR_INVALID_ARG);
    /* Another allocator's pointer is foreign too. */
    struct jit_execmem *m2 = mk(JIT_EXECMEM_DUAL_MAP, 0, 0);
    struct jit_code o;
    TAP_CHECK(jit_execmem_alloc(m2, 64, 0, &o) == JIT_OK);
    TAP_CHECK(jit_execmem_free(m, o.rx) == JIT_ERR_NOT_OWNED);
    struct jit_fn *fn;
    TAP_CHECK(jit_fn_create(m, JIT_FN_SLOT, o.rx, &fn) == JIT_ERR_NOT_OWNED);
    TAP_CHECK(jit_fn_create(m, (enum jit_fn_mode)7, keep.rx, &fn) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_fn_create(m, JIT_FN_SLOT, keep.rx, &fn) == JIT_OK);
    void *old;
    TAP_CHECK(jit_fn_replace(fn, o.rx, &old) == JIT_ERR_NOT_OWNED);
    TAP_CHECK(jit_fn_replace(fn, keep.rx, &old) == JIT_ERR_INVALID_ARG); /* same code */
    TAP_CHECK(jit_fn_replace(fn, NULL, &old) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_fn_replace(NULL, keep.rx, &old) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_fn_destroy(fn) == JIT_OK); /* frees keep */
    jit_execmem_destroy(m2);
    /* Creation: bad mode, flags; limit reached. */
    struct jit_execmem_params p = {.mode = (enum jit_execmem_mode)9};
    struct jit_execmem *bad;
    TAP_CHECK(jit_execmem_create(&p, &bad) == JIT_ERR_INVALID_ARG);
    p = (struct jit_execmem_params){.flags = 0x80000000u};
    TAP_CHECK(jit_execmem_create(&p, &bad) == JIT_ERR_INVALID_ARG);
    TAP_CHECK(jit_execmem_create(NULL, NULL) == JIT_ERR_INVALID_ARG);
    p = (struct jit_execmem_params){.max_bytes = 64 * 1024};
    TAP_CHECK(jit_execmem_create(&p, &bad) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(bad, 60 * 1024, 0, &c) == JIT_OK);
    TAP_CHECK(jit_execmem_alloc(bad, 8 * 1024, 0, &o) == JIT_ERR_NO_MEMORY);
    jit_execmem_destroy(bad);
    jit_execmem_destroy(NULL);
    TAP_CHECK(jit_icache_flush(NULL, NULL, 4) == JIT_ERR_INVALID_ARG);
    for (int e = JIT_OK; e <= JIT_ERR_BUSY; e++)
        TAP_CHECK(jit_err_str((enum jit_err)e) != NULL);
    TAP_CHECK(strstr(jit_err_str((enum jit_err)99), "unknown") != NULL);
    jit_execmem_destroy(m);
}

int main(int argc, char **argv)
{
    return tap_main(argc, argv);
}
