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

/* A compiler barrier after a clear: the bytes it zeroes are overwritten by
 * the writing that follows, so without it the compiler may drop the clear
 * as dead stores. */
#define SMC_BARRIER() __asm__ volatile("" ::: "memory")

static void *(*volatile smc_memset)(void *, int, size_t) = memset;

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

/* Clearing before writing: zero the code's lines first, so the lines the
 * CPU holds as code are invalidated by a few stores rather than by every
 * store of the writing. */
static void clear_memset(uint8_t *p) { smc_memset(p, 0, SMC_COPY_BYTES); }

static void clear_lines(uint8_t *p)
{
    volatile uint8_t *v = p;
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE)
        v[i] = 0; /* one store per cache line */
}

/* One 2-byte store across each pair of lines (bytes 63 and 64 of every 128):
 * half the stores of clear_lines for the same lines. A single unaligned
 * store on x86; strict-alignment targets split it (aligned(1)). */
typedef uint16_t smc_u16_unaligned __attribute__((aligned(1), may_alias));
static void clear_2byte(uint8_t *p)
{
    for (size_t i = SMC_LINE - 1; i + 2 <= SMC_COPY_BYTES; i += 2 * SMC_LINE)
        *(volatile smc_u16_unaligned *)(p + i) = 0;
}

#define CLEAR_FN(name, clear, gen)                                                   \
    static uint32_t run_##name(struct smc_ctx *c, uint32_t seed, uint32_t *expected) \
    {                                                                                \
        clear(c->exec);                                                              \
        SMC_BARRIER();                                                               \
        *expected = gen(c->exec, seed);                                              \
        smc_flush(c->exec, c->exec, SMC_CODE_BYTES);                                 \
        return SMC_CALL(c->exec);                                                    \
    }
CLEAR_FN(clear_memset, clear_memset, smc_gen)
CLEAR_FN(clear_lines, clear_lines, smc_gen)
CLEAR_FN(clear_2byte, clear_2byte, smc_gen)
CLEAR_FN(clear_memset_reverse, clear_memset, smc_gen_reverse)
CLEAR_FN(clear_lines_reverse, clear_lines, smc_gen_reverse)
CLEAR_FN(clear_2byte_reverse, clear_2byte, smc_gen_reverse)

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

/* Two regions, each cleared (or, on x86, flushed) right after its code ran,
 * so the next write to it finds no lines held as code. */
static uint32_t run_regions_2_clear(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    uint8_t *p = c->regions + (size_t)(c->next_region++ % 2) * SMC_PAGE;
    *expected = smc_gen(p, seed);
    smc_flush(p, p, SMC_CODE_BYTES);
    uint32_t v = SMC_CALL(p);
    clear_memset(p);
    SMC_BARRIER();
    return v;
}

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

/* Vector copies of whole lines: `nt` non-temporal stores (+ sfence), `rev`
 * from the last vector to the first. */
__attribute__((target("sse2"))) static void copy_sse(uint8_t *d, const uint8_t *s, int nt, int rev)
{
    for (size_t k = 0; k < SMC_COPY_BYTES; k += 16) {
        size_t i = rev ? SMC_COPY_BYTES - 16 - k : k;
        __m128i v = _mm_load_si128((const __m128i *)(s + i));
        if (nt)
            _mm_stream_si128((__m128i *)(d + i), v);
        else
            _mm_store_si128((__m128i *)(d + i), v);
    }
    if (nt)
        _mm_sfence();
}

