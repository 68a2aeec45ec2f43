/* execmem.c: the executable-memory allocator.
 *
 * Each region is one mapping (two views under dual mapping) carved into
 * blocks, free or live, that tile it. Which block holds an address (free,
 * query, writes): the region by binary search over regions sorted by
 * address, the block's start in the region's bitmap of block starts (one bit
 * per granule), its descriptor in a hash table keyed by start address. Each
 * block is on its region's address-ordered list (neighbours for merging in
 * O(1)); free blocks are also in exact-size lists below 4 KiB (bins) or a
 * size-ordered tree (a treap), and allocation is best fit over all regions
 * (smallest range that holds the request). So alloc costs O(log free ranges),
 * free and query O(log regions) plus a few cache lines, where first fit over
 * lists cost O(n); nothing walks a big pointer structure from its root on a
 * free, which kept the cost flat up to 100,000 live allocations. A free fills the block
 * with the trap instruction, merges it with free neighbours and gives the
 * region back when it is wholly free (the last region is kept, so a steady
 * alloc/free pattern does not map and unmap on every call). Statistics are
 * kept as counters. One mutex guards everything: code allocation is rare
 * next to execution.
 *
 * At 100,000 live allocations the costs are cache and TLB misses, so the
 * metadata is laid out for fewer of them: descriptors are 64 bytes, one
 * aligned cache line each; hash entries hold their key (probes and
 * deletions read no descriptor); the hash table and, past the first ~8,000
 * descriptors, the descriptor slabs are 2 MiB-aligned mappings advised for
 * transparent huge pages; a region's start bitmap is in its own allocation.
 * A free in RWX mode does not touch the region, reads the neighbours'
 * descriptors before the trap fill, and prefetches the first lines of the
 * freed code while the hash lookup runs.
 */
#define _GNU_SOURCE
#include "jit/execmem.h"

#include <errno.h>
#include <stddef.h>
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

struct region;

/* A block is a free or live range of a region, 64 bytes (one cache line:
 * descriptors are 64-byte aligned in their slabs). Every block is in the
 * hash table (key: rx start) and on its region's address-ordered list (for
 * O(1) neighbours); free blocks are also in a bin's list (below BIN_LIMIT
 * bytes; l, r are its links) or in the size tree, a treap (l, r, prio; key:
 * size, start): a binary search tree by key, a heap by random priority, so
 * the expected depth is O(log n) whatever the insertion order. */
struct block {
    struct block *l, *r;  /* size tree (free blocks only) */
    uint32_t prio;
    bool free;
    uintptr_t start;      /* rx address */
    size_t size;
    struct region *reg;
    struct block *prev, *next; /* neighbours in the region; next = spare list link */
};

/* Hash entry: a block's start (the key, kept here so probes and deletions
 * read no descriptor) and its descriptor. */
struct hent {
    uintptr_t key;
    struct block *b;
};

struct region {
    uint8_t *rw, *rx; /* equal unless dual mapped */
    size_t size;
    struct block *blocks;
    uint32_t *wcount; /* mprotect mode: writers per page */
    struct region *prev, *next;
    uint64_t starts[]; /* bit per granule: a block starts there (in the same
                        * allocation: no pointer to chase) */
};

/* Block descriptors come from slabs, recycled through a spare list. The
 * first slabs are small (malloc); once there are many descriptors, slabs are
 * 2 MiB huge-page arenas (see big_map), so 100,000 descriptors sit on a few
 * TLB entries instead of thousands. */
#define SLAB_BLOCKS 255
#define SLAB_SMALL_MAX 32 /* small slabs before the huge ones (~8,000 descriptors) */
struct slab {
    struct slab *next;
    size_t bytes;         /* mapped bytes (big_map) or 0 (malloc) */
    size_t n;
    struct block *b;
};

/* Free ranges below BIN_LIMIT bytes (sizes are granule multiples) sit in
 * exact-size lists (the treap links l, r serve as the list's prev, next):
 * inserting or removing one is O(1) and touches no tree, and the smallest
 * size that fits is a scan of a 256-bit map. Larger ranges are in the treap. */
#define BINS 256
#define BIN_LIMIT ((size_t)BINS * JIT_EXECMEM_GRANULE)

