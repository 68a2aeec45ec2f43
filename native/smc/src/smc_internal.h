/* smc_internal.h: per-arch facts shared by the SMC suite's sources:
 * the timer, the generated function's encoding, and icache maintenance.
 * The architecture is selected once, by jit/config_cpu.h. */
#ifndef SMC_INTERNAL_H
#define SMC_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#ifdef SMC_HAVE_JIT_CORE
#include "jit/icache.h"
#endif

/* The generated function: `uint32_t f(void)` returning 0 plus a sum of
 * SMC_INSNS immediates, about 1 KB of code. Every call gets new immediates
 * (an LCG seeded per call), so the code really changes and the returned
 * value proves the new code ran. */
typedef uint32_t (*smc_fn)(void);
#define SMC_INLINE static inline __attribute__((always_inline))

#include "jit/config_cpu.h"
/* The arch's code generator: arch/<JIT_ARCH_DIR>/arch_smc.h (on the include
 * path through native/cmake/jit_arch.cmake; docs/porting.md). It defines
 * SMC_HEAD, SMC_INSN, SMC_INSNS, SMC_TAIL (bytes of the head, of one
 * add-immediate instruction, their count, bytes of the tail) and
 * smc_put_head/smc_put_insn/smc_put_tail, or SMC_NO_CODEGEN 1 (the suite
 * then reports its cases as skipped). x86 also defines SMC_X86 (TSC timer,
 * no flush, the x86-only strategies). */
#include "arch_smc.h"

/* Call the generated code at p. An arch file whose function pointers are not
 * code addresses (powerpc64 ELFv1 descriptors) defines its own. */
#ifndef SMC_CALL
#define SMC_CALL(p) (((smc_fn)(uintptr_t)(p))())
#endif

#if defined(SMC_NO_CODEGEN)
#define SMC_HEAD 0
#define SMC_INSN 1
#define SMC_INSNS 0
#define SMC_TAIL 0
SMC_INLINE void smc_put_head(uint8_t *p) { (void)p; }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x) { (void)p; return x; }
SMC_INLINE void smc_put_tail(uint8_t *p) { (void)p; }
#endif
#define SMC_ARCH_NAME JIT_ARCH_NAME

#define SMC_CODE_BYTES (SMC_HEAD + SMC_INSN * SMC_INSNS + SMC_TAIL)
#define SMC_COPY_BYTES 1024 /* SMC_CODE_BYTES rounded up to whole 64-byte lines */
#define SMC_LINE 64
#define SMC_PAGE 4096

#define SMC_LCG(x) ((x) * 1664525u + 1013904223u)

/* The body only (no head): for the UD2 guard, which writes the head last. */
SMC_INLINE uint32_t smc_gen_body_tail(uint8_t *p, uint32_t seed)
{
    uint32_t sum = 0, x = seed;
    for (int i = 0; i < SMC_INSNS; i++) {
        sum += smc_put_insn(p + SMC_HEAD + SMC_INSN * i, x);
        x = SMC_LCG(x);
    }
    smc_put_tail(p + SMC_HEAD + SMC_INSN * SMC_INSNS);
    return sum;
}

/* Write the whole function at p, instruction by instruction; returns the
 * value it will return. */
SMC_INLINE uint32_t smc_gen(uint8_t *p, uint32_t seed)
{
    smc_put_head(p);
    return smc_gen_body_tail(p, seed);
}


/* Same function written from its last byte to its first. */
SMC_INLINE uint32_t smc_gen_reverse(uint8_t *p, uint32_t seed)
{
    uint32_t sum = 0, x = seed;
    smc_put_tail(p + SMC_HEAD + SMC_INSN * SMC_INSNS);
    for (int i = SMC_INSNS - 1; i >= 0; i--) {
        sum += smc_put_insn(p + SMC_HEAD + SMC_INSN * i, x);
        x = SMC_LCG(x);
    }
    smc_put_head(p);
    return sum;
}

/* Timer: TSC on x86 (lfence keeps earlier work inside the interval),
 * CLOCK_MONOTONIC nanoseconds elsewhere. */
static inline uint64_t smc_ticks(void)
{
#if defined(SMC_X86)
    uint32_t lo, hi;
    __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* Make freshly written code at rx (written through rw) executable. */
static inline void smc_flush(void *rw, void *rx, size_t n)
{
#if defined(SMC_X86)
    (void)rw, (void)rx, (void)n; /* x86 keeps the icache coherent itself */
#elif defined(SMC_HAVE_JIT_CORE)
    jit_icache_flush(rw, rx, n);
#else
    (void)rw;
    __builtin___clear_cache((char *)rx, (char *)rx + n);
#endif
}

static inline const char *smc_flush_method(void)
{
#if defined(SMC_X86)
    return "none (x86 is coherent)";
#elif defined(SMC_HAVE_JIT_CORE)
    return jit_icache_method();
#else
    return "__builtin___clear_cache (jit_core not built)";
#endif
}

#endif
