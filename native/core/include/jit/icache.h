/* icache.h: make freshly written code executable on this architecture.
 * Does not rely on __builtin___clear_cache where it compiles to nothing. */
#ifndef JIT_ICACHE_H
#define JIT_ICACHE_H

#include <stddef.h>

#include "jit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flush [rx, rx+size) after writing it (through `rw`, which may differ under
 * dual mapping; the data cache is cleaned through rw, the icache through rx). */
enum jit_err jit_icache_flush(void *rw, void *rx, size_t size);

/* Test hook: called on every flush before the architecture's maintenance
 * runs. NULL removes it. Counting calls proves the flush path runs, since
 * qemu-user hides a missing flush. */
typedef void (*jit_icache_hook_fn)(void *rx, size_t size, void *ctx);
void jit_icache_set_hook(jit_icache_hook_fn fn, void *ctx);

/* Name of the method this build uses ("none (coherent)", "dc cvau/ic ivau",
 * "cacheflush syscall", "riscv_flush_icache syscall", ...). */
const char *jit_icache_method(void);

#ifdef __cplusplus
}
#endif
#endif
