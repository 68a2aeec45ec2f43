/* replace.c: stable function entries (pointer slot, patched direct branch,
 * and the old jump-chain behaviour for comparison). */
#include "jit/replace.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arch_impl.h"

struct jit_fn {
    struct jit_execmem *mem;
    enum jit_fn_mode mode;
    void *slot;          /* SLOT: the slot; BRANCH: current target (__atomic) */
    struct jit_code entry; /* BRANCH: the entry block */
    void **chain;        /* CHAIN: every version, oldest first */
    size_t chain_len, chain_cap;
    size_t replacements;
    pthread_mutex_t lock; /* serialises replace() */
};

const char *jit_fn_mode_name(enum jit_fn_mode mode)
{
    switch (mode) {
    case JIT_FN_SLOT: return "pointer-slot";
    case JIT_FN_BRANCH: return "direct-branch";
    case JIT_FN_CHAIN: return "chain";
    }
    return "unknown";
}

/* Code must be the start of a live allocation of `mem`. */
static enum jit_err check_code(struct jit_execmem *mem, void *rx, struct jit_code *c)
{
    if (!rx)
        return JIT_ERR_INVALID_ARG;
    enum jit_err e = jit_execmem_query(mem, rx, c);
    if (e == JIT_OK && c->rx != rx)
        e = JIT_ERR_INVALID_ARG;
    return e;
}

static enum jit_err chain_push(struct jit_fn *fn, void *rx)
{
    if (fn->chain_len == fn->chain_cap) {
        size_t cap = fn->chain_cap ? fn->chain_cap * 2 : 16;
        void **n = realloc(fn->chain, cap * sizeof *n);
        if (!n)
            return JIT_ERR_NO_MEMORY;
        fn->chain = n;
        fn->chain_cap = cap;
    }
    fn->chain[fn->chain_len++] = rx;
    return JIT_OK;
}

enum jit_err jit_fn_create(struct jit_execmem *mem, enum jit_fn_mode mode, void *code_rx,
                           struct jit_fn **out)
{
    struct jit_code c;
    if (!mem || !out || (unsigned)mode > JIT_FN_CHAIN)
        return JIT_ERR_INVALID_ARG;
    *out = NULL;
    enum jit_err e = check_code(mem, code_rx, &c);
    if (e != JIT_OK)
        return e;
    struct jit_fn *fn = calloc(1, sizeof *fn);
    if (!fn)
        return JIT_ERR_NO_MEMORY;
    if (pthread_mutex_init(&fn->lock, NULL) != 0) {
        free(fn);
        return JIT_ERR_SYSTEM;
    }
    fn->mem = mem;
    fn->mode = mode;
    fn->slot = code_rx;
    if (mode == JIT_FN_BRANCH) {
        e = jit_execmem_alloc(mem, JIT_ARCH_ENTRY_SIZE, 16, &fn->entry);
        if (e == JIT_OK)
            e = jit_execmem_begin_write(mem, fn->entry.rx, fn->entry.size);
        if (e == JIT_OK) {
            e = jit_arch_init_branch(fn->entry.rw, (uintptr_t)fn->entry.rx, (uintptr_t)code_rx);
            enum jit_err e2 = jit_execmem_end_write(mem, fn->entry.rx, fn->entry.size);
            if (e == JIT_OK)
                e = e2;
        }
    } else if (mode == JIT_FN_CHAIN) {
        e = chain_push(fn, code_rx);
    }
    if (e != JIT_OK) {
        if (fn->entry.rx)
            jit_execmem_free(mem, fn->entry.rx);
        free(fn->chain);
        pthread_mutex_destroy(&fn->lock);
        free(fn);
        return e;
    }
    *out = fn;
    return JIT_OK;
}

enum jit_err jit_fn_destroy(struct jit_fn *fn)
{
    if (!fn)
        return JIT_OK;
    enum jit_err e = JIT_OK, e2;
    if (fn->mode == JIT_FN_CHAIN) {
        for (size_t i = 0; i < fn->chain_len; i++)
            if ((e2 = jit_execmem_free(fn->mem, fn->chain[i])) != JIT_OK && e == JIT_OK)
                e = e2;
    } else {
        e = jit_execmem_free(fn->mem, fn->slot);
        if (fn->mode == JIT_FN_BRANCH && (e2 = jit_execmem_free(fn->mem, fn->entry.rx)) != JIT_OK &&
            e == JIT_OK)
            e = e2;
    }
    free(fn->chain);
    pthread_mutex_destroy(&fn->lock);
    free(fn);
    return e;
}

