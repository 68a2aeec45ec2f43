/* arch.h: per-architecture facts and the few machine-code encoders the core,
 * its tests and benchmarks need (return-a-constant functions, branches,
 * jumps). Encoders write into `buf` (at most `cap` bytes) code that will run
 * at address `at`, and report the length through `len`. */
#ifndef JIT_ARCH_H
#define JIT_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "jit/config.h"
#include "jit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct jit_arch_info {
    const char *name;          /* JIT_ARCH_NAME */
    uint32_t trap_insn;        /* fill pattern for freed code (native-endian word) */
    int trap_signal;           /* signal a call into freed code raises (SIGTRAP/SIGILL) */
    size_t insn_align;         /* code alignment the encoders need */
    size_t branch_size;        /* bytes of the patched direct branch (incl. delay slot) */
    size_t long_jump_size;     /* JIT_ARCH_LONG_JUMP_SIZE */
    size_t entry_size;         /* JIT_ARCH_ENTRY_SIZE */
    uint64_t branch_reach;     /* +- bytes a direct branch reaches (0: same 256 MiB segment) */
};

const struct jit_arch_info *jit_arch(void);

enum jit_feature {
    JIT_FEATURE_ICACHE_COHERENT = 1, /* no i-cache maintenance needed (x86) */
    JIT_FEATURE_DIRECT_BRANCH,       /* jit_emit_branch can patch atomically */
};
int jit_has_feature(enum jit_feature feature);

/* A C-callable pointer for code at `rx`. On most ABIs that is rx itself; on
 * powerpc64 ELFv1 a function pointer is the address of a descriptor
 * {entry, TOC, environment}, which is filled in *d (caller-owned storage
 * that must outlive the calls through the result). Cast the result to the
 * function type (through memcpy or uintptr_t). */
struct jit_fdesc {
    uintptr_t entry, toc, env;
};
void *jit_code_callable(void *rx, struct jit_fdesc *d);

/* Fill [buf, buf+size) with the trap instruction (size: any; partial words get a prefix). */
void jit_arch_trap_fill(void *buf, size_t size);

/* int f(int): return the constant k, ignoring the argument. */
enum jit_err jit_emit_ret_const(void *buf, size_t cap, int32_t k, size_t *len);
/* int f(int x): return x. The smallest useful function on each arch. */
enum jit_err jit_emit_ret_arg(void *buf, size_t cap, size_t *len);
/* A direct branch at `at` to `target`; JIT_ERR_OUT_OF_RANGE beyond reach. */
enum jit_err jit_emit_branch(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len);
/* The long sequence (JIT_ARCH_LONG_JUMP_SIZE bytes) reaching any address. */
enum jit_err jit_emit_long_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len);
/* A jump at `at` to any `target` (direct when in reach, else the long sequence). */
enum jit_err jit_emit_jump(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
