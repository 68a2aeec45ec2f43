/* icache.c: the one entry point for making written code executable. The hook
 * lets tests count flushes: qemu-user runs stale-free even without them. */
#include "jit/icache.h"

#include "arch_impl.h"

struct hook {
    jit_icache_hook_fn fn;
    void *ctx;
};
static struct hook *hook_cur; /* accessed with __atomic builtins */
static struct hook hook_slots[2];
static unsigned hook_next;

/* Two slots so a flush racing with set_hook reads a consistent (fn, ctx)
 * pair; set_hook itself is meant for single-threaded test setup. */
void jit_icache_set_hook(jit_icache_hook_fn fn, void *ctx)
{
    if (!fn) {
        __atomic_store_n(&hook_cur, NULL, __ATOMIC_SEQ_CST);
        return;
    }
    struct hook *h = &hook_slots[hook_next++ & 1u];
    h->fn = fn;
    h->ctx = ctx;
    __atomic_store_n(&hook_cur, h, __ATOMIC_SEQ_CST);
}

enum jit_err jit_icache_flush(void *rw, void *rx, size_t size)
{
    if (!rx || !rw)
        return JIT_ERR_INVALID_ARG;
    if (size == 0)
        return JIT_OK;
    struct hook *h = __atomic_load_n(&hook_cur, __ATOMIC_ACQUIRE);
    if (h)
        h->fn(rx, size, h->ctx);
    return jit_arch_icache_flush(rw, rx, size);
}

const char *jit_icache_method(void)
{
    return jit_arch_icache_method();
}
