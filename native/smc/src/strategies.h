/* strategies.h: the strategy table and the memory every strategy uses. */
#ifndef SMC_STRATEGIES_H
#define SMC_STRATEGIES_H

#include <stddef.h>
#include <stdint.h>

#include "smc/smc.h"

#define SMC_MAX_REGIONS 64
#define SMC_CHAIN_LINES 512 /* 32 KiB of jumps: the L1i size of recent x86 cores */

struct jit_execmem;

struct smc_ctx {
    uint8_t *exec;      /* RWX page written in place */
    uint8_t *prewritten; /* RWX page written once (baseline) */
    uint32_t prewritten_value;
    uint8_t *scratch;   /* RW page, 64-byte aligned: "write elsewhere" */
    uint8_t *regions;   /* SMC_MAX_REGIONS RWX pages */
    unsigned next_region;
    uint8_t *dual_rw, *dual_rx; /* one memfd page mapped twice */
    uint8_t *chain;     /* icache-thrashing jump chain (x86) */
    struct jit_execmem *em; /* JIT core allocator (when built with jit_core) */
    int sys_errno;      /* set by a strategy whose per-call system call failed */
    const char *setup_error[8]; /* per resource: why it could not be set up */
};

enum smc_resource {
    SMC_RES_EXEC = 0,
    SMC_RES_REGIONS,
    SMC_RES_DUAL,
    SMC_RES_CHAIN,
    SMC_RES_EXECMEM,
    SMC_RES_NONE,
};

typedef uint32_t (*smc_run_fn)(struct smc_ctx *c, uint32_t seed, uint32_t *expected);

struct smc_strategy {
    const char *name;
    const char *group;
    const char *description;
    uint32_t needs;        /* enum smc_feature bits */
    enum smc_resource res; /* memory it needs besides exec/scratch */
    unsigned param;        /* e.g. number of regions */
    smc_run_fn run;
};

extern const struct smc_strategy smc_strategies[];
extern const size_t smc_strategies_count;

/* Allocate everything; a resource that fails leaves setup_error[res] set. */
void smc_ctx_init(struct smc_ctx *c);
void smc_ctx_fini(struct smc_ctx *c);

#endif