__attribute__((target("avx"))) static void copy_avx(uint8_t *d, const uint8_t *s, int nt, int rev)
{
    for (size_t k = 0; k < SMC_COPY_BYTES; k += 32) {
        size_t i = rev ? SMC_COPY_BYTES - 32 - k : k;
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

__attribute__((target("avx512f"))) static void copy_avx512(uint8_t *d, const uint8_t *s, int nt, int rev)
{
    for (size_t k = 0; k < SMC_COPY_BYTES; k += 64) {
        size_t i = rev ? SMC_COPY_BYTES - 64 - k : k;
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

#define COPY_FN(name, fn, nt, rev)                                                   \
    static uint32_t run_##name(struct smc_ctx *c, uint32_t seed, uint32_t *expected) \
    {                                                                                \
        *expected = smc_gen(c->scratch, seed);                                       \
        fn(c->exec, c->scratch, nt, rev);                                            \
        return SMC_CALL(c->exec);                                                    \
    }
COPY_FN(copy_sse, copy_sse, 0, 0)
COPY_FN(copy_sse_nt, copy_sse, 1, 0)
COPY_FN(copy_sse_rev, copy_sse, 0, 1)
COPY_FN(copy_avx, copy_avx, 0, 0)
COPY_FN(copy_avx_nt, copy_avx, 1, 0)
COPY_FN(copy_avx_rev, copy_avx, 0, 1)
COPY_FN(copy_avx512, copy_avx512, 0, 0)
COPY_FN(copy_avx512_nt, copy_avx512, 1, 0)
COPY_FN(copy_avx512_rev, copy_avx512, 0, 1)

static void clear_ret(uint8_t *p) { smc_memset(p, 0xc3, SMC_COPY_BYTES); /* ret */ }

static void clear_rep_stosb(uint8_t *p)
{
    void *d = p;
    size_t n = SMC_COPY_BYTES;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
}

#if defined(JIT_ARCH_X86_64)
static void clear_rep_stosq(uint8_t *p)
{
    void *d = p;
    size_t n = SMC_COPY_BYTES / 8;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0) : "memory");
}
#endif

/* One 4-byte store per line, all 16 lines in one scatter. */
__attribute__((target("avx512f"))) static void clear_scatter(uint8_t *p)
{
    const __m512i idx = _mm512_set_epi32(15 * 64, 14 * 64, 13 * 64, 12 * 64, 11 * 64, 10 * 64,
                                         9 * 64, 8 * 64, 7 * 64, 6 * 64, 5 * 64, 4 * 64, 3 * 64,
                                         2 * 64, 64, 0);
    for (size_t i = 0; i < SMC_COPY_BYTES; i += 16 * SMC_LINE)
        _mm512_i32scatter_epi32((void *)(p + i), idx, _mm512_setzero_si512(), 1);
    _mm256_zeroupper();
}

/* Non-temporal clears: every vector of the lines, or one per line. */
__attribute__((target("sse2"))) static void clear_sse_nt_step(uint8_t *d, size_t step)
{
    __m128i z = _mm_setzero_si128();
    for (size_t i = 0; i < SMC_COPY_BYTES; i += step)
        _mm_stream_si128((__m128i *)(d + i), z);
    _mm_sfence();
}
static void clear_nt(uint8_t *p) { clear_sse_nt_step(p, 16); }
static void clear_sse_nt_lines(uint8_t *p) { clear_sse_nt_step(p, SMC_LINE); }

__attribute__((target("avx"))) static void clear_avx_nt_step(uint8_t *d, size_t step)
{
    __m256i z = _mm256_setzero_si256();
    for (size_t i = 0; i < SMC_COPY_BYTES; i += step)
        _mm256_stream_si256((__m256i *)(d + i), z);
    _mm_sfence();
    _mm256_zeroupper();
}
static void clear_avx_nt(uint8_t *p) { clear_avx_nt_step(p, 32); }
static void clear_avx_nt_lines(uint8_t *p) { clear_avx_nt_step(p, SMC_LINE); }

__attribute__((target("avx512f"))) static void clear_avx512_nt(uint8_t *d)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += 64)
        _mm512_stream_si512((void *)(d + i), _mm512_setzero_si512());
    _mm_sfence();
    _mm256_zeroupper();
}

/* clzero (AMD): zero the whole line at rAX without reading it. */
static void clear_clzero(uint8_t *p)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE)
        __asm__ volatile(".byte 0x0f, 0x01, 0xfc" ::"a"(p + i) : "memory");
}

