/* execmem.c: the executable-memory allocator.
 *
 * Each region is one mapping (two views under dual mapping) carved into
 * blocks kept in an address-ordered doubly linked list; a block is free or
 * live. Allocation is first fit over all regions; a free merges the block
 * with free neighbours, fills it with the trap instruction and gives the
 * region back when it is wholly free (the last region is kept, so a
 * steady alloc/free pattern does not map and unmap on every call).
 * One mutex guards everything: code allocation is rare next to execution.
 */
#define _GNU_SOURCE
#include "jit/execmem.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch_impl.h"
#include "jit/config.h"
#include "jit/icache.h"

struct block {
    size_t off, size;
    bool free;
    struct block *prev, *next;
};

struct region {
    uint8_t *rw, *rx; /* equal unless dual mapped */
    size_t size;
    struct block *blocks;
    uint32_t *wcount; /* mprotect mode: writers per page */
    struct region *next;
};

struct jit_execmem {
    enum jit_execmem_mode mode;
    size_t region_size, max_bytes, page;
    uint32_t flags;
    enum jit_emit_strategy emit;    /* resolved at creation: never AUTO */
    pthread_mutex_t lock;
    struct region *regions;
    size_t reserved;                /* bytes of all regions */
    size_t in_use, allocations;
};

static size_t round_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static bool is_pow2(size_t v)
{
    return v && !(v & (v - 1));
}

enum jit_execmem_mode jit_execmem_get_mode(const struct jit_execmem *mem)
{
    return mem ? mem->mode : JIT_EXECMEM_DUAL_MAP;
}

enum jit_emit_strategy jit_execmem_get_emit(const struct jit_execmem *mem)
{
    return mem ? mem->emit : jit_emit_resolve(JIT_EMIT_AUTO);
}

const char *jit_execmem_mode_name(enum jit_execmem_mode mode)
{
    switch (mode) {
    case JIT_EXECMEM_DUAL_MAP: return "dual-map";
    case JIT_EXECMEM_MPROTECT: return "mprotect";
    case JIT_EXECMEM_RWX: return "rwx";
    }
    return "unknown";
}

enum jit_err jit_execmem_create(const struct jit_execmem_params *params, struct jit_execmem **out)
{
    struct jit_execmem_params def = {0};
    if (!out)
        return JIT_ERR_INVALID_ARG;
    *out = NULL;
    if (!params)
        params = &def;
    if ((unsigned)params->mode > JIT_EXECMEM_RWX || (params->flags & ~JIT_EXECMEM_FLAGS_ALL))
        return JIT_ERR_INVALID_ARG;
    enum jit_err supported = jit_emit_supported(params->emit);
    if (supported != JIT_OK)
        return supported;
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0)
        return JIT_ERR_SYSTEM;
    if (params->region_size > JIT_EXECMEM_MAX_ALLOC)
        return JIT_ERR_INVALID_ARG;
    struct jit_execmem *m = calloc(1, sizeof *m);
    if (!m)
        return JIT_ERR_NO_MEMORY;
    m->mode = params->mode;
    m->page = (size_t)pg;
    m->region_size = round_up(params->region_size ? params->region_size
                                                  : JIT_EXECMEM_DEFAULT_REGION_SIZE,
                              m->page);
    m->max_bytes = params->max_bytes;
    m->flags = params->flags;
    m->emit = jit_emit_resolve(params->emit);
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return JIT_ERR_SYSTEM;
    }
    *out = m;
    return JIT_OK;
}

/* --- regions ------------------------------------------------------------ */

static void region_unmap(struct jit_execmem *m, struct region *r)
{
    munmap(r->rx, r->size);
    if (r->rw != r->rx)
        munmap(r->rw, r->size);
    struct block *b = r->blocks;
    while (b) {
        struct block *n = b->next;
        free(b);
        b = n;
    }
    free(r->wcount);
    m->reserved -= r->size;
    free(r);
}

