/* copyjit.h: a template JIT that copies compiler-generated op templates one
 * after another into executable memory and never patches an instruction.
 *
 * The machine: four 64-bit registers a, x, y, o; a push/pop stack of
 * CJ_STACK_WORDS words; a call stack; CJ_MEM_WORDS words of memory addressed
 * modulo its size; an output list. Programs are built with the builder API
 * or parsed from the text format (docs/copyjit.md), then run.
 *
 * Every fallible function returns enum jit_err (JIT_OK == 0). A builder's
 * first error stays set: later calls return it and do nothing.
 */
#ifndef COPYJIT_H
#define COPYJIT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jit/err.h"
#include "jit/execmem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t cj_word;

#define CJ_MEM_WORDS 4096u
#define CJ_STACK_WORDS 1024u
#define CJ_CALL_DEPTH 256u
#define CJ_MAX_OP_SIZE 512u

enum cj_status {
    CJ_STATUS_NONE = 0,
    CJ_STATUS_HALT,            /* halt, or ret with an empty call stack */
    CJ_STATUS_STACK_OVERFLOW,  /* push on a full stack */
    CJ_STATUS_STACK_UNDERFLOW, /* pop on an empty stack */
    CJ_STATUS_CALL_OVERFLOW,   /* call deeper than CJ_CALL_DEPTH */
    CJ_STATUS_STEP_LIMIT,      /* trace mode: more steps than trace_cap */
    CJ_STATUS_CRASH,           /* the JIT code trapped (see cj_run.fault) */
    CJ_STATUS_TIMEOUT,         /* cj_run.timeout_s expired */
};
const char *cj_status_name(enum cj_status st);

/* One trace record: the state before the op at source line `line` runs. */
struct cj_trace_rec {
    cj_word line, a, x, y, o, sp;
};

/* ---- op templates ---- */

struct cj_op_info {
    const char *name;   /* e.g. "add_a_i" */
    uint32_t raw_size;  /* bytes from the op's symbol to its end symbol */
    uint32_t size;      /* bytes copied per use */
    uint32_t nslots;    /* 8-byte data slots */
    uint32_t flags;
    int stripped;       /* trailing jump found and dropped */
    int ok;             /* passed the static checks */
    char why[160];      /* failure reason, or a note ("tail jump kept: ...") */
};

/* Load and check every template (once; later calls return the first result).
 * JIT_ERR_UNSUPPORTED if any template failed: cj_op_get tells which, and
 * cj_emit refuses those ops with JIT_ERR_UNSUPPORTED (the others work). */
enum jit_err cj_init(void);
int cj_op_count(void);
enum jit_err cj_op_get(int op, struct cj_op_info *out);
enum jit_err cj_op_find(const char *name, int *out);
/* Template instruction set: "ARM" or "Thumb" on arm, else the arch name. */
const char *cj_arch_desc(void);

/* Dynamic check of one op: runs it many times in a row between two native
 * stack marks; fails if the stack pointer moved or the run did not halt. */
enum jit_err cj_check_op_stack(struct jit_execmem *mem, int op, int *ok, char *why, size_t why_len);

/* ---- builder ---- */

#define CJ_BUILD_TRACE 1u /* record a trace record before every op */

struct cj_builder_params {
    uint32_t flags; /* CJ_BUILD_*; 0 = default */
};

struct cj_builder;
struct cj_program;

enum jit_err cj_builder_create(const struct cj_builder_params *params, struct cj_builder **out);
void cj_builder_destroy(struct cj_builder *b);
/* Forget everything emitted (keeps buffers) and clear the error. */
void cj_builder_reset(struct cj_builder *b);
enum jit_err cj_builder_error(const struct cj_builder *b);
/* Source line recorded for the ops emitted next (crash triage, traces). */
void cj_builder_set_line(struct cj_builder *b, uint32_t line);

