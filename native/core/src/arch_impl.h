/* arch_impl.h: what each arch/<arch>/ file provides to the core (internal).
 * src/arch.c includes exactly one arch file through one #if/#elif chain. */
#ifndef JIT_ARCH_IMPL_H
#define JIT_ARCH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "jit/arch.h"
#include "jit/err.h"
#include "jit/replace.h"

/* i-cache maintenance for [rx, rx+size) written through rw. */
enum jit_err jit_arch_icache_flush(void *rw, void *rx, size_t size);
const char *jit_arch_icache_method(void);

/* Atomically replace the direct branch at `rw` (executing at `at`) by one to
 * `target`: a single aligned store that concurrent executors see whole.
 * The caller flushes afterwards. */
enum jit_err jit_arch_patch_branch(void *rw, uintptr_t at, uintptr_t target);
/* Initial entry contents (not concurrent): branch plus any delay slot. */
enum jit_err jit_arch_init_branch(void *rw, uintptr_t at, uintptr_t target);

/* The pointer-slot swap (jit/replace.h): the path JIT_SWAP_AUTO means here,
 * and the swap by an explicit path (never AUTO); JIT_ERR_UNSUPPORTED for a
 * path this arch or CPU lacks. Arches without ARCH_SLOT_SWAP get the
 * compiler's __atomic_exchange_n (src/arch.c). */
enum jit_swap_path jit_arch_slot_swap_auto(void);
enum jit_err jit_arch_slot_swap(void **slot, void *value, enum jit_swap_path path, void **old_out);

#endif
