/* epoch.c: quiescent-state based reclamation.
 *
 * A global epoch counter; retire() bumps it and tags the code with the new
 * value. Each thread record holds the epoch it last saw while quiescent.
 * Code tagged E is freed once every registered, online thread has seen >= E:
 * such a thread passed a quiescent point after the replacement (which came
 * before the bump), so any call it makes afterwards loads the new target.
 * All accesses to `global` and `seen` are seq_cst.
 */
#include "jit/epoch.h"

#include <pthread.h>
#include <stdlib.h>

/* Word-sized epochs (32-bit arches have no lock-free 64-bit atomics on
 * mips32): compared with wrap-around arithmetic. */
typedef unsigned long epoch_t;
static int epoch_reached(epoch_t seen, epoch_t tag)
{
    return (long)(seen - tag) >= 0;
}

struct jit_epoch_thread {
    epoch_t seen; /* __atomic */
    int offline;  /* __atomic */
    struct jit_epoch *ep;
    struct jit_epoch_thread *next;
};

struct retired {
    struct jit_execmem *mem;
    void *rx;
    epoch_t epoch;
    struct retired *next;
};

struct jit_epoch {
    epoch_t global; /* __atomic */
    pthread_mutex_t lock;
    struct jit_epoch_thread *threads;
    struct retired *head, **tail;
    size_t pending;
};

enum jit_err jit_epoch_create(struct jit_epoch **out)
{
    if (!out)
        return JIT_ERR_INVALID_ARG;
    struct jit_epoch *ep = calloc(1, sizeof *ep);
    if (!ep)
        return JIT_ERR_NO_MEMORY;
    if (pthread_mutex_init(&ep->lock, NULL) != 0) {
        free(ep);
        return JIT_ERR_SYSTEM;
    }
    ep->global = 1;
    ep->tail = &ep->head;
    *out = ep;
    return JIT_OK;
}

void jit_epoch_destroy(struct jit_epoch *ep)
{
    if (!ep)
        return;
    for (struct retired *r = ep->head, *n; r; r = n) {
        n = r->next;
        jit_execmem_free(r->mem, r->rx);
        free(r);
    }
    for (struct jit_epoch_thread *t = ep->threads, *n; t; t = n) {
        n = t->next;
        free(t);
    }
    pthread_mutex_destroy(&ep->lock);
    free(ep);
}

enum jit_err jit_epoch_register(struct jit_epoch *ep, struct jit_epoch_thread **out)
{
    if (!ep || !out)
        return JIT_ERR_INVALID_ARG;
    struct jit_epoch_thread *t = calloc(1, sizeof *t);
    if (!t)
        return JIT_ERR_NO_MEMORY;
    pthread_mutex_lock(&ep->lock);
    __atomic_store_n(&t->seen, __atomic_load_n(&ep->global, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
    t->ep = ep;
    t->next = ep->threads;
    ep->threads = t;
    pthread_mutex_unlock(&ep->lock);
    *out = t;
    return JIT_OK;
}

enum jit_err jit_epoch_unregister(struct jit_epoch *ep, struct jit_epoch_thread *thr)
{
    if (!ep || !thr)
        return JIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&ep->lock);
    struct jit_epoch_thread **pp = &ep->threads;
    while (*pp && *pp != thr)
        pp = &(*pp)->next;
    enum jit_err e = JIT_ERR_NOT_OWNED;
    if (*pp) {
        *pp = thr->next;
        free(thr);
        e = JIT_OK;
    }
    pthread_mutex_unlock(&ep->lock);
    return e;
}

void jit_epoch_quiescent(struct jit_epoch_thread *thr)
{
    __atomic_store_n(&thr->seen, __atomic_load_n(&thr->ep->global, __ATOMIC_SEQ_CST),
                     __ATOMIC_SEQ_CST);
}

void jit_epoch_offline(struct jit_epoch_thread *thr)
{
    __atomic_store_n(&thr->offline, 1, __ATOMIC_SEQ_CST);
}

void jit_epoch_online(struct jit_epoch_thread *thr)
{
    jit_epoch_quiescent(thr);
    __atomic_store_n(&thr->offline, 0, __ATOMIC_SEQ_CST);
}

/* Has every online thread been quiescent since `tag`? (lock held) */
static int all_passed(struct jit_epoch *ep, epoch_t tag)
{
    for (struct jit_epoch_thread *t = ep->threads; t; t = t->next)
        if (!__atomic_load_n(&t->offline, __ATOMIC_SEQ_CST) &&
            !epoch_reached(__atomic_load_n(&t->seen, __ATOMIC_SEQ_CST), tag))
            return 0;
    return 1;
}

enum jit_err jit_epoch_retire(struct jit_epoch *ep, struct jit_execmem *mem, void *rx)
{
    if (!ep || !mem || !rx)
        return JIT_ERR_INVALID_ARG;
    struct jit_code c;
    enum jit_err e = jit_execmem_query(mem, rx, &c);
    if (e != JIT_OK)
        return e;
    if (c.rx != rx)
        return JIT_ERR_NOT_OWNED;
    struct retired *r = calloc(1, sizeof *r);
    if (!r)
        return JIT_ERR_NO_MEMORY;
    r->mem = mem;
    r->rx = rx;
    pthread_mutex_lock(&ep->lock);
    r->epoch = __atomic_add_fetch(&ep->global, 1, __ATOMIC_SEQ_CST);
    *ep->tail = r;
    ep->tail = &r->next;
    ep->pending++;
    pthread_mutex_unlock(&ep->lock);
    return JIT_OK;
}

enum jit_err jit_epoch_reclaim(struct jit_epoch *ep, size_t *freed)
{
    if (!ep)
        return JIT_ERR_INVALID_ARG;
    size_t n = 0;
    enum jit_err first = JIT_OK;
    pthread_mutex_lock(&ep->lock);
    /* Tags grow along the list: stop at the first one still unsafe. */
    while (ep->head && all_passed(ep, ep->head->epoch)) {
        struct retired *r = ep->head;
        ep->head = r->next;
        if (!ep->head)
            ep->tail = &ep->head;
        ep->pending--;
        enum jit_err e = jit_execmem_free(r->mem, r->rx);
        if (e != JIT_OK && first == JIT_OK)
            first = e;
        free(r);
        n++;
    }
    pthread_mutex_unlock(&ep->lock);
    if (freed)
        *freed = n;
    return first;
}

size_t jit_epoch_pending(struct jit_epoch *ep)
{
    if (!ep)
        return 0;
    pthread_mutex_lock(&ep->lock);
    size_t n = ep->pending;
    pthread_mutex_unlock(&ep->lock);
    return n;
}
