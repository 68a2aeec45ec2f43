/* strategies.c: the ways of writing ~1 KB of code and running it.
 *
 * Each run function writes a fresh function (immediates from `seed`), makes
 * it executable, calls it and returns what it returned; *expected gets the
 * value the written code must return. x86-only strategies use inline asm or
 * intrinsics under target attributes, so the binary runs on any x86 CPU and
 * the suite skips what cpuid says is missing. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smc_internal.h"
#include "strategies.h"

#ifdef SMC_HAVE_JIT_CORE
#include "jit/execmem.h"
#endif

#if defined(SMC_X86)
#include <immintrin.h>
#endif

/* Called through volatile pointers so the compiler cannot inline or
 * specialise them: "memcpy" means the C library's memcpy. */
static void *(*volatile smc_memcpy)(void *, const void *, size_t) = memcpy;

/* ---- portable strategies ---------------------------------------------- */

static uint32_t run_baseline(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    /* Same writing work into plain data memory, then run code written once:
     * the cost of a JIT without the self-modification. */
    (void)smc_gen(c->scratch, seed);
    *expected = c->prewritten_value;
    return SMC_CALL(c->prewritten);
}

static uint32_t run_plain(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    smc_flush(c->exec, c->exec, SMC_CODE_BYTES);
    return SMC_CALL(c->exec);
}

static uint32_t run_reverse(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen_reverse(c->exec, seed);
    smc_flush(c->exec, c->exec, SMC_CODE_BYTES);
    return SMC_CALL(c->exec);
}

static uint32_t run_copy_memcpy(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->scratch, seed);
    smc_memcpy(c->exec, c->scratch, SMC_CODE_BYTES);
    smc_flush(c->exec, c->exec, SMC_CODE_BYTES);
    return SMC_CALL(c->exec);
}

#define REGIONS_FN(n)                                                                    \
    static uint32_t run_regions_##n(struct smc_ctx *c, uint32_t seed, uint32_t *expected) \
    {                                                                                    \
        uint8_t *p = c->regions + (size_t)(c->next_region++ % (n)) * SMC_PAGE;           \
        *expected = smc_gen(p, seed);                                                    \
        smc_flush(p, p, SMC_CODE_BYTES);                                                 \
        return SMC_CALL(p);                                                              \
    }
REGIONS_FN(2)
REGIONS_FN(4)
REGIONS_FN(8)
REGIONS_FN(16)
REGIONS_FN(32)
REGIONS_FN(64)

static uint32_t run_dual_map(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->dual_rw, seed);
    smc_flush(c->dual_rw, c->dual_rx, SMC_CODE_BYTES);
#if !defined(SMC_X86)
    /* qemu-user keeps running stale translations of a page rewritten through
     * another mapping (DESIGN.md 2); toggling the RX view's protection makes
     * it drop them. Real hardware needs only the flush above. */
    if (mprotect(c->dual_rx, SMC_PAGE, PROT_READ) != 0 ||
        mprotect(c->dual_rx, SMC_PAGE, PROT_READ | PROT_EXEC) != 0) {
        c->sys_errno = errno;
        return ~*expected;
    }
#endif
    return SMC_CALL(c->dual_rx);
}

static uint32_t run_remap(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    void *p = mmap(NULL, SMC_PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        c->sys_errno = errno ? errno : EINVAL;
        *expected = 0;
        return 0;
    }
    *expected = smc_gen(p, seed);
    smc_flush(p, p, SMC_CODE_BYTES);
    uint32_t v = SMC_CALL(p);
    munmap(p, SMC_PAGE);
    return v;
}

#ifdef SMC_HAVE_JIT_CORE
static uint32_t run_execmem(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    struct jit_code code;
    enum jit_err e = jit_execmem_alloc(c->em, SMC_CODE_BYTES, 64, &code);
    if (e == JIT_OK)
        e = jit_execmem_begin_write(c->em, code.rx, SMC_CODE_BYTES);
    if (e != JIT_OK) {
        c->sys_errno = EINVAL;
        *expected = 0;
        return 0;
    }
    *expected = smc_gen(code.rw, seed);
    uint32_t v = 0;
    if (jit_execmem_end_write(c->em, code.rx, SMC_CODE_BYTES) == JIT_OK)
        v = SMC_CALL(code.rx);
    else
        c->sys_errno = EINVAL;
    jit_execmem_free(c->em, code.rx);
    return v;
}
#endif