enum jit_err cj_label_new(struct cj_builder *b, int *out);
enum jit_err cj_label_bind(struct cj_builder *b, int label);
/* Emit op `op`. imm fills slot 0 of ops with an immediate; label is the
 * target of branches, jmp and call (ignored otherwise, pass -1).
 * cj_emit is inline (below): its fast path is in the caller; everything
 * else (data slots, trace, a full buffer, errors) goes to cj_emit_general,
 * which is the same function out of line. */
static inline enum jit_err cj_emit(struct cj_builder *b, int op, cj_word imm, int label);
enum jit_err cj_emit_general(struct cj_builder *b, int op, cj_word imm, int label);
/* n ops at once: ops[i] with imm[i] and label[i] (imm and label may be
 * NULL: 0 and -1 for every op). The same as n calls of cj_emit, faster. */
enum jit_err cj_emit_n(struct cj_builder *b, const int *ops, const cj_word *imm, const int *label, size_t n);
/* Same, naming the template: cj_emit_named(b, "add_a_i", 5, -1). */
enum jit_err cj_emit_named(struct cj_builder *b, const char *name, cj_word imm, int label);
/* Initial memory word (address taken modulo CJ_MEM_WORDS). */
enum jit_err cj_builder_mem(struct cj_builder *b, uint32_t addr, cj_word value);
size_t cj_builder_ops(const struct cj_builder *b);
size_t cj_builder_code_size(const struct cj_builder *b);

/* Copy the emitted program into executable memory from `mem`. */
enum jit_err cj_builder_finish(struct cj_builder *b, struct jit_execmem *mem, struct cj_program **out);
void cj_program_free(struct cj_program *p);
size_t cj_program_code_size(const struct cj_program *p);
const void *cj_program_entry(const struct cj_program *p);

/* ---- text format ---- */

struct cj_parse_error {
    uint32_t line;
    char msg[160];
};
/* Parse program text into the builder (which may already hold code). */
enum jit_err cj_parse(struct cj_builder *b, const char *text, size_t len, struct cj_parse_error *err);

/* ---- running ---- */

struct cj_fault {
    int sig;            /* signal number, 0 = none */
    uintptr_t pc;       /* faulting PC */
    int in_code;        /* pc inside the program's code */
    int op;             /* template index of the op at pc, -1 if unknown */
    uint32_t op_index;  /* n-th op of the program */
    uint32_t line;      /* source line of that op */
    uint32_t offset;    /* pc - start of the op's copy */
    char desc[200];     /* "SIGILL at line 7 (trap +0x0) pc=..." */
};

struct cj_run {
    /* in */
    cj_word a, x, y, o;          /* initial registers */
    uint32_t stack_depth;        /* initial stack depth (words of 0) */
    cj_word *out;                /* out values buffer (may be NULL) */
    size_t out_cap;
    struct cj_trace_rec *trace;  /* trace buffer for CJ_BUILD_TRACE programs */
    size_t trace_cap;
    unsigned timeout_s;          /* 0 = none */
    cj_word *mem;                /* CJ_MEM_WORDS words, or NULL for a private copy */
    /* out */
    enum cj_status status;
    cj_word ra, rx, ry, ro;      /* final registers */
    uint32_t sp;                 /* final stack depth */
    size_t out_n, trace_n;
    uint32_t mem_hash;           /* FNV-1a over the final memory */
    uintptr_t marks[8];          /* spmark records */
    size_t nmarks;
    struct cj_fault fault;
};

/* Runs the program from its first op. Faults inside JIT code are caught and
 * reported in r->fault (status CJ_STATUS_CRASH). Not reentrant. */
enum jit_err cj_program_run(const struct cj_program *p, struct cj_run *r);

/* ---- cj_emit's inline fast path (the layout below is internal) ----
 * A builder starts with struct cj__emit_head. The fast path takes an op
 * with no data slots whose bytes fit a fixed 32-byte copy (cj_tmpl[op].fast,
 * set by cj_init) while pos + size < pos_end and nops < nops_end; the builder sets
 * both limits to 0 while it has an error or traces, and keeps them in step
 * with its buffers (a full one falls to cj_emit_general, which grows it).
 * Everything is read before the copy and written after it: the copy's
 * stores may alias the builder, the position and count are then the last
 * stores before the next op's loads, and an inlined run of cj_emit keeps
 * them in registers instead of a store-to-load round trip per op. */
