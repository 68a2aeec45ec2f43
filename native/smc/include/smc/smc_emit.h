/* smc_emit.h: put freshly generated code where it can run, using the
 * SMC strategy that is cheapest on this CPU ("using the answer" of smc.h).
 *
 * A write-once JIT calls smc_emitter_emit_with() with a writer callback; the
 * emitter hands the writer the buffer the strategy wants written (the
 * executable page itself for plain/regions, a data buffer for the copy
 * strategies, the RW view for dual mapping), then makes the code runnable
 * and returns its entry address.
 *
 * SMC_EMIT_AUTO resolves, in order: a cache file keyed by the CPU signature
 * (vendor-family-model-stepping), a table keyed by microarchitecture holding
 * rankings measured on that microarchitecture, and finally a quick
 * measurement with smc_run() whose answer is written to the cache file.
 *
 * An emitter is not thread-safe: use one per thread. An entry stays valid
 * until the next emit (the regions strategy: until `regions` more emits).
 */
#ifndef SMC_SMC_EMIT_H
#define SMC_SMC_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "jit/emit.h"
#include "jit/err.h"
#include "smc/smc.h"

#ifdef __cplusplus
extern "C" {
#endif

enum smc_emit_strategy {
    SMC_EMIT_AUTO = 0,
    SMC_EMIT_PLAIN,          /* write in place (RWX page) */
    SMC_EMIT_COPY_MEMCPY,    /* write to a data buffer, memcpy into the RWX page */
    SMC_EMIT_COPY_REP_MOVSB, /* ... copied with rep movsb (x86) */
    SMC_EMIT_COPY_SSE,       /* ... copied with 16-byte SSE stores (x86, SSE2) */
    SMC_EMIT_REGIONS,        /* write in place, rotating between `regions` pages */
    SMC_EMIT_DUAL_MAP,       /* W^X: write through an RW view, run the RX view */
    SMC_EMIT__COUNT
};

enum smc_emit_flags {
    SMC_EMIT_NO_TABLE = 1u << 0, /* auto: ignore the microarchitecture table */
    SMC_EMIT_NO_CACHE = 1u << 1, /* auto: neither read nor write the cache file */
    SMC_EMIT_REMEASURE = 1u << 2, /* auto: measure even if the cache has an answer */
};

struct smc_emit_params {
    enum smc_emit_strategy strategy; /* 0 = auto */
    unsigned regions;        /* SMC_EMIT_REGIONS: pages to rotate; 0 = 4 (max 64) */
    size_t capacity;         /* largest function in bytes; 0 = 4096 (rounded to pages) */
    const char *cache_path;  /* auto: NULL = $SMC_CACHE, else $XDG_CACHE_HOME or
                                ~/.cache + /matrix/smc-strategy */
    uint32_t flags;          /* enum smc_emit_flags */
};

/* Writes at most `cap` bytes of code at `dst`, stores the size in *written.
 * Returns JIT_OK or an error that emit passes back. */
typedef enum jit_err (*smc_write_fn)(uint8_t *dst, size_t cap, void *ctx, size_t *written);

struct smc_emitter;

enum jit_err smc_emitter_create(const struct smc_emit_params *params, struct smc_emitter **out);
void smc_emitter_destroy(struct smc_emitter *em);

/* Let `fn` write the code, make it executable, return its entry in *entry. */
enum jit_err smc_emitter_emit_with(struct smc_emitter *em, smc_write_fn fn, void *ctx, void **entry);
/* Emit a ready-made byte sequence (copied with the chosen strategy). */
enum jit_err smc_emitter_emit(struct smc_emitter *em, const void *code, size_t size, void **entry);

/* The strategy in use (never AUTO) and why it was chosen. */
enum smc_emit_strategy smc_emitter_strategy(const struct smc_emitter *em);
const char *smc_emitter_reason(const struct smc_emitter *em);

/* Resolve AUTO for `cpu` without creating an emitter. `why` may be NULL. */
enum jit_err smc_emit_choose(const struct smc_cpu_info *cpu, const struct smc_emit_params *params,
                             enum smc_emit_strategy *out, char *why, size_t why_cap);

/* "Using the answer" in the JIT core: picks the fastest copy strategy for
 * this CPU (cache file line "<signature>:copy", then a microarchitecture
 * table, then a quick measurement of the copies, cached) and installs it as
 * what JIT_EMIT_AUTO means for jit_execmem_write (jit_emit_set_auto). Not x86:
 * memcpy. `params` may be NULL (cache_path and flags are used). */
enum jit_err smc_emit_configure_core_auto(const struct smc_emit_params *params, enum jit_emit_strategy *out,
                                          char *why, size_t why_cap);

/* "plain", "copy_rep_movsb", ... (the smc_run() names; regions is "regions"). */
const char *smc_emit_strategy_name(enum smc_emit_strategy s);
enum jit_err smc_emit_strategy_parse(const char *name, enum smc_emit_strategy *out);
/* JIT_ERR_UNSUPPORTED when this CPU/arch cannot use `s`. */
enum jit_err smc_emit_strategy_supported(const struct smc_cpu_info *cpu, enum smc_emit_strategy s);

#ifdef __cplusplus
}
#endif
#endif