static int memfd(void)
{
#ifdef SYS_memfd_create
    return (int)syscall(SYS_memfd_create, "jit-code", 1u /* MFD_CLOEXEC */);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* Keep regions near each other (mmap hint below the newest) so direct
 * branches between them stay in reach on short-branch arches. */
static void *hint(const struct jit_execmem *m, size_t size)
{
    if (!m->regions || (uintptr_t)m->regions->rx < size + (64u << 20))
        return NULL;
    return (void *)((uintptr_t)m->regions->rx - size);
}

static enum jit_err region_new(struct jit_execmem *m, size_t size, struct region **out)
{
    if (m->max_bytes && m->reserved + size > m->max_bytes)
        return JIT_ERR_NO_MEMORY;
    struct region *r = calloc(1, sizeof *r);
    struct block *b = calloc(1, sizeof *b);
    if (!r || !b) {
        free(r);
        free(b);
        return JIT_ERR_NO_MEMORY;
    }
    r->size = size;
    enum jit_err err = JIT_OK;
    if (m->mode == JIT_EXECMEM_DUAL_MAP) {
        int fd = memfd();
        if (fd < 0) {
            err = errno == ENOSYS ? JIT_ERR_UNSUPPORTED : JIT_ERR_SYSTEM;
            goto fail;
        }
        if (ftruncate(fd, (off_t)size) != 0) {
            close(fd);
            err = JIT_ERR_NO_MEMORY;
            goto fail;
        }
        void *rx = mmap(hint(m, size), size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
        void *rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd); /* the mappings keep the memory */
        if (rx == MAP_FAILED || rw == MAP_FAILED) {
            if (rx != MAP_FAILED)
                munmap(rx, size);
            if (rw != MAP_FAILED)
                munmap(rw, size);
            err = errno == EACCES || errno == EPERM ? JIT_ERR_UNSUPPORTED : JIT_ERR_NO_MEMORY;
            goto fail;
        }
        r->rx = rx;
        r->rw = rw;
    } else {
        int prot = PROT_READ | PROT_WRITE | (m->mode == JIT_EXECMEM_RWX ? PROT_EXEC : 0);
        void *p = mmap(hint(m, size), size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            err = errno == EACCES || errno == EPERM ? JIT_ERR_UNSUPPORTED : JIT_ERR_NO_MEMORY;
            goto fail;
        }
        r->rx = r->rw = p;
    }
    jit_arch_trap_fill(r->rw, size);
    if (m->mode == JIT_EXECMEM_MPROTECT) {
        r->wcount = calloc(size / m->page, sizeof *r->wcount);
        if (!r->wcount || mprotect(r->rx, size, PROT_READ | PROT_EXEC) != 0) {
            munmap(r->rx, size);
            err = r->wcount ? JIT_ERR_UNSUPPORTED : JIT_ERR_NO_MEMORY;
            goto fail;
        }
    }
    /* The address range may have held other code before: flush it. */
    jit_icache_flush(r->rw, r->rx, size);
    b->off = 0;
    b->size = size;
    b->free = true;
    r->blocks = b;
    r->next = m->regions;
    m->regions = r;
    m->reserved += size;
    *out = r;
    return JIT_OK;
fail:
    free(r->wcount);
    free(r);
    free(b);
    return err;
}

static struct region *region_of(struct jit_execmem *m, const void *p, bool rw_too)
{
    for (struct region *r = m->regions; r; r = r->next) {
        if ((const uint8_t *)p >= r->rx && (const uint8_t *)p < r->rx + r->size)
            return r;
        if (rw_too && (const uint8_t *)p >= r->rw && (const uint8_t *)p < r->rw + r->size)
            return r;
    }
    return NULL;
}

static struct block *block_at(struct region *r, size_t off)
{
    for (struct block *b = r->blocks; b; b = b->next)
        if (off >= b->off && off < b->off + b->size)
            return b;
    return NULL;
}

/* --- protection ------------------------------------------------------------ */

/* mprotect mode: pages with writers are RW, others RX. */
static enum jit_err pages_write(struct jit_execmem *m, struct region *r, size_t off, size_t len,
                                bool begin)
{
    size_t first = off / m->page, last = (off + len - 1) / m->page;
    for (size_t pg = first; pg <= last; pg++) {
        bool flip = begin ? r->wcount[pg]++ == 0 : --r->wcount[pg] == 0;
        if (flip && mprotect(r->rx + pg * m->page, m->page,
                             begin ? PROT_READ | PROT_WRITE : PROT_READ | PROT_EXEC) != 0)
            return JIT_ERR_SYSTEM;
    }
    return JIT_OK;
}

/* Dual map: qemu-user only drops translations of a page when the page gains
 * write permission, so code rewritten through the RW alias would keep running
 * stale. Briefly adding PROT_WRITE to the RX view (keeping PROT_EXEC, so
 * threads running there on real hardware don't fault) invalidates them. A
 * kernel that refuses RWX is not qemu-user: nothing to refresh then. */
static void rx_refresh(struct jit_execmem *m, struct region *r, size_t off, size_t len)
{
    if (m->mode != JIT_EXECMEM_DUAL_MAP || (m->flags & JIT_EXECMEM_NO_RX_REFRESH))
        return;
    size_t start = off & ~(m->page - 1);
    size_t end = round_up(off + len, m->page);
    if (mprotect(r->rx + start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC) == 0)
        mprotect(r->rx + start, end - start, PROT_READ | PROT_EXEC);
}

/* Make bytes written through rw executable: flush and refresh. */
static enum jit_err publish(struct jit_execmem *m, struct region *r, size_t off, size_t len)
{
    enum jit_err e = jit_icache_flush(r->rw + off, r->rx + off, len);
    rx_refresh(m, r, off, len);
    return e;
}

/* --- alloc/free ------------------------------------------------------------- */

static enum jit_err carve(struct jit_execmem *m, struct region *r, struct block *b, size_t start,
                          size_t size, struct jit_code *out)
{
    struct block *lead = NULL, *tail = NULL;
    if (start > b->off && !(lead = calloc(1, sizeof *lead)))
        return JIT_ERR_NO_MEMORY;
    if (start + size < b->off + b->size && !(tail = calloc(1, sizeof *tail))) {
        free(lead);
        return JIT_ERR_NO_MEMORY;
    }
    if (lead) { /* free piece before the aligned start */
        lead->off = b->off;
        lead->size = start - b->off;
        lead->free = true;
        lead->prev = b->prev;
        lead->next = b;
        if (b->prev)
            b->prev->next = lead;
        else
            r->blocks = lead;
        b->prev = lead;
    }
    if (tail) {
        tail->off = start + size;
        tail->size = b->off + b->size - tail->off;
        tail->free = true;
        tail->prev = b;
        tail->next = b->next;
        if (b->next)
            b->next->prev = tail;
        b->next = tail;
    }
    b->off = start;
    b->size = size;
    b->free = false;
    m->in_use += size;
    m->allocations++;
    out->rw = r->rw + start;
    out->rx = r->rx + start;
    out->size = size;
    return JIT_OK;
}

static bool fit(struct region *r, struct block *b, size_t size, size_t align, size_t *start)
{
    if (!b->free || b->size < size)
        return false;
    uintptr_t a = round_up((uintptr_t)r->rx + b->off, align);
    size_t s = (size_t)(a - (uintptr_t)r->rx);
    if (s + size > b->off + b->size)
        return false;
    *start = s;
    return true;
}

enum jit_err jit_execmem_alloc(struct jit_execmem *mem, size_t size, size_t align, struct jit_code *out)
{
    if (!mem || !out || size == 0 || size > JIT_EXECMEM_MAX_ALLOC)
        return JIT_ERR_INVALID_ARG;
    if (align == 0)
        align = JIT_EXECMEM_DEFAULT_ALIGN;
    if (!is_pow2(align) || align > mem->page)
        return JIT_ERR_INVALID_ARG;
    if (align < JIT_EXECMEM_GRANULE)
        align = JIT_EXECMEM_GRANULE;
    if (size < JIT_EXECMEM_MIN_ALLOC)
        size = JIT_EXECMEM_MIN_ALLOC;
    size = round_up(size, JIT_EXECMEM_GRANULE);

    pthread_mutex_lock(&mem->lock);
    enum jit_err e;
    size_t start = 0;
    for (struct region *r = mem->regions; r; r = r->next)
        for (struct block *b = r->blocks; b; b = b->next)
            if (fit(r, b, size, align, &start)) {
                e = carve(mem, r, b, start, size, out);
                goto done;
            }
    struct region *r;
    size_t rsize = size > mem->region_size ? round_up(size, mem->page) : mem->region_size;
    e = region_new(mem, rsize, &r);
    if (e == JIT_OK) {
        fit(r, r->blocks, size, align, &start); /* page-aligned: always fits */
        e = carve(mem, r, r->blocks, start, size, out);
    }
done:
    pthread_mutex_unlock(&mem->lock);
    return e;
}

static void unlink_block(struct region *r, struct block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        r->blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
    free(b);
}

enum jit_err jit_execmem_free(struct jit_execmem *mem, void *rx)
{
    if (!mem || !rx)
        return JIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&mem->lock);
    enum jit_err e = JIT_OK;
    struct region *r = region_of(mem, rx, false);
    struct block *b = r ? block_at(r, (size_t)((uint8_t *)rx - r->rx)) : NULL;
    if (!b) {
        e = JIT_ERR_NOT_OWNED;
        goto out;
    }
    if (b->free) {
        e = JIT_ERR_DOUBLE_FREE; /* inside a free range: freed before */
        goto out;
    }
    if (r->rx + b->off != (uint8_t *)rx) {
        e = JIT_ERR_NOT_OWNED; /* interior pointer */
        goto out;
    }
    /* Trap-fill first, so a stray call into the freed range traps at once. */
    if (mem->mode == JIT_EXECMEM_MPROTECT)
        e = pages_write(mem, r, b->off, b->size, true);
    if (e == JIT_OK) {
        jit_arch_trap_fill(r->rw + b->off, b->size);
        if (mem->mode == JIT_EXECMEM_MPROTECT)
            e = pages_write(mem, r, b->off, b->size, false);
        enum jit_err fe = publish(mem, r, b->off, b->size);
        if (e == JIT_OK)
            e = fe;
    }
    mem->in_use -= b->size;
    mem->allocations--;
    b->free = true;
    if (b->next && b->next->free) {
        b->size += b->next->size;
        unlink_block(r, b->next);
    }
    if (b->prev && b->prev->free) {
        b->prev->size += b->size;
        unlink_block(r, b);
    }
    /* Give a wholly free region back, unless it is the last one. */
    if (r->blocks->free && !r->blocks->next && (mem->regions != r || r->next)) {
        struct region **pp = &mem->regions;
        while (*pp != r)
            pp = &(*pp)->next;
        *pp = r->next;
        region_unmap(mem, r);
    }
out:
    pthread_mutex_unlock(&mem->lock);
    return e;
}