CLEAR_FN(clear_ret, clear_ret, smc_gen)
CLEAR_FN(clear_rep_stosb, clear_rep_stosb, smc_gen)
#if defined(JIT_ARCH_X86_64)
CLEAR_FN(clear_rep_stosq, clear_rep_stosq, smc_gen)
#endif
CLEAR_FN(clear_scatter, clear_scatter, smc_gen)
CLEAR_FN(clear_nt, clear_nt, smc_gen)
CLEAR_FN(clear_sse_nt_lines, clear_sse_nt_lines, smc_gen)
CLEAR_FN(clear_avx_nt, clear_avx_nt, smc_gen)
CLEAR_FN(clear_avx_nt_lines, clear_avx_nt_lines, smc_gen)
CLEAR_FN(clear_avx512_nt, clear_avx512_nt, smc_gen)
CLEAR_FN(clzero, clear_clzero, smc_gen)

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

/* cldemote (0f 1c /0, [eAX]): a hint to move the line from L1 further out. */
static inline void demote_lines(uint8_t *p)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE)
        __asm__ volatile(".byte 0x0f, 0x1c, 0x00" ::"a"(p + i) : "memory");
}

static uint32_t run_cldemote_before(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    demote_lines(c->exec);
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static uint32_t run_cldemote_after(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    demote_lines(c->exec);
    return SMC_CALL(c->exec);
}

static uint32_t run_prefetchw(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE)
        __asm__ volatile("prefetchw %0" ::"m"(c->exec[i]));
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static inline void prefetcht1_lines(const uint8_t *p)
{
    for (size_t i = 0; i < SMC_COPY_BYTES; i += SMC_LINE)
        __asm__ volatile("prefetcht1 %0" ::"m"(p[i]));
}

static uint32_t run_prefetcht1(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    prefetcht1_lines(c->exec);
    *expected = smc_gen(c->exec, seed);
    return SMC_CALL(c->exec);
}

static uint32_t run_prefetcht1_after(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    prefetcht1_lines(c->exec);
    return SMC_CALL(c->exec);
}

/* ud2 over the first instruction stops speculative fetch from running
 * half-written code; the real first instruction is written last. The
 * variants also clear the rest first (memset / one store per line). */
static uint32_t run_ud2_guard(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    c->exec[0] = 0x0f;
    c->exec[1] = 0x0b;
    *expected = smc_gen_body_tail(c->exec, seed);
    smc_put_head(c->exec);
    return SMC_CALL(c->exec);
}

static uint32_t run_ud2_guard_clear(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    c->exec[0] = 0x0f;
    c->exec[1] = 0x0b;
    smc_memset(c->exec + 2, 0, SMC_COPY_BYTES - 2);
    SMC_BARRIER();
    *expected = smc_gen_body_tail(c->exec, seed);
    smc_put_head(c->exec);
    return SMC_CALL(c->exec);
}

static uint32_t run_ud2_guard_clear_lines(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    volatile uint8_t *v = c->exec;
    v[0] = 0x0f;
    v[1] = 0x0b;
    for (size_t i = SMC_LINE; i < SMC_COPY_BYTES; i += SMC_LINE)
        v[i] = 0;
    *expected = smc_gen_body_tail(c->exec, seed);
    smc_put_head(c->exec);
    return SMC_CALL(c->exec);
}

#define REGIONS_FLUSH_FN(name, opt)                                                  \
    static uint32_t run_##name(struct smc_ctx *c, uint32_t seed, uint32_t *expected) \
    {                                                                                \
        uint8_t *p = c->regions + (size_t)(c->next_region++ % 2) * SMC_PAGE;         \
        *expected = smc_gen(p, seed);                                                \
        uint32_t v = SMC_CALL(p);                                                    \
        flush_lines(p, opt);                                                         \
        return v;                                                                    \
    }
REGIONS_FLUSH_FN(regions_2_clflush, 0)
REGIONS_FLUSH_FN(regions_2_clflushopt, 1)

/* Jump chains run before writing, to push the old code out of the L1i and
 * the op cache: `jumps` 2-byte jumps, one per line (aligned) or each
 * straddling two lines every 128 bytes (unaligned), then ret. */
#define THRASH_FN(name, chain, entry)                                                \
    static uint32_t run_##name(struct smc_ctx *c, uint32_t seed, uint32_t *expected) \
    {                                                                                \
        SMC_CALL(c->chain + (entry));                                                \
        *expected = smc_gen(c->exec, seed);                                          \
        return SMC_CALL(c->exec);                                                    \
    }
#define ALIGNED_ENTRY(jumps) ((size_t)(SMC_CHAIN_JUMPS - (jumps)) * SMC_LINE)
#define UNALIGNED_ENTRY(jumps) ((size_t)(SMC_CHAIN_U_JUMPS - (jumps)) * 2 * SMC_LINE + SMC_LINE - 1)
THRASH_FN(icache_thrash, chain, ALIGNED_ENTRY(512))
THRASH_FN(thrash_32k_unaligned, chain_u, UNALIGNED_ENTRY(256))
THRASH_FN(thrash_64k, chain, ALIGNED_ENTRY(1024))
THRASH_FN(thrash_64k_unaligned, chain_u, UNALIGNED_ENTRY(512))

static uint32_t run_mfence(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    __asm__ volatile("mfence" ::: "memory");
    return SMC_CALL(c->exec);
}

static inline void serialize_cpuid(void)
{
    uint32_t a = 0, b, cc = 0, d;
#if defined(JIT_ARCH_I686) && defined(__PIC__)
    __asm__ volatile("xchg %%ebx, %1\n\tcpuid\n\txchg %%ebx, %1"
                     : "+a"(a), "=&r"(b), "+c"(cc), "=d"(d)::"memory");
#else
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(cc), "=d"(d)::"memory");
#endif
    (void)b, (void)d;
}

