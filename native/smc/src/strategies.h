/* strategies.h: the strategy table and the memory every strategy uses. */
#ifndef SMC_STRATEGIES_H
#define SMC_STRATEGIES_H

#include <stddef.h>
#include <stdint.h>

#include "smc/smc.h"

#define SMC_MAX_REGIONS 64
/* Jump chains that push code out of the L1i (32 KiB on recent x86 cores)
 * and the op cache: 1024 line-aligned jumps (64 KiB) and 512 jumps each
 * straddling two lines (64 KiB); the 32 KiB variants enter half-way. */
#define SMC_CHAIN_JUMPS 1024
#define SMC_CHAIN_BYTES ((size_t)(SMC_CHAIN_JUMPS + 1) * 64)
#define SMC_CHAIN_U_JUMPS 512
#define SMC_CHAIN_U_BYTES ((size_t)(SMC_CHAIN_U_JUMPS + 1) * 128)

struct jit_execmem;

struct smc_ctx {
    uint8_t *exec;      /* RWX page written in place */
    uint8_t *prewritten; /* RWX page written once (baseline) */
    uint32_t prewritten_value;
    uint8_t *scratch;   /* RW page, 64-byte aligned: "write elsewhere" */
    uint8_t *regions;   /* SMC_MAX_REGIONS RWX pages */
    unsigned next_region;
    uint8_t *dual_rw, *dual_rx; /* one memfd page mapped twice */
    uint8_t *chain;     /* line-aligned jump chain (x86) */
    uint8_t *chain_u;   /* jump chain straddling lines (x86) */
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