enum jit_err jit_execmem_query(struct jit_execmem *mem, const void *addr, struct jit_code *out)
{
    if (!mem || !addr || !out)
        return JIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&mem->lock);
    enum jit_err e = JIT_ERR_NOT_OWNED;
    struct region *r = region_of(mem, addr, true);
    if (r) {
        const uint8_t *base = (const uint8_t *)addr >= r->rx && (const uint8_t *)addr < r->rx + r->size
                                  ? r->rx
                                  : r->rw;
        struct block *b = block_at(r, (size_t)((const uint8_t *)addr - base));
        if (b && !b->free) {
            out->rw = r->rw + b->off;
            out->rx = r->rx + b->off;
            out->size = b->size;
            e = JIT_OK;
        }
    }
    pthread_mutex_unlock(&mem->lock);
    return e;
}

enum jit_err jit_execmem_stats(struct jit_execmem *mem, struct jit_execmem_stats *out)
{
    if (!mem || !out)
        return JIT_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&mem->lock);
    for (struct region *r = mem->regions; r; r = r->next) {
        out->regions++;
        for (struct block *b = r->blocks; b; b = b->next) {
            if (!b->free)
                continue;
            out->bytes_free += b->size;
            out->free_ranges++;
            if (b->size > out->largest_free)
                out->largest_free = b->size;
        }
    }
    out->bytes_in_use = mem->in_use;
    out->allocations = mem->allocations;
    pthread_mutex_unlock(&mem->lock);
    return JIT_OK;
}