static uint32_t run_serialize_cpuid(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    serialize_cpuid();
    return SMC_CALL(c->exec);
}

static uint32_t run_serialize_insn(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->exec, seed);
    __asm__ volatile(".byte 0x0f, 0x01, 0xe8" ::: "memory"); /* serialize */
    return SMC_CALL(c->exec);
}

/* The original's dual mapping: write through the RW view, cpuid, call. */
static uint32_t run_dual_map_cpuid(struct smc_ctx *c, uint32_t seed, uint32_t *expected)
{
    *expected = smc_gen(c->dual_rw, seed);
    serialize_cpuid();
    return SMC_CALL(c->dual_rx);
}

#endif /* SMC_X86 */

/* ---- the table -------------------------------------------------------- */

#define NONE SMC_RES_NONE
const struct smc_strategy smc_strategies[] = {
    {"baseline", "baseline", "write the code to data memory, run code written once (no SMC)", 0,
     NONE, 0, run_baseline},
    {"plain", "plain", "write each instruction into the executable page, call", 0, NONE, 0,
     run_plain},
    {"reverse", "plain", "write from the last instruction to the first", 0, NONE, 0, run_reverse},
    {"copy_memcpy", "copy", "write to a data buffer, memcpy into the executable page", 0, NONE, 0,
     run_copy_memcpy},
#if defined(SMC_X86)
    {"copy_rep_movsb", "copy", "write to a data buffer, copy with rep movsb", 0, NONE, 0,
     run_copy_rep_movsb},
#if defined(JIT_ARCH_X86_64)
    {"copy_rep_movsq", "copy", "write to a data buffer, copy with rep movsq", SMC_F_X86_64, NONE, 0,
     run_copy_rep_movsq},
#else
    {"copy_rep_movsq", "copy", "write to a data buffer, copy with rep movsq", SMC_F_X86_64, NONE, 0,
     NULL},
#endif
    {"copy_sse", "copy", "copy with 16-byte SSE stores", SMC_F_SSE2, NONE, 0, run_copy_sse},
    {"copy_avx", "copy", "copy with 32-byte AVX stores", SMC_F_AVX, NONE, 0, run_copy_avx},
    {"copy_avx512", "copy", "copy with 64-byte AVX-512 stores", SMC_F_AVX512F, NONE, 0,
     run_copy_avx512},
    {"copy_sse_rev", "copy", "copy with 16-byte SSE stores, last vector first", SMC_F_SSE2, NONE,
     0, run_copy_sse_rev},
    {"copy_avx_rev", "copy", "copy with 32-byte AVX stores, last vector first", SMC_F_AVX, NONE, 0,
     run_copy_avx_rev},
    {"copy_avx512_rev", "copy", "copy with 64-byte AVX-512 stores, last line first",
     SMC_F_AVX512F, NONE, 0, run_copy_avx512_rev},
    {"copy_sse_nt", "copy_nt", "copy with 16-byte non-temporal stores (movntdq) + sfence",
     SMC_F_SSE2, NONE, 0, run_copy_sse_nt},
    {"copy_avx_nt", "copy_nt", "copy with 32-byte non-temporal stores + sfence", SMC_F_AVX, NONE,
     0, run_copy_avx_nt},
    {"copy_avx512_nt", "copy_nt", "copy with 64-byte non-temporal stores + sfence",
     SMC_F_AVX512F, NONE, 0, run_copy_avx512_nt},
#endif
    {"clear_memset", "clear", "memset the page's code bytes to 0, then write in place", 0, NONE, 0,
     run_clear_memset},
    {"clear_lines", "clear", "store one byte per cache line, then write in place", 0, NONE, 0,
     run_clear_lines},
    {"clear_2byte", "clear", "one 2-byte store straddling each pair of lines, then write", 0, NONE,
     0, run_clear_2byte},
    {"clear_memset_reverse", "clear", "memset to 0, then write the last instruction first", 0,
     NONE, 0, run_clear_memset_reverse},
    {"clear_lines_reverse", "clear", "one store per line, then write the last instruction first",
     0, NONE, 0, run_clear_lines_reverse},
    {"clear_2byte_reverse", "clear", "2-byte straddling stores, then write the last instruction first",
     0, NONE, 0, run_clear_2byte_reverse},
#if defined(SMC_X86)
    {"clear_ret", "clear", "fill the code bytes with ret (0xc3), then write in place", 0, NONE, 0,
     run_clear_ret},
    {"clear_rep_stosb", "clear", "clear with rep stosb, then write in place", 0, NONE, 0,
     run_clear_rep_stosb},
#if defined(JIT_ARCH_X86_64)
    {"clear_rep_stosq", "clear", "clear with rep stosq, then write in place", SMC_F_X86_64, NONE, 0,
     run_clear_rep_stosq},
#else
    {"clear_rep_stosq", "clear", "clear with rep stosq, then write in place", SMC_F_X86_64, NONE, 0,
     NULL},
#endif
    {"clear_scatter", "clear", "one AVX-512 scatter: a 4-byte store per line, then write",
     SMC_F_AVX512F, NONE, 0, run_clear_scatter},
    {"clear_nt", "clear", "clear with 16-byte non-temporal stores + sfence, then write in place",
     SMC_F_SSE2, NONE, 0, run_clear_nt},
    {"clear_sse_nt_lines", "clear", "one 16-byte non-temporal store per line + sfence, then write",
     SMC_F_SSE2, NONE, 0, run_clear_sse_nt_lines},
    {"clear_avx_nt", "clear", "clear with 32-byte non-temporal stores + sfence, then write",
     SMC_F_AVX, NONE, 0, run_clear_avx_nt},
    {"clear_avx_nt_lines", "clear", "one 32-byte non-temporal store per line + sfence, then write",
     SMC_F_AVX, NONE, 0, run_clear_avx_nt_lines},
    {"clear_avx512_nt", "clear", "clear with 64-byte non-temporal stores + sfence, then write",
     SMC_F_AVX512F, NONE, 0, run_clear_avx512_nt},
    {"clzero", "clear", "clzero every line (AMD), then write in place", SMC_F_CLZERO, NONE, 0,
     run_clzero},
    {"clflush_before", "flush", "clflush every line, then write", SMC_F_CLFLUSH, NONE, 0,
     run_clflush_before},
    {"clflush_after", "flush", "write, then clflush every line", SMC_F_CLFLUSH, NONE, 0,
     run_clflush_after},
    {"clflushopt_before", "flush", "clflushopt every line + sfence, then write", SMC_F_CLFLUSHOPT,
     NONE, 0, run_clflushopt_before},
    {"clflushopt_after", "flush", "write, then clflushopt every line + sfence", SMC_F_CLFLUSHOPT,
     NONE, 0, run_clflushopt_after},
    {"cldemote_before", "flush", "cldemote every line, then write", SMC_F_CLDEMOTE, NONE, 0,
     run_cldemote_before},
    {"cldemote_after", "flush", "write, then cldemote every line", SMC_F_CLDEMOTE, NONE, 0,
     run_cldemote_after},
    {"prefetchw", "prefetch", "prefetchw every line (intent to write), then write",
     SMC_F_PREFETCHW, NONE, 0, run_prefetchw},
    {"prefetcht1", "prefetch", "prefetcht1 every line (to L2), then write", SMC_F_SSE2, NONE, 0,
     run_prefetcht1},
    {"prefetcht1_after", "prefetch", "write, then prefetcht1 every line", SMC_F_SSE2, NONE, 0,
     run_prefetcht1_after},
    {"ud2_guard", "guard", "ud2 over the entry while writing, real entry written last", 0, NONE, 0,
     run_ud2_guard},
    {"ud2_guard_clear", "guard", "ud2 over the entry, memset the rest to 0, write, entry last", 0,
     NONE, 0, run_ud2_guard_clear},
    {"ud2_guard_clear_lines", "guard",
     "ud2 over the entry, one store per other line, write, entry last", 0, NONE, 0,
     run_ud2_guard_clear_lines},
#endif
    {"regions_2", "regions", "rotate between 2 pages", 0, SMC_RES_REGIONS, 2, run_regions_2},
    {"regions_4", "regions", "rotate between 4 pages", 0, SMC_RES_REGIONS, 4, run_regions_4},
    {"regions_8", "regions", "rotate between 8 pages", 0, SMC_RES_REGIONS, 8, run_regions_8},
    {"regions_16", "regions", "rotate between 16 pages", 0, SMC_RES_REGIONS, 16, run_regions_16},
    {"regions_32", "regions", "rotate between 32 pages", 0, SMC_RES_REGIONS, 32, run_regions_32},
    {"regions_64", "regions", "rotate between 64 pages", 0, SMC_RES_REGIONS, 64, run_regions_64},
    {"regions_2_clear", "regions", "rotate between 2 pages, memset each to 0 after its call", 0,
     SMC_RES_REGIONS, 2, run_regions_2_clear},
#if defined(SMC_X86)
    {"regions_2_clflush", "regions", "rotate between 2 pages, clflush each after its call",
     SMC_F_CLFLUSH, SMC_RES_REGIONS, 2, run_regions_2_clflush},
    {"regions_2_clflushopt", "regions",
     "rotate between 2 pages, clflushopt (+ sfence) each after its call", SMC_F_CLFLUSHOPT,
     SMC_RES_REGIONS, 2, run_regions_2_clflushopt},
    {"icache_thrash", "thrash", "512 jumps, one per line (32 KiB), before writing", 0,
     SMC_RES_CHAIN, 0, run_icache_thrash},
    {"thrash_32k_unaligned", "thrash",
     "256 jumps each straddling two lines (32 KiB), before writing", 0, SMC_RES_CHAIN, 0,
     run_thrash_32k_unaligned},
    {"thrash_64k", "thrash", "1024 jumps, one per line (64 KiB), before writing", 0,
     SMC_RES_CHAIN, 0, run_thrash_64k},
    {"thrash_64k_unaligned", "thrash",
     "512 jumps each straddling two lines (64 KiB), before writing", 0, SMC_RES_CHAIN, 0,
     run_thrash_64k_unaligned},
    {"mfence", "fence", "write, mfence, call", SMC_F_SSE2, NONE, 0, run_mfence},
    {"serialize_cpuid", "fence", "write, cpuid (serialising; traps to a hypervisor), call", 0,
     NONE, 0, run_serialize_cpuid},
    {"serialize_insn", "fence", "write, SERIALIZE instruction, call", SMC_F_SERIALIZE, NONE, 0,
     run_serialize_insn},
#endif
    {"dual_map", "mapping",
     "write through an RW view of a memfd page, call its RX view (off x86: + RX protection toggle)", 0,
     SMC_RES_DUAL, 0, run_dual_map},
#if defined(SMC_X86)
    {"dual_map_cpuid", "mapping", "dual_map with a cpuid between writing and calling (the original's)",
     0, SMC_RES_DUAL, 0, run_dual_map_cpuid},
#endif
    {"remap", "mapping", "mmap a fresh RWX page per call, write, call, munmap", 0, NONE, 0,
     run_remap},
#ifdef SMC_HAVE_JIT_CORE
    {"execmem", "mapping",
     "JIT core allocator: alloc, begin_write, write, end_write, call, free per call", 0,
     SMC_RES_EXECMEM, 0, run_execmem},
#endif
};
#undef NONE
const size_t smc_strategies_count = sizeof smc_strategies / sizeof smc_strategies[0];
_Static_assert(sizeof smc_strategies / sizeof smc_strategies[0] <= SMC_MAX_STRATEGIES,
               "raise SMC_MAX_STRATEGIES");

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