struct jit_execmem {
    enum jit_execmem_mode mode;
    size_t region_size, max_bytes, page;
    uint32_t flags;
    enum jit_emit_strategy emit;    /* resolved at creation: never AUTO */
    pthread_mutex_t lock;
    struct region *regions;         /* newest first */
    size_t nregions;
    struct region **by_rx, **by_rw; /* regions sorted by rx, rw address */
    size_t reg_cap;
    struct hent *ht;                /* open addressing by start, linear probing */
    size_t ht_cap, ht_n;
    size_t ht_bytes;                /* ht mapped by big_map, or 0 (calloc) */
    struct block *size_root;        /* free ranges of BIN_LIMIT bytes and more */
    struct block *bin[BINS];        /* smaller free ranges, one LIFO list per size */
    uint64_t binmap[BINS / 64];     /* bit c: bin[c] is not empty */
    struct slab *slabs;
    size_t nslabs;
    struct block *spare;
    uint64_t seed;                  /* treap priorities */
    size_t reserved;                /* bytes of all regions */
    size_t in_use, allocations;
    size_t bytes_free, free_ranges;
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
    m->seed = 0x9e3779b97f4a7c15ull ^ (uintptr_t)m;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return JIT_ERR_SYSTEM;
    }
    *out = m;
    return JIT_OK;
}

/* --- metadata memory ------------------------------------------------------ */

#define BIG_ALIGN ((size_t)2 << 20) /* a transparent huge page on x86_64, aarch64 (4 KiB pages) */

/* Zeroed memory for big metadata arrays (hash table, descriptor slabs):
 * its own mapping, 2 MiB aligned and marked for transparent huge pages
 * where the system has them (one TLB entry instead of 512). *bytes is the
 * size rounded up to 2 MiB, for big_unmap. NULL when mmap fails. */