/* ---- x86-only strategies ---------------------------------------------- */
#if defined(SMC_X86)

static void *(*volatile smc_memset)(void *, int, size_t) = memset;

static inline void rep_movsb(void *d, const void *s, size_t n)
{
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n)::"memory");
}

static uint32_t run_copy_rep_movsb(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->scratch, seed);
    rep_movsb(c->exec, c->scratch, SMC_CODE_BYTES);
    return SMC_CALL(c->exec);
}

#if defined(JIT_ARCH_X86_64)
static uint32_t run_copy_rep_movsq(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->scratch, seed);
    void *d = c->exec;
    const void *s = c->scratch;
    size_t n = SMC_COPY_BYTES / 8;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n)::"memory");
    return SMC_CALL(c->exec);
}
#endif

__attribute__((target("sse2"))) static void copy_sse(uint8_t *d, const uint8_t *s, int nt)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += 16) {
        __m128i v = _mm_load_si128((const __m128i *)(s + i));
        if (nt)
            _mm_stream_si128((__m128i *)(d + i), v);
        else
            _mm_store_si128((__m128i *)(d + i), v);
    }
    if (nt)
        _mm_sfence();
}

__attribute__((target("avx"))) static void copy_avx(uint8_t *d, const uint8_t *s, int nt)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += 32) {
        __m256i v = _mm256_load_si256((const __m256i *)(s + i));
        if (nt)
            _mm256_stream_si256((__m256i *)(d + i), v);
        else
            _mm256_store_si256((__m256i *)(d + i), v);
    }
    if (nt)
        _mm_sfence();
    _mm256_zeroupper();
}

__attribute__((target("avx512f"))) static void copy_avx512(uint8_t *d, const uint8_t *s, int nt)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += 64) {
        __m512i v = _mm512_load_si512((const void *)(s + i));
        if (nt)
            _mm512_stream_si512((void *)(d + i), v);
        else
            _mm512_store_si512((void *)(d + i), v);
    }
    if (nt)
        _mm_sfence();
    _mm256_zeroupper();
}

#define COPY_FN(name, fn, nt)                                                        \
    static uint32_t run_##name(struct smc_ctx *c, uint32_t seed, uint32_t *expected) \
    {                                                                                \
        *expected = smc_gen(c->scratch, seed);                                       \
        fn(c->exec, c->scratch, nt);                                                 \
        return SMC_CALL(c->exec);                                                    \
    }
COPY_FN(copy_sse, copy_sse, 0)
COPY_FN(copy_sse_nt, copy_sse, 1)
COPY_FN(copy_avx, copy_avx, 0)
COPY_FN(copy_avx_nt, copy_avx, 1)
COPY_FN(copy_avx512, copy_avx512, 0)
COPY_FN(copy_avx512_nt, copy_avx512, 1)

