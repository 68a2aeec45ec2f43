/* execmem.h: an allocator for executable code.
 *
 * Allocations come from regions reserved on demand; freed ranges are reused
 * and merged with free neighbours, wholly free regions are returned to the
 * system, and freed bytes are filled with the architecture's trap instruction.
 * Thread-safe.
 *
 * Each allocation has two addresses: `rw` where code is written and `rx`
 * where it runs. They are equal in the mprotect and RWX modes and differ in
 * the dual-mapping mode. Writes go between jit_execmem_begin_write() and
 * jit_execmem_end_write(); end_write makes the bytes executable (including
 * the instruction-cache maintenance of icache.h).
 */
#ifndef JIT_EXECMEM_H
#define JIT_EXECMEM_H

#include <stddef.h>
#include <stdint.h>

#include "jit/emit.h"
#include "jit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum jit_execmem_mode {
    JIT_EXECMEM_DUAL_MAP = 0, /* default: memfd mapped RW and RX (W^X) */
    JIT_EXECMEM_MPROTECT,     /* one mapping flipped RW <-> RX (W^X) */
    JIT_EXECMEM_RWX,          /* one RWX mapping (SMC benchmarks only) */
};

struct jit_execmem_params {
    enum jit_execmem_mode mode; /* 0 = dual map */
    size_t region_size;         /* 0 = default (64 KiB rounded to pages) */
    size_t max_bytes;           /* 0 = no limit besides the system's */
    uint32_t flags;             /* JIT_EXECMEM_* flags below, 0 = defaults */
    enum jit_emit_strategy emit; /* how jit_execmem_write copies code in; 0 = auto (emit.h) */
};

/* Dual map only: skip the brief PROT_WRITE toggle of the RX view after each
 * write. qemu-user needs it to drop stale translations of rewritten code;
 * real hardware does not. Set it only when the code never runs under qemu. */
#define JIT_EXECMEM_NO_RX_REFRESH 0x1u
#define JIT_EXECMEM_FLAGS_ALL 0x1u

struct jit_execmem_stats {
    size_t bytes_in_use;        /* sum of live allocation sizes (rounded) */
    size_t bytes_free;          /* free bytes inside reserved regions */
    size_t largest_free;        /* largest free range */
    size_t free_ranges;         /* number of free ranges */
    size_t regions;             /* number of reserved regions */
    size_t allocations;         /* number of live allocations */
};

struct jit_code {
    void *rw;   /* write here */
    void *rx;   /* execute here */
    size_t size;
};

struct jit_execmem;

enum jit_err jit_execmem_create(const struct jit_execmem_params *params, struct jit_execmem **out);
/* Frees every region, live allocations included. NULL is a no-op. */
void jit_execmem_destroy(struct jit_execmem *mem);

enum jit_err jit_execmem_alloc(struct jit_execmem *mem, size_t size, size_t align, struct jit_code *out);
/* `rx` is the address returned in jit_code.rx. */
enum jit_err jit_execmem_free(struct jit_execmem *mem, void *rx);
/* Which live allocation contains `addr` (rw or rx address)? */
enum jit_err jit_execmem_query(struct jit_execmem *mem, const void *addr, struct jit_code *out);
enum jit_err jit_execmem_stats(struct jit_execmem *mem, struct jit_execmem_stats *out);

/* Make [rx, rx+size) writable through its rw address (mprotect mode flips it). */
enum jit_err jit_execmem_begin_write(struct jit_execmem *mem, void *rx, size_t size);
/* Make the written bytes executable again and flush the instruction cache. */
enum jit_err jit_execmem_end_write(struct jit_execmem *mem, void *rx, size_t size);

/* begin_write + copy `size` bytes from src to rx's rw address + end_write. */
enum jit_err jit_execmem_write(struct jit_execmem *mem, void *rx, const void *src, size_t size);

enum jit_execmem_mode jit_execmem_get_mode(const struct jit_execmem *mem);
/* The emission strategy jit_execmem_write uses (AUTO resolved at creation). */
enum jit_emit_strategy jit_execmem_get_emit(const struct jit_execmem *mem);
const char *jit_execmem_mode_name(enum jit_execmem_mode mode);

#ifdef __cplusplus
}
#endif
#endif