/* Find the live block holding [rx, rx+size). */
static enum jit_err live_range(struct jit_execmem *m, void *rx, size_t size, struct region **rp,
                               size_t *off)
{
    if (!rx || size == 0)
        return JIT_ERR_INVALID_ARG;
    struct region *r = region_of(m, rx, false);
    if (!r)
        return JIT_ERR_NOT_OWNED;
    size_t o = (size_t)((uint8_t *)rx - r->rx);
    struct block *b = block_at(r, o);
    if (!b || b->free)
        return JIT_ERR_NOT_OWNED;
    if (size > b->off + b->size - o)
        return JIT_ERR_INVALID_ARG;
    *rp = r;
    *off = o;
    return JIT_OK;
}

enum jit_err jit_execmem_begin_write(struct jit_execmem *mem, void *rx, size_t size)
{
    if (!mem)
        return JIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&mem->lock);
    struct region *r;
    size_t off;
    enum jit_err e = live_range(mem, rx, size, &r, &off);
    if (e == JIT_OK && mem->mode == JIT_EXECMEM_MPROTECT)
        e = pages_write(mem, r, off, size, true);
    pthread_mutex_unlock(&mem->lock);
    return e;
}

enum jit_err jit_execmem_end_write(struct jit_execmem *mem, void *rx, size_t size)
{
    if (!mem)
        return JIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&mem->lock);
    struct region *r;
    size_t off;
    enum jit_err e = live_range(mem, rx, size, &r, &off);
    if (e == JIT_OK && mem->mode == JIT_EXECMEM_MPROTECT)
        e = pages_write(mem, r, off, size, false);
    if (e == JIT_OK)
        e = publish(mem, r, off, size);
    pthread_mutex_unlock(&mem->lock);
    return e;
}

enum jit_err jit_execmem_write(struct jit_execmem *mem, void *rx, const void *src, size_t size)
{
    if (!src)
        return JIT_ERR_INVALID_ARG;
    enum jit_err e = jit_execmem_begin_write(mem, rx, size);
    if (e != JIT_OK)
        return e;
    struct jit_code c;
    e = jit_execmem_query(mem, rx, &c);
    if (e == JIT_OK)
        jit_emit_copy(mem->emit, (uint8_t *)c.rw + ((uint8_t *)rx - (uint8_t *)c.rx), src, size);
    enum jit_err e2 = jit_execmem_end_write(mem, rx, size);
    return e != JIT_OK ? e : e2;
}

void jit_execmem_destroy(struct jit_execmem *mem)
{
    if (!mem)
        return;
    while (mem->regions) {
        struct region *r = mem->regions;
        mem->regions = r->next;
        region_unmap(mem, r);
    }
    pthread_mutex_destroy(&mem->lock);
    free(mem);
}
