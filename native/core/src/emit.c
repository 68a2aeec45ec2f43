/* emit.c: see emit.h. */
#include "jit/emit.h"

#include <stdint.h>
#include <string.h>

#include "jit/config_cpu.h"

#if defined(JIT_ARCH_X86_64) || defined(JIT_ARCH_I686)
#define EMIT_X86 1
#include <emmintrin.h>
#endif

/* What AUTO means in this process; JIT_EMIT_AUTO = the default (memcpy). */
static int auto_choice = JIT_EMIT_AUTO;

enum jit_err jit_emit_supported(enum jit_emit_strategy s)
{
    switch (s) {
    case JIT_EMIT_AUTO:
    case JIT_EMIT_COPY_MEMCPY:
        return JIT_OK;
    case JIT_EMIT_COPY_REP_MOVSB:
#ifdef EMIT_X86
        return JIT_OK;
#else
        return JIT_ERR_UNSUPPORTED;
#endif
    case JIT_EMIT_COPY_SSE:
#ifdef EMIT_X86
        return __builtin_cpu_supports("sse2") ? JIT_OK : JIT_ERR_UNSUPPORTED;
#else
        return JIT_ERR_UNSUPPORTED;
#endif
    case JIT_EMIT__COUNT:
        break;
    }
    return JIT_ERR_INVALID_ARG;
}

enum jit_err jit_emit_set_auto(enum jit_emit_strategy s)
{
    enum jit_err e = jit_emit_supported(s);
    if (e != JIT_OK)
        return e;
    __atomic_store_n(&auto_choice, (int)s, __ATOMIC_RELEASE);
    return JIT_OK;
}

enum jit_emit_strategy jit_emit_resolve(enum jit_emit_strategy s)
{
    if (s != JIT_EMIT_AUTO)
        return s;
    int chosen = __atomic_load_n(&auto_choice, __ATOMIC_ACQUIRE);
    return chosen == JIT_EMIT_AUTO ? JIT_EMIT_COPY_MEMCPY : (enum jit_emit_strategy)chosen;
}

#ifdef EMIT_X86
static void copy_rep_movsb(void *dst, const void *src, size_t n)
{
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

__attribute__((target("sse2"))) static void copy_sse(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (; n >= 16; n -= 16, d += 16, s += 16)
        _mm_storeu_si128((__m128i *)(void *)d, _mm_loadu_si128((const __m128i *)(const void *)s));
    memcpy(d, s, n);
}
#endif

void jit_emit_copy(enum jit_emit_strategy s, void *dst, const void *src, size_t n)
{
    switch (jit_emit_resolve(s)) {
#ifdef EMIT_X86
    case JIT_EMIT_COPY_REP_MOVSB:
        copy_rep_movsb(dst, src, n);
        return;
    case JIT_EMIT_COPY_SSE:
        copy_sse(dst, src, n);
        return;
#endif
    default:
        memcpy(dst, src, n);
        return;
    }
}

const char *jit_emit_strategy_name(enum jit_emit_strategy s)
{
    switch (s) {
    case JIT_EMIT_AUTO: return "auto";
    case JIT_EMIT_COPY_MEMCPY: return "copy_memcpy";
    case JIT_EMIT_COPY_REP_MOVSB: return "copy_rep_movsb";
    case JIT_EMIT_COPY_SSE: return "copy_sse";
    case JIT_EMIT__COUNT: break;
    }
    return "unknown";
}