static enum jit_err replace_branch(struct jit_fn *fn, void *new_rx)
{
    struct jit_execmem *m = fn->mem;
    enum jit_err e = jit_execmem_begin_write(m, fn->entry.rx, fn->entry.size);
    if (e != JIT_OK)
        return e;
    e = jit_arch_patch_branch(fn->entry.rw, (uintptr_t)fn->entry.rx, (uintptr_t)new_rx);
    enum jit_err e2 = jit_execmem_end_write(m, fn->entry.rx, fn->entry.size);
    return e != JIT_OK ? e : e2;
}

static enum jit_err replace_chain(struct jit_fn *fn, void *new_rx)
{
    void *tail = fn->chain[fn->chain_len - 1];
    struct jit_code t;
    uint8_t buf[JIT_ARCH_ENTRY_SIZE];
    size_t len;
    enum jit_err e = jit_execmem_query(fn->mem, tail, &t);
    if (e == JIT_OK)
        e = jit_emit_jump(buf, sizeof buf, (uintptr_t)tail, (uintptr_t)new_rx, &len);
    if (e == JIT_OK && len > t.size)
        e = JIT_ERR_INVALID_ARG; /* cannot happen: allocations hold an entry */
    if (e == JIT_OK)
        e = chain_push(fn, new_rx);
    if (e == JIT_OK) {
        e = jit_execmem_write(fn->mem, tail, buf, len);
        if (e != JIT_OK)
            fn->chain_len--;
    }
    return e;
}

enum jit_err jit_fn_replace(struct jit_fn *fn, void *new_code_rx, void **old_out)
{
    struct jit_code c;
    if (!fn || (!old_out && fn->mode != JIT_FN_CHAIN))
        return JIT_ERR_INVALID_ARG;
    enum jit_err e = check_code(fn->mem, new_code_rx, &c);
    if (e != JIT_OK)
        return e;
    pthread_mutex_lock(&fn->lock);
    void *old = fn->slot;
    if (new_code_rx == old) {
        e = JIT_ERR_INVALID_ARG;
    } else if (fn->mode == JIT_FN_SLOT) {
        e = jit_slot_swap(&fn->slot, new_code_rx, JIT_SWAP_AUTO, &old);
    } else if (fn->mode == JIT_FN_BRANCH) {
        e = replace_branch(fn, new_code_rx);
        if (e == JIT_OK)
            __atomic_store_n(&fn->slot, new_code_rx, __ATOMIC_SEQ_CST);
    } else {
        e = replace_chain(fn, new_code_rx);
        if (e == JIT_OK)
            fn->slot = new_code_rx;
        old = NULL;
    }
    if (e == JIT_OK) {
        fn->replacements++;
        if (old_out)
            *old_out = old;
    }
    pthread_mutex_unlock(&fn->lock);
    return e;
}

const char *jit_swap_path_name(enum jit_swap_path path)
{
    switch (path) {
    case JIT_SWAP_AUTO: return "auto";
    case JIT_SWAP_LSE: return "lse";
    case JIT_SWAP_LLSC: return "llsc";
    case JIT_SWAP_XCHG: return "xchg";
    case JIT_SWAP_BUILTIN: return "builtin";
    }
    return "?";
}

enum jit_swap_path jit_slot_swap_auto(void)
{
    return jit_arch_slot_swap_auto();
}

const char *jit_slot_swap_path(void)
{
    return jit_swap_path_name(jit_arch_slot_swap_auto());
}

enum jit_err jit_slot_swap(void **slot, void *value, enum jit_swap_path path, void **old_out)
{
    if (!slot || !old_out || (unsigned)path > JIT_SWAP_BUILTIN)
        return JIT_ERR_INVALID_ARG;
    if (path == JIT_SWAP_AUTO)
        path = jit_arch_slot_swap_auto();
    return jit_arch_slot_swap(slot, value, path, old_out);
}

void *jit_fn_entry(struct jit_fn *fn)
{
    if (!fn)
        return NULL;
    switch (fn->mode) {
    case JIT_FN_SLOT: return __atomic_load_n(&fn->slot, __ATOMIC_ACQUIRE);
    case JIT_FN_BRANCH: return fn->entry.rx;
    case JIT_FN_CHAIN: return fn->chain[0];
    }
    return NULL;
}

void **jit_fn_slot(struct jit_fn *fn)
{
    return fn && fn->mode == JIT_FN_SLOT ? &fn->slot : NULL;
}

enum jit_fn_mode jit_fn_get_mode(const struct jit_fn *fn)
{
    return fn ? fn->mode : JIT_FN_SLOT;
}

size_t jit_fn_replacements(const struct jit_fn *fn)
{
    return fn ? fn->replacements : 0;
}