static uint32_t run_clear_memset(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    smc_memset(c->exec, 0, SMC_COPY_BYTES);
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static uint32_t run_clear_lines(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    volatile uint8_t *p = c->exec;
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE)
        p[i] = 0; /* one store per cache line */
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static uint32_t run_clear_rep_stosb(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    void *d = c->exec;
    size_t n = SMC_COPY_BYTES;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

__attribute__((target("sse2"))) static void clear_nt(uint8_t *d)
{
    __m128i z = _mm_setzero_si128();
    for (size_t i = 0; i < SMC_COPY_BYTES; i += 16)
        _mm_stream_si128((__m128i *)(d + i), z);
    _mm_sfence();
}

static uint32_t run_clear_nt(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    clear_nt(c->exec);
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static inline void flush_lines(uint8_t *p, int opt)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE) {
        if (opt)
            __asm__ volatile(".byte 0x66; clflush %0" : "+m"(p[i])); /* clflushopt */
        else
            __asm__ volatile("clflush %0" : "+m"(p[i]));
    }
    if (opt)
        __asm__ volatile("sfence" ::: "memory"); /* clflushopt is weakly ordered */
}

#define FLUSH_FN(name, before, opt)                                                  \
    static uint32_t run_##name(struct smc_ctx *c, uint32_t seed, uint32_t *expected) \
    {                                                                                \
        if (before)                                                                  \
            flush_lines(c->exec, opt);                                               \
        *expected = smc_gen(c->exec, seed);                                          \
        if (!(before))                                                               \
            flush_lines(c->exec, opt);                                               \
        return SMC_CALL(c->exec);                                                    \
    }
FLUSH_FN(clflush_before, 1, 0)
FLUSH_FN(clflush_after, 0, 0)
FLUSH_FN(clflushopt_before, 1, 1)
FLUSH_FN(clflushopt_after, 0, 1)

static uint32_t run_prefetchw(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE)
        __asm__ volatile("prefetchw %0" ::"m"(c->exec[i]));
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static uint32_t run_prefetcht1(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE)
        __asm__ volatile("prefetcht1 %0" ::"m"(c->exec[i]));
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static uint32_t run_ud2_guard(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    /* ud2 over the first instruction stops speculative fetch from running
     * half-written code; the real first instruction is written last. */
    c->exec[0] = 0x0f;
    c->exec[1] = 0x0b;
    *expected = smc_gen_body_tail(c->exec, seed);
    smc_put_head(c->exec);
    return SMC_CALL(c->exec);
}

static uint32_t run_icache_thrash(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    SMC_CALL(c->chain); /* run 512 jumps, one per cache line, to evict the old code */
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static uint32_t run_mfence(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    __asm__ volatile("mfence" ::: "memory");
    return SMC_CALL(c->exec);
}

static uint32_t run_serialize_cpuid(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    uint32_t a = 0, b, cc = 0, d;
#if defined(JIT_ARCH_I686) && defined(__PIC__)
    __asm__ volatile("xchg %%ebx, %1\n\tcpuid\n\txchg %%ebx, %1"
                     : "+a"(a), "=&r"(b), "+c"(cc), "=d"(d)::"memory");
#else
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(cc), "=d"(d)::"memory");
#endif
    (void)b, (void)d;
    return SMC_CALL(c->exec);
}

static uint32_t run_serialize_insn(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    __asm__ volatile(".byte 0x0f, 0x01, 0xe8" ::: "memory"); /* serialize */
    return SMC_CALL(c->exec);
}

#endif /* SMC_X86 */

/* ---- the table -------------------------------------------------------- */

const struct smc_strategy smc_strategies[] = {
    {"baseline", "baseline", "write the code to data memory, run code written once (no SMC)", 0,
     SMC_RES_NONE, 0, run_baseline},
    {"plain", "plain", "write each instruction into the executable page, call", 0, SMC_RES_NONE, 0,
     run_plain},
    {"reverse", "plain", "write from the last instruction to the first", 0, SMC_RES_NONE, 0,
     run_reverse},
    {"copy_memcpy", "copy", "write to a data buffer, memcpy into the executable page", 0,
     SMC_RES_NONE, 0, run_copy_memcpy},
#if defined(SMC_X86)
    {"copy_rep_movsb", "copy", "write to a data buffer, copy with rep movsb", 0, SMC_RES_NONE, 0,
     run_copy_rep_movsb},
#if defined(JIT_ARCH_X86_64)
    {"copy_rep_movsq", "copy", "write to a data buffer, copy with rep movsq", SMC_F_X86_64,
     SMC_RES_NONE, 0, run_copy_rep_movsq},
#else
    {"copy_rep_movsq", "copy", "write to a data buffer, copy with rep movsq", SMC_F_X86_64,
     SMC_RES_NONE, 0, NULL},
#endif
    {"copy_sse", "copy", "copy with 16-byte SSE stores", SMC_F_SSE2, SMC_RES_NONE, 0,
     run_copy_sse},
    {"copy_avx", "copy", "copy with 32-byte AVX stores", SMC_F_AVX, SMC_RES_NONE, 0, run_copy_avx},
    {"copy_avx512", "copy", "copy with 64-byte AVX-512 stores", SMC_F_AVX512F, SMC_RES_NONE, 0,
     run_copy_avx512},
    {"copy_sse_nt", "copy_nt", "copy with 16-byte non-temporal stores (movntdq) + sfence",
     SMC_F_SSE2, SMC_RES_NONE, 0, run_copy_sse_nt},
    {"copy_avx_nt", "copy_nt", "copy with 32-byte non-temporal stores + sfence", SMC_F_AVX,
     SMC_RES_NONE, 0, run_copy_avx_nt},
    {"copy_avx512_nt", "copy_nt", "copy with 64-byte non-temporal stores + sfence",
     SMC_F_AVX512F, SMC_RES_NONE, 0, run_copy_avx512_nt},
    {"clear_memset", "clear", "memset the page's code bytes to 0, then write in place", 0,
     SMC_RES_NONE, 0, run_clear_memset},
    {"clear_lines", "clear", "store one byte per cache line, then write in place", 0,
     SMC_RES_NONE, 0, run_clear_lines},
    {"clear_rep_stosb", "clear", "clear with rep stosb, then write in place", 0, SMC_RES_NONE, 0,
     run_clear_rep_stosb},
    {"clear_nt", "clear", "clear with non-temporal stores + sfence, then write in place",
     SMC_F_SSE2, SMC_RES_NONE, 0, run_clear_nt},
    {"clflush_before", "flush", "clflush every line, then write", SMC_F_CLFLUSH, SMC_RES_NONE, 0,
     run_clflush_before},
    {"clflush_after", "flush", "write, then clflush every line", SMC_F_CLFLUSH, SMC_RES_NONE, 0,
     run_clflush_after},
    {"clflushopt_before", "flush", "clflushopt every line + sfence, then write", SMC_F_CLFLUSHOPT,
     SMC_RES_NONE, 0, run_clflushopt_before},
    {"clflushopt_after", "flush", "write, then clflushopt every line + sfence", SMC_F_CLFLUSHOPT,
     SMC_RES_NONE, 0, run_clflushopt_after},
    {"prefetchw", "prefetch", "prefetchw every line (intent to write), then write",
     SMC_F_PREFETCHW, SMC_RES_NONE, 0, run_prefetchw},
    {"prefetcht1", "prefetch", "prefetcht1 every line (to L2), then write", SMC_F_SSE2,
     SMC_RES_NONE, 0, run_prefetcht1},
    {"ud2_guard", "guard", "ud2 over the entry while writing, real entry written last", 0,
     SMC_RES_NONE, 0, run_ud2_guard},
#endif
    {"regions_2", "regions", "rotate between 2 pages", 0, SMC_RES_REGIONS, 2, run_regions_2},
    {"regions_4", "regions", "rotate between 4 pages", 0, SMC_RES_REGIONS, 4, run_regions_4},
    {"regions_8", "regions", "rotate between 8 pages", 0, SMC_RES_REGIONS, 8, run_regions_8},
    {"regions_16", "regions", "rotate between 16 pages", 0, SMC_RES_REGIONS, 16, run_regions_16},
    {"regions_32", "regions", "rotate between 32 pages", 0, SMC_RES_REGIONS, 32, run_regions_32},
    {"regions_64", "regions", "rotate between 64 pages", 0, SMC_RES_REGIONS, 64, run_regions_64},
#if defined(SMC_X86)
    {"icache_thrash", "thrash", "jump across 512 cache lines (32 KiB) before writing", 0,
     SMC_RES_CHAIN, 0, run_icache_thrash},
    {"mfence", "fence", "write, mfence, call", SMC_F_SSE2, SMC_RES_NONE, 0, run_mfence},
    {"serialize_cpuid", "fence", "write, cpuid (serialising; traps to a hypervisor), call", 0,
     SMC_RES_NONE, 0, run_serialize_cpuid},
    {"serialize_insn", "fence", "write, SERIALIZE instruction, call", SMC_F_SERIALIZE,
     SMC_RES_NONE, 0, run_serialize_insn},
#endif
    {"dual_map", "mapping",
     "write through an RW view of a memfd page, call its RX view (off x86: + RX protection toggle)", 0,
     SMC_RES_DUAL, 0, run_dual_map},
    {"remap", "mapping", "mmap a fresh RWX page per call, write, call, munmap", 0, SMC_RES_NONE,
     0, run_remap},
#ifdef SMC_HAVE_JIT_CORE
    {"execmem", "mapping",
     "JIT core allocator: alloc, begin_write, write, end_write, call, free per call", 0,
     SMC_RES_EXECMEM, 0, run_execmem},
#endif
};
const size_t smc_strategies_count = sizeof smc_strategies / sizeof smc_strategies[0];

/* ---- memory ----------------------------------------------------------- */

static void *map_rwx(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int make_memfd(void)
{
#ifdef SYS_memfd_create
    return (int)syscall(SYS_memfd_create, "smc-dual", 1u /* MFD_CLOEXEC */);
#else
    errno = ENOSYS;
    return -1;
#endif
}

static void init_chain(uint8_t *p)
{
#if defined(SMC_X86)
    for (size_t i = 0; i < SMC_CHAIN_LINES; i++) {
        uint8_t *l = p + i * SMC_LINE;
        memset(l, 0xcc, SMC_LINE);
        if (i + 1 == SMC_CHAIN_LINES) {
            l[0] = 0xc3; /* ret */
        } else {
            int32_t rel = (int32_t)SMC_LINE - 5; /* jmp rel32 to the next line */
            l[0] = 0xe9;
            memcpy(l + 1, &rel, 4);
        }
    }
#else
    (void)p;
#endif
}

void smc_ctx_init(struct smc_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->exec = map_rwx(SMC_PAGE);
    c->prewritten = map_rwx(SMC_PAGE);
    c->scratch = mmap(NULL, SMC_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c->scratch == MAP_FAILED)
        c->scratch = NULL;
    if (!c->exec || !c->prewritten || !c->scratch) {
        c->setup_error[SMC_RES_EXEC] = "mmap of an RWX page failed";
    } else {
        c->prewritten_value = smc_gen(c->prewritten, 0x12345678u);
        smc_flush(c->prewritten, c->prewritten, SMC_CODE_BYTES);
    }
    c->regions = map_rwx((size_t)SMC_MAX_REGIONS * SMC_PAGE);
    if (!c->regions)
        c->setup_error[SMC_RES_REGIONS] = "mmap of the region pool failed";

    int fd = make_memfd();
    if (fd < 0) {
        c->setup_error[SMC_RES_DUAL] = "memfd_create failed (kernel < 3.17 or seccomp)";
    } else {
        if (ftruncate(fd, SMC_PAGE) == 0) {
            void *rw = mmap(NULL, SMC_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            void *rx = mmap(NULL, SMC_PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
            if (rw != MAP_FAILED && rx != MAP_FAILED) {
                c->dual_rw = rw;
                c->dual_rx = rx;
            } else {
                if (rw != MAP_FAILED)
                    munmap(rw, SMC_PAGE);
                if (rx != MAP_FAILED)
                    munmap(rx, SMC_PAGE);
                c->setup_error[SMC_RES_DUAL] = "mapping the memfd RW and RX failed";
            }
        } else {
            c->setup_error[SMC_RES_DUAL] = "ftruncate of the memfd failed";
        }
        close(fd); /* the mappings keep the file alive */
    }

    c->chain = map_rwx((size_t)SMC_CHAIN_LINES * SMC_LINE);
    if (c->chain)
        init_chain(c->chain);
    else
        c->setup_error[SMC_RES_CHAIN] = "mmap of the jump chain failed";

#ifdef SMC_HAVE_JIT_CORE
    struct jit_execmem_params ep;
    memset(&ep, 0, sizeof ep);
    if (jit_execmem_create(&ep, &c->em) != JIT_OK) {
        c->em = NULL;
        c->setup_error[SMC_RES_EXECMEM] = "jit_execmem_create failed";
    }
#else
    c->setup_error[SMC_RES_EXECMEM] = "built without jit_core";
#endif
}

void smc_ctx_fini(struct smc_ctx *c)
{
    if (c->exec)
        munmap(c->exec, SMC_PAGE);
    if (c->prewritten)
        munmap(c->prewritten, SMC_PAGE);
    if (c->scratch)
        munmap(c->scratch, SMC_PAGE);
    if (c->regions)
        munmap(c->regions, (size_t)SMC_MAX_REGIONS * SMC_PAGE);
    if (c->dual_rw)
        munmap(c->dual_rw, SMC_PAGE);
    if (c->dual_rx)
        munmap(c->dual_rx, SMC_PAGE);
    if (c->chain)
        munmap(c->chain, (size_t)SMC_CHAIN_LINES * SMC_LINE);
#ifdef SMC_HAVE_JIT_CORE
    jit_execmem_destroy(c->em);
#endif
    memset(c, 0, sizeof *c);
}