/* The jump chains (x86): SMC_CHAIN_JUMPS short jumps, one at the start of
 * each line, then ret; and SMC_CHAIN_U_JUMPS short jumps at byte 63 of every
 * 128 (each straddles two lines), then ret. Entering part-way runs fewer. */
static void init_chains(uint8_t *a, uint8_t *u)
{
#if defined(SMC_X86)
    memset(a, 0xcc, SMC_CHAIN_BYTES);
    for (size_t i = 0; i < SMC_CHAIN_JUMPS; i++) {
        a[i * SMC_LINE] = 0xeb; /* jmp rel8 to the next line */
        a[i * SMC_LINE + 1] = SMC_LINE - 2;
    }
    a[SMC_CHAIN_JUMPS * SMC_LINE] = 0xc3;
    memset(u, 0xcc, SMC_CHAIN_U_BYTES);
    for (size_t i = 0; i < SMC_CHAIN_U_JUMPS; i++) {
        u[i * 2 * SMC_LINE + SMC_LINE - 1] = 0xeb; /* to byte 63 of the next 128 */
        u[i * 2 * SMC_LINE + SMC_LINE] = 2 * SMC_LINE - 2;
    }
    u[SMC_CHAIN_U_JUMPS * 2 * SMC_LINE + SMC_LINE - 1] = 0xc3;
#else
    (void)a, (void)u;
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

    c->chain = map_rwx(SMC_CHAIN_BYTES);
    c->chain_u = map_rwx(SMC_CHAIN_U_BYTES);
    if (c->chain && c->chain_u)
        init_chains(c->chain, c->chain_u);
    else
        c->setup_error[SMC_RES_CHAIN] = "mmap of the jump chains failed";

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
        munmap(c->chain, SMC_CHAIN_BYTES);
    if (c->chain_u)
        munmap(c->chain_u, SMC_CHAIN_U_BYTES);
#ifdef SMC_HAVE_JIT_CORE
    jit_execmem_destroy(c->em);
#endif
    memset(c, 0, sizeof *c);
}
