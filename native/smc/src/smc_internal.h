/* smc_internal.h: per-arch facts shared by the SMC suite's sources:
 * the timer, the generated function's encoding, and icache maintenance.
 * One #if/#elif chain picks the architecture. */
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
#define SMC_CALL(p) (((smc_fn)(uintptr_t)(p))())
#define SMC_INLINE static inline __attribute__((always_inline))

#if defined(__x86_64__) || defined(__i386__)
#define SMC_X86 1
#if defined(__x86_64__)
#define SMC_ARCH_NAME "x86_64"
#else
#define SMC_ARCH_NAME "i686"
#endif
/* xor eax,eax ; 204 x add eax,imm32 ; ret  = 2 + 1020 + 1 = 1023 bytes.
 * Same encoding in 32- and 64-bit mode. */
#define SMC_HEAD 2
#define SMC_INSN 5
#define SMC_INSNS 204
#define SMC_TAIL 1
SMC_INLINE void smc_put_head(uint8_t *p) { p[0] = 0x31; p[1] = 0xc0; }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    p[0] = 0x05; /* written one store at a time, like a simple JIT */
    memcpy(p + 1, &x, 4);
    return x;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { p[0] = 0xc3; }
#elif defined(__aarch64__)
#define SMC_ARCH_NAME "aarch64"
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 254
#define SMC_TAIL 4
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x52800000u); /* mov w0,#0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 20; /* add w0,w0,#imm12 */
    smc_put32(p, 0x11000000u | (imm << 10));
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { smc_put32(p, 0xd65f03c0u); /* ret */ }
#elif defined(__arm__)
#define SMC_ARCH_NAME "arm"
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 254
#define SMC_TAIL 4
/* A32 encodings; a call through a pointer with bit 0 clear enters ARM state
 * from Thumb callers (blx). */
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0xe3a00000u); /* mov r0,#0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 24; /* add r0,r0,#imm8 */
    smc_put32(p, 0xe2800000u | imm);
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { smc_put32(p, 0xe12fff1eu); /* bx lr */ }
#elif defined(__riscv) && __riscv_xlen == 64
#define SMC_ARCH_NAME "riscv64"
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 254
#define SMC_TAIL 4
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x00000513u); /* li a0,0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 21; /* addi a0,a0,imm (0..2047) */
    smc_put32(p, (imm << 20) | 0x00050513u);
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { smc_put32(p, 0x00008067u); /* ret */ }
#elif defined(__mips__)
#if defined(__mips64)
#define SMC_ARCH_NAME "mips64"
#elif defined(__MIPSEL__)
#define SMC_ARCH_NAME "mipsel"
#else
#define SMC_ARCH_NAME "mips"
#endif
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 252
#define SMC_TAIL 8
/* Instruction words in the CPU's byte order, so a native 32-bit store is right
 * for both mips and mipsel. */
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x24020000u); /* li v0,0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 17; /* addiu v0,v0,imm (0..32767) */
    smc_put32(p, 0x24420000u | imm);
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p)
{
    smc_put32(p, 0x03e00008u);     /* jr ra */
    smc_put32(p + 4, 0x00000000u); /* delay slot: nop */
}
#else
#define SMC_ARCH_NAME "unsupported"
#define SMC_NO_CODEGEN 1
#define SMC_HEAD 0
#define SMC_INSN 1
#define SMC_INSNS 0
#define SMC_TAIL 0
SMC_INLINE void smc_put_head(uint8_t *p) { (void)p; }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x) { (void)p; return x; }
SMC_INLINE void smc_put_tail(uint8_t *p) { (void)p; }
#endif

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
