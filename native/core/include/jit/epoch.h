/* epoch.h: quiescent-state based reclamation of JIT code.
 *
 * Threads that run JIT code register and, whenever they hold no pointer into
 * JIT code and are not executing it, announce a quiescent state. Code
 * retired after a replacement is freed once every registered thread has
 * announced a quiescent state after the retirement. Rules:
 *   - retire only code that is already unreachable for new calls (replaced);
 *   - a registered thread that stops announcing delays reclamation (it never
 *     makes it unsafe): unregister threads that leave, or go offline around
 *     long blocking calls;
 *   - unregistered threads must not run JIT code that may be retired.
 */
#ifndef JIT_EPOCH_H
#define JIT_EPOCH_H

#include <stddef.h>
#include <stdint.h>

#include "jit/err.h"
#include "jit/execmem.h"

#ifdef __cplusplus
extern "C" {
#endif

struct jit_epoch;
struct jit_epoch_thread;

enum jit_err jit_epoch_create(struct jit_epoch **out);
/* Frees all still-retired code (the caller guarantees no thread runs it) and
 * any thread records; NULL is a no-op. Destroy it before the allocators its
 * retired code came from. */
void jit_epoch_destroy(struct jit_epoch *ep);

/* Register the calling thread (or any thread: the record is what matters). */
enum jit_err jit_epoch_register(struct jit_epoch *ep, struct jit_epoch_thread **out);
enum jit_err jit_epoch_unregister(struct jit_epoch *ep, struct jit_epoch_thread *thr);
/* "I hold no JIT code pointers now." Cheap: two atomic accesses. */
void jit_epoch_quiescent(struct jit_epoch_thread *thr);
/* A thread about to block for long: excluded until it comes back online.
 * Online implies a quiescent state. */
void jit_epoch_offline(struct jit_epoch_thread *thr);
void jit_epoch_online(struct jit_epoch_thread *thr);

/* Queue `rx` (a live allocation of `mem`) to be freed once safe. */
enum jit_err jit_epoch_retire(struct jit_epoch *ep, struct jit_execmem *mem, void *rx);
/* Free what is safe now; *freed (optional) receives how many were freed. */
enum jit_err jit_epoch_reclaim(struct jit_epoch *ep, size_t *freed);
/* Number of retired, not yet freed allocations. */
size_t jit_epoch_pending(struct jit_epoch *ep);

#ifdef __cplusplus
}
#endif
#endif
