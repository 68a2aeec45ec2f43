/* replace.h: stable entries for JIT functions and their replacement.
 *
 * Callers reach a function through an entry that never moves; replace()
 * retargets every caller at once.
 *   JIT_FN_SLOT    a pointer slot: callers load it (acquire) and call the
 *                  value. Replacement is one atomic data store, no flush.
 *   JIT_FN_BRANCH  an entry block in executable memory holding one direct
 *                  branch; replacement patches it with a single aligned
 *                  atomic store (plus the i-cache flush). Targets must be in
 *                  direct-branch reach of the entry (else OUT_OF_RANGE).
 *   JIT_FN_CHAIN   the old behaviour (LLVM's recompileAndRelinkFunction):
 *                  the newest code's start is overwritten with a jump to the
 *                  new code, so calls walk a growing chain, and old code can
 *                  never be freed. Kept to reproduce the degradation; not
 *                  safe while other threads run the function.
 *
 * Code handed to create/replace must be a live allocation from the same
 * allocator (every allocation holds at least JIT_ARCH_ENTRY_SIZE bytes, so
 * even a function smaller than a jump can be patched). The jit_fn owns the
 * current code; replace() hands the previous code back (SLOT, BRANCH) so the
 * caller retires it through the epoch API once no thread can be in it.
 */
#ifndef JIT_REPLACE_H
#define JIT_REPLACE_H

#include <stddef.h>

#include "jit/err.h"
#include "jit/execmem.h"

#ifdef __cplusplus
extern "C" {
#endif

enum jit_fn_mode {
    JIT_FN_SLOT = 0,
    JIT_FN_BRANCH,
    JIT_FN_CHAIN,
};

struct jit_fn;

enum jit_err jit_fn_create(struct jit_execmem *mem, enum jit_fn_mode mode, void *code_rx,
                           struct jit_fn **out);
/* Frees the entry block and the code it owns (CHAIN: the whole chain). The
 * caller guarantees no thread is still running it. NULL is a no-op. */
enum jit_err jit_fn_destroy(struct jit_fn *fn);

/* Retarget the function to new_code_rx. *old_out (may be NULL only in CHAIN
 * mode) receives the previous code for the caller to retire; CHAIN mode keeps
 * it in the chain and stores NULL. On error nothing changed. */
enum jit_err jit_fn_replace(struct jit_fn *fn, void *new_code_rx, void **old_out);

/* The address callers call: SLOT the current slot value, BRANCH the entry
 * block, CHAIN the first code. */
void *jit_fn_entry(struct jit_fn *fn);
/* SLOT mode: the slot itself (NULL in other modes). Load it with
 * jit_fn_slot_load() on every call; never cache the value. */
void **jit_fn_slot(struct jit_fn *fn);
static inline void *jit_fn_slot_load(void **slot)
{
    return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* The pointer-slot swap: how JIT_FN_SLOT's replace() exchanges the slot
 * (store the new code, get the old, in one atomic read-modify-write, seq_cst).
 * The path is chosen per arch and, on aarch64, per CPU (jit/cpu.h):
 *   JIT_SWAP_LSE      aarch64: one swpal (ARMv8.1 LSE), when the build assumes
 *                     LSE (__ARM_FEATURE_ATOMICS) or the CPU has `atomics`
 *   JIT_SWAP_LLSC     aarch64: an ldaxr/stlxr loop (any ARMv8.0 CPU)
 *   JIT_SWAP_XCHG     x86: xchg
 *   JIT_SWAP_BUILTIN  every other arch: __atomic_exchange_n as the compiler
 *                     lowers it
 * On aarch64 both are inline asm: the compiler's own exchange may be a call
 * to libgcc's outline atomics (-moutline-atomics, GCC's default), which
 * picks LSE or LL/SC by itself, and would make the path unknowable here. */
enum jit_swap_path {
    JIT_SWAP_AUTO = 0, /* what replace() uses: the best the build and CPU allow */
    JIT_SWAP_LSE,
    JIT_SWAP_LLSC,
    JIT_SWAP_XCHG,
    JIT_SWAP_BUILTIN,
};
/* *old_out = *slot; *slot = value (atomically). JIT_ERR_UNSUPPORTED when the
 * path does not exist on this arch or CPU (LSE on an ARMv8.0 CPU, LL/SC on
 * x86); nothing is written then. */
enum jit_err jit_slot_swap(void **slot, void *value, enum jit_swap_path path, void **old_out);
/* The path JIT_SWAP_AUTO resolves to on this build and CPU. */
enum jit_swap_path jit_slot_swap_auto(void);
/* "lse", "llsc", "xchg", "builtin" ("auto" for JIT_SWAP_AUTO, "?" else). */
const char *jit_swap_path_name(enum jit_swap_path path);
/* jit_swap_path_name(jit_slot_swap_auto()): the path replace() takes. */
const char *jit_slot_swap_path(void);

enum jit_fn_mode jit_fn_get_mode(const struct jit_fn *fn);
const char *jit_fn_mode_name(enum jit_fn_mode mode);
/* Number of replacements so far (CHAIN: length of the chain minus one). */
size_t jit_fn_replacements(const struct jit_fn *fn);

#ifdef __cplusplus
}
#endif
#endif