static void *big_map(size_t size, size_t *bytes)
{
    size_t n = round_up(size, BIG_ALIGN);
    uint8_t *p = mmap(NULL, n + BIG_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uint8_t *a = (uint8_t *)round_up((uintptr_t)p, BIG_ALIGN);
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (a + n < p + n + BIG_ALIGN)
        munmap(a + n, (size_t)(p + n + BIG_ALIGN - (a + n)));
#ifdef MADV_HUGEPAGE
    madvise(a, n, MADV_HUGEPAGE); /* advice only: without THP, 4 KiB pages */
#endif
    *bytes = n;
    return a;
}

/* --- size tree ---------------------------------------------------------------- */

static int size_cmp(const struct block *x, const struct block *y)
{
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Both operations are iterative (split on insert, merge on remove). */
static void t_insert(struct block **p, struct block *n)
{
    while (*p && (*p)->prio >= n->prio)
        p = size_cmp(n, *p) < 0 ? &(*p)->l : &(*p)->r;
    /* n goes here: split the subtree below by n's key. */
    struct block *t = *p, **l = &n->l, **r = &n->r;
    while (t) {
        if (size_cmp(t, n) < 0) {
            *l = t;
            l = &t->r;
            t = t->r;
        } else {
            *r = t;
            r = &t->l;
            t = t->l;
        }
    }
    *l = *r = NULL;
    *p = n;
}

static void t_remove(struct block **p, struct block *n)
{
    while (*p != n)
        p = size_cmp(n, *p) < 0 ? &(*p)->l : &(*p)->r;
    struct block *a = n->l, *b = n->r; /* every key of a < every key of b */
    while (a && b) {
        if (a->prio > b->prio) {
            *p = a;
            p = &a->r;
            a = a->r;
        } else {
            *p = b;
            p = &b->l;
            b = b->l;
        }
    }
    *p = a ? a : b;
}

/* The smallest free block with (size, start) >= (size, start). */
static struct block *size_ge(const struct jit_execmem *m, size_t size, uintptr_t start)
{
    struct block *best = NULL;
    for (struct block *b = m->size_root; b;) {
        if (b->size > size || (b->size == size && b->start >= start)) {
            best = b;
            b = b->l;
        } else {
            b = b->r;
        }
    }
    return best;
}

/* The first free range of the smallest bin >= class c, or NULL. */
static struct block *bin_ge(const struct jit_execmem *m, size_t c)
{
    for (size_t w = c / 64; w < BINS / 64; w++) {
        uint64_t bits = m->binmap[w] & (w == c / 64 ? ~(uint64_t)0 << (c % 64) : ~(uint64_t)0);
        if (bits)
            return m->bin[w * 64 + (size_t)__builtin_ctzll(bits)];
    }
    return NULL;
}

/* The smallest free range of at least size bytes (any address). */
static struct block *free_ge(const struct jit_execmem *m, size_t size)
{
    struct block *b = size < BIN_LIMIT ? bin_ge(m, size / JIT_EXECMEM_GRANULE) : NULL;
    return b ? b : size_ge(m, size, 0);
}

static size_t largest_free(const struct jit_execmem *m)
{
    struct block *b = m->size_root;
    if (!b) {
        for (size_t w = BINS / 64; w-- > 0;)
            if (m->binmap[w])
                return (w * 64 + 63 - (size_t)__builtin_clzll(m->binmap[w])) * JIT_EXECMEM_GRANULE;
        return 0;
    }
    while (b->r)
        b = b->r;
    return b->size;
}

static uint32_t prio(struct jit_execmem *m)
{
    m->seed ^= m->seed << 13;
    m->seed ^= m->seed >> 7;
    m->seed ^= m->seed << 17;
    return (uint32_t)(m->seed >> 32);
}

static struct block *block_get(struct jit_execmem *m)
{
    if (!m->spare) {
        struct slab *s = malloc(sizeof *s);
        if (!s)
            return NULL;
        if (m->nslabs < SLAB_SMALL_MAX) {
            s->bytes = 0;
            s->n = SLAB_BLOCKS;
            s->b = aligned_alloc(64, round_up(SLAB_BLOCKS * sizeof *s->b, 64));
        } else {
            s->b = big_map(BIG_ALIGN, &s->bytes);
            s->n = s->bytes / sizeof *s->b;
        }
        if (!s->b) {
            free(s);
            return NULL;
        }
        s->next = m->slabs;
        m->slabs = s;
        m->nslabs++;
        for (size_t i = s->n; i-- > 0;) {
            s->b[i].next = m->spare;
            m->spare = &s->b[i];
        }
    }
    struct block *b = m->spare;
    m->spare = b->next;
    memset(b, 0, sizeof *b);
    b->prio = prio(m);
    return b;
}

static void block_put(struct jit_execmem *m, struct block *b)
{
    b->next = m->spare;
    m->spare = b;
}

static void free_insert(struct jit_execmem *m, struct block *b)
{
    b->free = true;
    if (b->size < BIN_LIMIT) {
        size_t c = b->size / JIT_EXECMEM_GRANULE;
        b->l = NULL;
        b->r = m->bin[c];
        if (b->r)
            b->r->l = b;
        m->bin[c] = b;
        m->binmap[c / 64] |= (uint64_t)1 << (c % 64);
    } else {
        t_insert(&m->size_root, b);
    }
    m->bytes_free += b->size;
    m->free_ranges++;
}

static void free_remove(struct jit_execmem *m, struct block *b)
{
    if (b->size < BIN_LIMIT) {
        size_t c = b->size / JIT_EXECMEM_GRANULE;
        if (b->l)
            b->l->r = b->r;
        else if (!(m->bin[c] = b->r))
            m->binmap[c / 64] &= ~((uint64_t)1 << (c % 64));
        if (b->r)
            b->r->l = b->l;
    } else {
        t_remove(&m->size_root, b);
    }
    m->bytes_free -= b->size;
    m->free_ranges--;
}

/* --- regions ------------------------------------------------------------ */

/* First index of a (sorted by the rx or rw view) whose view starts above p. */
static size_t reg_index(struct region *const *a, size_t n, const uint8_t *p, bool rw)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((rw ? a[mid]->rw : a[mid]->rx) <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The region whose rx (or rw) view holds p, or NULL. */
static struct region *region_of(const struct jit_execmem *m, const void *p, bool rw)
{
    size_t i = reg_index(rw ? m->by_rw : m->by_rx, m->nregions, p, rw);
    if (i == 0)
        return NULL;
    struct region *r = (rw ? m->by_rw : m->by_rx)[i - 1];
    const uint8_t *base = rw ? r->rw : r->rx;
    return (const uint8_t *)p < base + r->size ? r : NULL;
}

static void reg_insert(struct region **a, size_t n, struct region *r, bool rw)
{
    size_t i = reg_index(a, n, rw ? r->rw : r->rx, rw);
    memmove(&a[i + 1], &a[i], (n - i) * sizeof *a);
    a[i] = r;
}

static void reg_remove(struct region **a, size_t n, struct region *r, bool rw)
{
    size_t i = reg_index(a, n, rw ? r->rw : r->rx, rw) - 1;
    memmove(&a[i], &a[i + 1], (n - i - 1) * sizeof *a);
}

/* --- block lookup: start bitmap + hash table ------------------------------ */

static size_t ht_slot(const struct jit_execmem *m, uintptr_t start)
{
    uint64_t h = (uint64_t)(start / JIT_EXECMEM_GRANULE) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (m->ht_cap - 1);
}

static struct block *ht_find(const struct jit_execmem *m, uintptr_t start)
{
    if (!m->ht_cap)
        return NULL;
    for (size_t i = ht_slot(m, start);; i = (i + 1) & (m->ht_cap - 1)) {
        const struct hent *e = &m->ht[i];
        if (!e->b || e->key == start)
            return e->b;
    }
}

static void ht_put(struct hent *t, size_t cap, size_t slot, uintptr_t key, struct block *b)
{
    while (t[slot].b)
        slot = (slot + 1) & (cap - 1);
    t[slot].key = key;
    t[slot].b = b;
}

static void ht_free(struct hent *t, size_t bytes)
{
    if (bytes)
        munmap(t, bytes);
    else
        free(t);
}

/* Make room for `more` entries (load <= 1/2). */
static bool ht_reserve(struct jit_execmem *m, size_t more)
{
    if (2 * (m->ht_n + more) <= m->ht_cap)
        return true;
    size_t cap = m->ht_cap ? m->ht_cap * 2 : 256, bytes = 0;
    struct hent *t = cap * sizeof *t >= BIG_ALIGN ? big_map(cap * sizeof *t, &bytes)
                                                  : calloc(cap, sizeof *t);
    if (!t)
        return false;
    size_t old = m->ht_cap;
    struct hent *ot = m->ht;
    m->ht = t;
    m->ht_cap = cap;
    for (size_t i = 0; i < old; i++)
        if (ot[i].b)
            ht_put(t, cap, ht_slot(m, ot[i].key), ot[i].key, ot[i].b);
    ht_free(ot, m->ht_bytes);
    m->ht_bytes = bytes;
    return true;
}

static void ht_insert(struct jit_execmem *m, struct block *b)
{
    ht_put(m->ht, m->ht_cap, ht_slot(m, b->start), b->start, b);
    m->ht_n++;
}

/* Remove by backward shift: later entries of the probe run move up (their
 * keys are in the table: no descriptor is read). */
static void ht_remove(struct jit_execmem *m, uintptr_t start)
{
    size_t mask = m->ht_cap - 1, i = ht_slot(m, start);
    while (m->ht[i].key != start)
        i = (i + 1) & mask;
    for (size_t j = (i + 1) & mask; m->ht[j].b; j = (j + 1) & mask) {
        size_t home = ht_slot(m, m->ht[j].key);
        /* m->ht[j] may fill the hole at i unless its home lies in (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->ht[i] = m->ht[j];
            i = j;
        }
    }
    m->ht[i].b = NULL;
    m->ht_n--;
}

static void start_set(struct block *b, bool on)
{
    size_t g = (size_t)(b->start - (uintptr_t)b->reg->rx) / JIT_EXECMEM_GRANULE;
    if (on)
        b->reg->starts[g / 64] |= (uint64_t)1 << (g % 64);
    else
        b->reg->starts[g / 64] &= ~((uint64_t)1 << (g % 64));
}

/* Start of the block holding rx address p of region r: the last start bit at
 * or below p's granule (bit 0 is always set: a block starts the region). */
static uintptr_t start_at(const struct region *r, const void *p)
{
    size_t g = (size_t)((const uint8_t *)p - r->rx) / JIT_EXECMEM_GRANULE, w = g / 64;
    uint64_t bits = r->starts[w] & (~(uint64_t)0 >> (63 - g % 64));
    while (!bits)
        bits = r->starts[--w];
    size_t top = 63 - (size_t)__builtin_clzll(bits);
    return (uintptr_t)r->rx + (w * 64 + top) * JIT_EXECMEM_GRANULE;
}

/* The block containing rx address addr, or NULL. A block's own start (the
 * common case: free, writes) is one hash probe. */
static struct block *block_at(const struct jit_execmem *m, uintptr_t addr)
{
    struct block *b = addr % JIT_EXECMEM_GRANULE ? NULL : ht_find(m, addr);
    if (b)
        return b;
    struct region *r = region_of(m, (const void *)addr, false);
    return r ? ht_find(m, start_at(r, (const void *)addr)) : NULL;
}

/* A new block descriptor b (start, size, r set): findable by address. */
static void block_index(struct jit_execmem *m, struct block *b)
{
    start_set(b, true);
    ht_insert(m, b);
}

static void region_unmap(struct jit_execmem *m, struct region *r)
{
    munmap(r->rx, r->size);
    if (r->rw != r->rx)
        munmap(r->rw, r->size);
    free(r->wcount);
    m->reserved -= r->size;
    free(r);
}

/* Unlink a wholly free region from everything, then unmap it. */
static void region_release(struct jit_execmem *m, struct region *r)
{
    struct block *b = r->blocks; /* the only block, free */
    free_remove(m, b);
    ht_remove(m, b->start);
    block_put(m, b);
    reg_remove(m->by_rx, m->nregions, r, false);
    reg_remove(m->by_rw, m->nregions, r, true);
    m->nregions--;
    if (r->prev)
        r->prev->next = r->next;
    else
        m->regions = r->next;
    if (r->next)
        r->next->prev = r->prev;
    region_unmap(m, r);
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
    if (m->nregions == m->reg_cap) {
        size_t cap = m->reg_cap ? m->reg_cap * 2 : 16;
        struct region **a = realloc(m->by_rx, cap * sizeof *a);
        if (a)
            m->by_rx = a;
        struct region **w = a ? realloc(m->by_rw, cap * sizeof *w) : NULL;
        if (!w)
            return JIT_ERR_NO_MEMORY;
        m->by_rw = w;
        m->reg_cap = cap;
    }
    if (!ht_reserve(m, 1))
        return JIT_ERR_NO_MEMORY;
    struct region *r = calloc(1, sizeof *r + (size / JIT_EXECMEM_GRANULE + 63) / 64 * sizeof(uint64_t));
    struct block *b = block_get(m);
    if (!r || !b) {
        free(r);
        if (b)
            block_put(m, b);
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
    b->start = (uintptr_t)r->rx;
    b->size = size;
    b->reg = r;
    r->blocks = b;
    block_index(m, b);
    free_insert(m, b);
    reg_insert(m->by_rx, m->nregions, r, false);
    reg_insert(m->by_rw, m->nregions, r, true);
    m->nregions++;
    r->next = m->regions;
    if (m->regions)
        m->regions->prev = r;
    m->regions = r;
    m->reserved += size;
    *out = r;
    return JIT_OK;
fail:
    free(r->wcount);
    free(r);
    block_put(m, b);
    return err;
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

static size_t off_of(const struct block *b)
{
    return (size_t)(b->start - (uintptr_t)b->reg->rx);
}

/* Live block [start, start+size) out of free block b; lead and tail are
 * spare descriptors for the free pieces before and after (unused ones go
 * back to the spare list). */
static void carve(struct jit_execmem *m, struct block *b, uintptr_t start, size_t size,
                  struct block *lead, struct block *tail, struct jit_code *out)
{
    struct region *r = b->reg;
    uintptr_t end = b->start + b->size;
    if (start + size < end) {
        /* The tail's hash slot and start bit, likely cold: fetch them while
         * the tree work below runs. */
        size_t g = (size_t)(start + size - (uintptr_t)r->rx) / JIT_EXECMEM_GRANULE;
        __builtin_prefetch(&m->ht[ht_slot(m, start + size)], 1, 3);
        __builtin_prefetch(&r->starts[g / 64], 1, 3);
    }
    free_remove(m, b);
    b->free = false;
    if (start > b->start) { /* free piece before the aligned start */
        lead->start = b->start;
        lead->size = start - b->start;
        lead->reg = r;
        lead->prev = b->prev;
        lead->next = b;
        if (b->prev)
            b->prev->next = lead;
        else
            r->blocks = lead;
        b->prev = lead;
        /* lead takes over b's start (and its hash entry's key), b moves up. */
        ht_remove(m, b->start);
        b->start = start;
        block_index(m, b);
        ht_insert(m, lead); /* its start bit is b's old one, still set */
        free_insert(m, lead);
    } else {
        block_put(m, lead);
    }
    if (start + size < end) {
        tail->start = start + size;
        tail->size = end - tail->start;
        tail->reg = r;
        tail->prev = b;
        tail->next = b->next;
        if (b->next)
            b->next->prev = tail;
        b->next = tail;
        block_index(m, tail);
        free_insert(m, tail);
    } else {
        block_put(m, tail);
    }
    b->size = size;
    m->in_use += size;
    m->allocations++;
    out->rw = r->rw + off_of(b);
    out->rx = (void *)b->start;
    out->size = size;
}

static bool fit(const struct block *b, size_t size, size_t align, uintptr_t *start)
{
    uintptr_t a = round_up(b->start, align);
    if (b->size < size || a - b->start > b->size - size)
        return false;
    *start = a;
    return true;
}

/* Best fit: the smallest free range that holds the request; among equals,
 * the most recently freed one below BIN_LIMIT bytes (a bin is a LIFO list),
 * the lowest address from BIN_LIMIT up (the tree). Every block start is
 * granule-aligned, so with the default alignment the first candidate fits;
 * a larger alignment tries a few more and then asks for
 * size + align - granule, which always fits. */
static struct block *find_fit(const struct jit_execmem *m, size_t size, size_t align,
                              uintptr_t *start)
{
    struct block *b;
    if (align <= JIT_EXECMEM_GRANULE) {
        b = free_ge(m, size);
        return b && fit(b, size, align, start) ? b : NULL;
    }
    /* A few candidates from the smallest size up: the bins' lists, then the tree. */
    int tries = 0;
    for (size_t c = size / JIT_EXECMEM_GRANULE; c < BINS && tries < 8; c++) {
        if (!(b = bin_ge(m, c)))
            break;
        c = b->size / JIT_EXECMEM_GRANULE;
        for (; b && tries < 8; b = b->r, tries++)
            if (fit(b, size, align, start))
                return b;
    }
    b = size_ge(m, size, 0);
    for (tries = 0; b && tries < 8; tries++) {
        if (fit(b, size, align, start))
            return b;
        b = size_ge(m, b->size, b->start + 1);
    }
    b = free_ge(m, size + align - JIT_EXECMEM_GRANULE);
    return b && fit(b, size, align, start) ? b : NULL;
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
    enum jit_err e = JIT_OK;
    /* Up to three new hash entries: a new region's block, lead and tail. */
    struct block *lead = ht_reserve(mem, 3) ? block_get(mem) : NULL;
    struct block *tail = lead ? block_get(mem) : NULL;
    if (!tail) {
        if (lead)
            block_put(mem, lead);
        e = JIT_ERR_NO_MEMORY;
        goto done;
    }
    uintptr_t start = 0;
    struct block *b = find_fit(mem, size, align, &start);
    if (!b) {
        struct region *r;
        size_t rsize = size > mem->region_size ? round_up(size, mem->page) : mem->region_size;
        e = region_new(mem, rsize, &r);
        if (e != JIT_OK) {
            block_put(mem, lead);
            block_put(mem, tail);
            goto done;
        }
        b = r->blocks;
        fit(b, size, align, &start); /* page-aligned: always fits */
    }
    carve(mem, b, start, size, lead, tail, out);
done:
    pthread_mutex_unlock(&mem->lock);
    return e;
}

/* Take b off its region's list and the address tree; recycle it. */
static void unlink_block(struct jit_execmem *m, struct block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        b->reg->blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
    start_set(b, false);
    ht_remove(m, b->start);
    block_put(m, b);
}

enum jit_err jit_execmem_free(struct jit_execmem *mem, void *rx)
{
    if (!mem || !rx)
        return JIT_ERR_INVALID_ARG;
    /* With one view (RWX, mprotect) the bytes the trap fill will write are
     * at rx: start fetching its first lines (and their page translation)
     * while the lookup below runs. A prefetch never faults, so a bad rx is
     * harmless. */
    if (mem->mode != JIT_EXECMEM_DUAL_MAP) {
        __builtin_prefetch(rx, 1, 0);
        __builtin_prefetch((char *)rx + 64, 1, 0);
    }
    pthread_mutex_lock(&mem->lock);
    enum jit_err e = JIT_OK;
    struct block *b = block_at(mem, (uintptr_t)rx);
    if (!b) {
        e = JIT_ERR_NOT_OWNED;
        goto out;
    }
    if (b->free) {
        e = JIT_ERR_DOUBLE_FREE; /* inside a free range: freed before */
        goto out;
    }
    if (b->start != (uintptr_t)rx) {
        e = JIT_ERR_NOT_OWNED; /* interior pointer */
        goto out;
    }
    /* RWX mode writes the trap through rx and needs nothing of the region
     * (one cache miss fewer); dual map needs its rw view, mprotect mode its
     * page counts. */
    struct region *r = NULL;
    size_t off = 0;
    uint8_t *rw = rx;
    if (mem->mode != JIT_EXECMEM_RWX) {
        r = b->reg;
        off = off_of(b);
        rw = r->rw + off;
    }
    /* The neighbours' states before the fill: their descriptors load while
     * the fill runs instead of after it. */
    struct block *nb = b->next && b->next->free ? b->next : NULL;
    struct block *pb = b->prev && b->prev->free ? b->prev : NULL;
    /* Trap-fill first, so a stray call into the freed range traps at once. */
    if (mem->mode == JIT_EXECMEM_MPROTECT)
        e = pages_write(mem, r, off, b->size, true);
    if (e == JIT_OK) {
        jit_arch_trap_fill(rw, b->size);
        if (mem->mode == JIT_EXECMEM_MPROTECT)
            e = pages_write(mem, r, off, b->size, false);
        enum jit_err fe = r ? publish(mem, r, off, b->size) : jit_icache_flush(rw, rx, b->size);
        if (e == JIT_OK)
            e = fe;
    }
    mem->in_use -= b->size;
    mem->allocations--;
    if (nb) {
        free_remove(mem, nb);
        b->size += nb->size;
        unlink_block(mem, nb);
    }
    if (pb) {
        free_remove(mem, pb); /* its size (key) changes */
        pb->size += b->size;
        unlink_block(mem, b);
        b = pb;
    }
    free_insert(mem, b);
    /* Give a wholly free region (its only block: the blocks tile it) back,
     * unless it is the last one. */
    if (!b->prev && !b->next && mem->nregions > 1)
        region_release(mem, b->reg);
out:
    pthread_mutex_unlock(&mem->lock);
    return e;
}

/* The live block holding rx or rw address addr, or NULL. */
static struct block *live_at(const struct jit_execmem *m, const void *addr, bool rw_too)
{
    struct block *b = block_at(m, (uintptr_t)addr);
    if (!b && rw_too && m->mode == JIT_EXECMEM_DUAL_MAP) {
        struct region *r = region_of(m, addr, true);
        if (r)
            b = block_at(m, (uintptr_t)r->rx + (size_t)((const uint8_t *)addr - r->rw));
    }
    return b && !b->free ? b : NULL;
}

enum jit_err jit_execmem_query(struct jit_execmem *mem, const void *addr, struct jit_code *out)
{
    if (!mem || !addr || !out)
        return JIT_ERR_INVALID_ARG;
    pthread_mutex_lock(&mem->lock);
    enum jit_err e = JIT_ERR_NOT_OWNED;
    struct block *b = live_at(mem, addr, true);
    if (b) {
        out->rw = b->reg->rw + off_of(b);
        out->rx = (void *)b->start;
        out->size = b->size;
        e = JIT_OK;
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
    out->regions = mem->nregions;
    out->bytes_free = mem->bytes_free;
    out->free_ranges = mem->free_ranges;
    out->largest_free = largest_free(mem);
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
    struct block *b = live_at(m, rx, false);
    if (!b)
        return JIT_ERR_NOT_OWNED;
    size_t o = (size_t)((uintptr_t)rx - b->start);
    if (size > b->size - o)
        return JIT_ERR_INVALID_ARG;
    *rp = b->reg;
    *off = off_of(b) + o;
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
    while (mem->slabs) {
        struct slab *s = mem->slabs;
        mem->slabs = s->next;
        if (s->bytes)
            munmap(s->b, s->bytes);
        else
            free(s->b);
        free(s);
    }
    free(mem->by_rx);
    free(mem->by_rw);
    ht_free(mem->ht, mem->ht_bytes);
    pthread_mutex_destroy(&mem->lock);
    free(mem);
}
