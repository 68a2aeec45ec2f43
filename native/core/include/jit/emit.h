/* emit.h: how freshly generated code is put into executable memory.
 *
 * jit_execmem_write() copies a JIT's code buffer into its allocation with one
 * of these strategies (jit_execmem_params.emit). Which copy is cheapest when
 * the code is executed right after depends on the CPU's self-modifying-code
 * handling: the SMC suite (native/smc) measures it. JIT_EMIT_AUTO means what
 * jit_emit_set_auto() last installed for this process, which the SMC suite's
 * smc_emit_configure_core_auto() sets from its measured answer; without it,
 * AUTO is a plain memcpy.
 */
#ifndef JIT_EMIT_H
#define JIT_EMIT_H

#include <stddef.h>

#include "jit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum jit_emit_strategy {
    JIT_EMIT_AUTO = 0,       /* the process's measured choice, else memcpy */
    JIT_EMIT_COPY_MEMCPY,    /* libc memcpy */
    JIT_EMIT_COPY_REP_MOVSB, /* x86: rep movsb (fast with ERMS/FSRM) */
    JIT_EMIT_COPY_SSE,       /* x86: 16-byte SSE2 stores */
    JIT_EMIT__COUNT
};

/* JIT_OK if `s` can run on this CPU; JIT_ERR_UNSUPPORTED (not x86, no SSE2)
 * or JIT_ERR_INVALID_ARG otherwise. AUTO is always supported. */
enum jit_err jit_emit_supported(enum jit_emit_strategy s);

/* Sets what AUTO means for allocators created from now on. JIT_EMIT_AUTO
 * restores the default (memcpy); tests use that to reset. */
enum jit_err jit_emit_set_auto(enum jit_emit_strategy s);

/* AUTO resolved (never JIT_EMIT_AUTO itself). */
enum jit_emit_strategy jit_emit_resolve(enum jit_emit_strategy s);

/* Copies `n` bytes with strategy `s` (resolved). */
void jit_emit_copy(enum jit_emit_strategy s, void *dst, const void *src, size_t n);

/* "auto", "copy_memcpy", "copy_rep_movsb", "copy_sse" (the SMC suite's names). */
const char *jit_emit_strategy_name(enum jit_emit_strategy s);

#ifdef __cplusplus
}
#endif
#endif