struct cj__opmap {
    uint64_t off_id; /* code offset | template << 32: one store (the source
                      * lines are kept apart, as runs: cj_builder_set_line) */
};
struct cj__emit_head {
    uint8_t *code;
    size_t pos, pos_end;
    struct cj__opmap *ops;
    uint32_t nops, nops_end;
};
struct cj_tmpl {
    const uint8_t *bytes; /* variant A, in .copyjit_ops */
    uint16_t size;        /* bytes to copy */
    uint8_t nslots;
    uint8_t flags;
    uint8_t ok;           /* passed the static check; others cannot be emitted */
    uint8_t fast;         /* ok, no data slots, size <= 32: cj_emit's fast path */
};
#define CJ__NUM_OPS 502 /* templates.c asserts it is the op count */
extern struct cj_tmpl cj_tmpl[CJ__NUM_OPS];
/* The fast path's view of cj_tmpl (cj_init fills it): the bytes and the
 * size to advance by, or CJ__NOT_FAST for an op that must take the general
 * path, so that one compare, pos + fsize < pos_end, checks both. */
struct cj__fast_tmpl {
    const uint8_t *bytes;
    size_t fsize;
};
#define CJ__NOT_FAST (((size_t)-1) / 4)
extern struct cj__fast_tmpl cj__fast[CJ__NUM_OPS];
#if defined(__GNUC__)
#  define CJ__LIKELY(c) __builtin_expect(!!(c), 1)
/* The copy in 16-byte moves of a float vector type: unlike memcpy's
 * byte stores, they cannot alias the builder's size_t and uint32_t fields
 * (type-based aliasing), so an inlined run of cj_emit can keep its
 * position and count in registers. The code buffer is malloc'd and is only
 * ever read back as bytes. */
typedef float cj__v16 __attribute__((vector_size(16), aligned(1), may_alias));
typedef float cj__v16n __attribute__((vector_size(16), aligned(1)));
#  define CJ__COPY16(d, s) (*(cj__v16n *)(void *)(d) = *(const cj__v16 *)(const void *)(s))
#else
#  define CJ__LIKELY(c) (c)
#  define CJ__COPY16(d, s) memcpy((d), (s), 16)
#endif

static inline enum jit_err cj_emit(struct cj_builder *b, int op, cj_word imm, int label)
{
    if (CJ__LIKELY(b != NULL && (unsigned)op < (unsigned)CJ__NUM_OPS)) {
        struct cj__emit_head *h = (struct cj__emit_head *)(void *)b;
        const struct cj__fast_tmpl *t = &cj__fast[op];
        size_t pos = h->pos, fsize = t->fsize, end = pos + fsize;
        uint32_t n = h->nops;
        if (CJ__LIKELY(end < h->pos_end && n < h->nops_end)) {
            const uint8_t *src = t->bytes;
            uint8_t *dst = h->code + pos;
            struct cj__opmap *m = h->ops + n;
            /* 16 or 32 bytes, whole vectors: the slack covers the bytes past
             * the op. Stores are what bounds this path (x86_64 here: one a
             * cycle), so an op of at most 16 bytes, most of them, takes one. */
            CJ__COPY16(dst, src);
            if (fsize > 16) CJ__COPY16(dst + 16, src + 16);
            m->off_id = (uint64_t)pos | (uint64_t)(uint32_t)op << 32;
            h->nops = n + 1;
            h->pos = end;
            return JIT_OK;
        }
    }
    return cj_emit_general(b, op, imm, label);
}

/* FNV-1a 32 over little-endian 64-bit words; used for the output, memory and
 * per-step trace hashes shared with the TypeScript reference. */
uint32_t cj_hash_words(uint32_t h, const cj_word *w, size_t n);
#define CJ_HASH_INIT 2166136261u

#ifdef __cplusplus
}
#endif
#endif
