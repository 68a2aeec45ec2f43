/* builder.c: emit ops by copying template bytes; immediates and branch
 * targets go to data slots at code offset + CJ_DATA_DIST, never into the
 * instructions. */
#include <stdlib.h>
#include <string.h>

#include "cj_internal.h"

#define CJ_SLACK 64 /* emission copies up to 32 bytes past an op's end */

struct cj_fixup {
    uint32_t pos;   /* data offset of the slot */
    int32_t label;  /* label id, or -1: the slot holds a code offset */
    uint32_t line;
};

struct cj_linerun {
    uint32_t op, line;
};

struct cj_builder {
    struct cj__emit_head h; /* first: cj_emit's inline fast path (copyjit.h) reads it */
    uint32_t flags;
    enum jit_err err;
    uint32_t fast;         /* no error and no trace: cj_emit may take its fast path */
    uint8_t *data;
    size_t cap, data_min, data_end;
    uint32_t ops_cap;
    int32_t *labels;       /* code offset, -1 = unbound */
    uint32_t *label_line;  /* first use, for errors */
    uint32_t nlabels, labels_cap;
    struct cj_fixup *fix;
    uint32_t nfix, fix_cap;
    cj_word *mem_init;
    uint32_t line;          /* the current source line */
    struct cj_linerun *runs; /* op index from which a line holds, in order */
    uint32_t nruns, runs_cap;
};

#define CJ_LINE(b) ((b)->line)

/* The inline fast path's limits (copyjit.h), after any change of the
 * buffers or of b->fast: pos < pos_end means the fixed 32-byte copy and
 * the slack fit; both are 0 while the builder has an error or traces. */
static void cj_sync_fast(struct cj_builder *b)
{
    size_t need = 32 + CJ_SLACK;
    b->h.pos_end = b->fast && b->cap >= need ? b->cap - need + 1 : 0;
    b->h.nops_end = b->fast ? b->ops_cap : 0;
}

static enum jit_err cj_fail(struct cj_builder *b, enum jit_err e)
{
    if (!b->err) b->err = e;
    b->fast = 0;
    cj_sync_fast(b);
    return b->err;
}

static int cj_grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return 1;
    uint32_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, (size_t)n * elem);
    if (!q) return 0;
    *p = q;
    *cap = n;
    return 1;
}

enum jit_err cj_builder_create(const struct cj_builder_params *params, struct cj_builder **out)
{
    if (!out) return JIT_ERR_INVALID_ARG;
    *out = NULL;
    /* A failed template is refused when emitted (cj_op_get says why); the
     * others stay usable, so one bad op does not hide every other result. */
    cj_init();
    struct cj_builder *b = calloc(1, sizeof *b);
    if (!b) return JIT_ERR_NO_MEMORY;
    b->flags = params ? params->flags : 0;
    b->fast = !(b->flags & CJ_BUILD_TRACE);
    cj_sync_fast(b);
    *out = b;
    return JIT_OK;
}

void cj_builder_destroy(struct cj_builder *b)
{
    if (!b) return;
    free(b->h.code);
    free(b->data);
    free(b->h.ops);
    free(b->labels);
    free(b->label_line);
    free(b->fix);
    free(b->runs);
    free(b->mem_init);
    free(b);
}

void cj_builder_reset(struct cj_builder *b)
{
    if (!b) return;
    /* No need to clear data: every slot an op reads is written when it is emitted. */
    b->err = JIT_OK;
    b->fast = !(b->flags & CJ_BUILD_TRACE);
    cj_sync_fast(b);
    b->h.pos = b->data_min = b->data_end = 0;
    b->line = 0;
    b->nruns = 0;
    b->h.nops = b->nlabels = b->nfix = 0;
    free(b->mem_init);
    b->mem_init = NULL;
}

enum jit_err cj_builder_error(const struct cj_builder *b) { return b ? b->err : JIT_ERR_INVALID_ARG; }
/* Lines are recorded as runs (the op index from which each holds), not per
 * op: one store less on cj_emit's fast path. A failed allocation here is
 * the builder's error, like any other. */
void cj_builder_set_line(struct cj_builder *b, uint32_t line)
{
    if (!b || line == b->line) return;
    b->line = line;
    if (b->nruns && b->runs[b->nruns - 1].op == b->h.nops) {
        b->runs[b->nruns - 1].line = line;
        return;
    }
    if (!cj_grow((void **)&b->runs, &b->runs_cap, b->nruns + 1, sizeof *b->runs)) {
        cj_fail(b, JIT_ERR_NO_MEMORY);
        return;
    }
    b->runs[b->nruns].op = b->h.nops;
    b->runs[b->nruns].line = line;
    b->nruns++;
}
size_t cj_builder_ops(const struct cj_builder *b) { return b ? b->h.nops : 0; }
size_t cj_builder_code_size(const struct cj_builder *b) { return b ? b->h.pos : 0; }

enum jit_err cj_label_new(struct cj_builder *b, int *out)
{
    if (!b || !out) return JIT_ERR_INVALID_ARG;
    if (b->err) return b->err;
    uint32_t c1 = b->labels_cap, c2 = b->labels_cap;
    if (!cj_grow((void **)&b->labels, &c1, b->nlabels + 1, sizeof *b->labels) ||
        !cj_grow((void **)&b->label_line, &c2, b->nlabels + 1, sizeof *b->label_line))
        return cj_fail(b, JIT_ERR_NO_MEMORY);
    b->labels_cap = c1;
    b->labels[b->nlabels] = -1; /* unbound; -2: unbound and referenced */
    b->label_line[b->nlabels] = 0;
    *out = (int)b->nlabels++;
    return JIT_OK;
}

static int cj_reserve_slow(struct cj_builder *b, size_t need)
{
    size_t n = b->cap ? b->cap * 2 : 4096;
    while (n < need + CJ_SLACK) n *= 2;
    uint8_t *c = realloc(b->h.code, n);
    if (!c) return 0;
    b->h.code = c;
    uint8_t *d = realloc(b->data, n);
    if (!d) return 0;
    memset(d + b->cap, 0, n - b->cap);
    b->data = d;
    b->cap = n;
    cj_sync_fast(b);
    return 1;
}

static inline int cj_reserve(struct cj_builder *b, size_t need)
{
    return need + CJ_SLACK <= b->cap || cj_reserve_slow(b, need);
}

/* A label bound before any branch refers to it (labels[] still -1, not -2)
 * is a backward branch target, a loop head. Where the arch asks for it
 * (CJ_LOOP_ALIGN, x86: 32), it starts on that boundary (code is allocated
 * 64-aligned), padded with nops that run once on entry: a short loop then
 * sits in one fetch block instead of straddling two, which on this host
 * cost the billion-sum up to 1.7x. Forward targets are not padded. */
#ifndef CJ_LOOP_ALIGN
#  define CJ_LOOP_ALIGN 1
#endif
enum jit_err cj_label_bind(struct cj_builder *b, int label)
{
    if (!b) return JIT_ERR_INVALID_ARG;
    if (b->err) return b->err;
    if (label < 0 || (uint32_t)label >= b->nlabels || b->labels[label] >= 0) return cj_fail(b, JIT_ERR_INVALID_ARG);
    if (CJ_LOOP_ALIGN > 1 && b->labels[label] == -1) {
        size_t pad = (size_t)(0 - b->h.pos) & (CJ_LOOP_ALIGN - 1);
        if (pad) {
            if (!cj_reserve(b, b->h.pos + pad)) return cj_fail(b, JIT_ERR_NO_MEMORY);
            cj_fill_nops(b->h.code + b->h.pos, pad);
            b->h.pos += pad;
        }
    }
    b->labels[label] = (int32_t)b->h.pos;
    return JIT_OK;
}

static inline enum jit_err cj_add_fix(struct cj_builder *b, uint32_t pos, int32_t label)
{
    if (__builtin_expect(b->nfix == b->fix_cap, 0) && !cj_grow((void **)&b->fix, &b->fix_cap, b->nfix + 1, sizeof *b->fix))
        return cj_fail(b, JIT_ERR_NO_MEMORY);
    b->fix[b->nfix].pos = pos;
    b->fix[b->nfix].label = label;
    b->fix[b->nfix].line = CJ_LINE(b);
    b->nfix++;
    return JIT_OK;
}

static inline void cj_put(uint8_t *p, cj_word v) { memcpy(p, &v, sizeof v); }

static inline __attribute__((always_inline)) enum jit_err cj_emit_raw(struct cj_builder *b, int op, cj_word imm, int label)
{
    const struct cj_tmpl *t = &cj_tmpl[op];
    size_t pos = b->h.pos;
    if (t->nslots) {
        if (pos < b->data_min) pos = b->data_min;
        pos = (pos + (CJ_DATA_ALIGN - 1)) & ~(size_t)(CJ_DATA_ALIGN - 1);
    }
    size_t end = pos + t->size;
    size_t dend = pos + 8u * t->nslots;
    if (!cj_reserve(b, (end > dend ? end : dend))) return cj_fail(b, JIT_ERR_NO_MEMORY);
    if (__builtin_expect(b->h.nops == b->ops_cap, 0)) {
        if (!cj_grow((void **)&b->h.ops, &b->ops_cap, b->h.nops + 1, sizeof *b->h.ops))
            return cj_fail(b, JIT_ERR_NO_MEMORY);
        cj_sync_fast(b);
    }
    if (pos > b->h.pos) cj_fill_nops(b->h.code + b->h.pos, pos - b->h.pos);
    uint8_t *dst = b->h.code + pos;
    if (t->size <= 32) memcpy(dst, t->bytes, 32); /* fixed size: inlined; slack covers it */
    else memcpy(dst, t->bytes, t->size);
    struct cj__opmap *m = &b->h.ops[b->h.nops++];
    m->off_id = (uint64_t)pos | (uint64_t)(uint32_t)op << 32;
    if (t->nslots) {
        uint8_t *d = b->data + pos;
        if (t->flags & CJ_F_CALL) {
            cj_put(d, (cj_word)end); /* return address: the next op */
            if (cj_add_fix(b, (uint32_t)pos, -1)) return b->err;
        } else if (t->flags & CJ_F_IMM) {
            cj_put(d, imm);
        }
        if (t->flags & CJ_F_TARGET) {
            if (label < 0 || (uint32_t)label >= b->nlabels) return cj_fail(b, JIT_ERR_INVALID_ARG);
            if (!b->label_line[label]) b->label_line[label] = CJ_LINE(b);
            if (b->labels[label] == -1) b->labels[label] = -2; /* referenced before bound: a forward target */
            if (cj_add_fix(b, (uint32_t)(pos + 8u * (t->nslots - 1u)), label)) return b->err;
        }
        b->data_min = dend;
        if (dend > b->data_end) b->data_end = dend;
    }
    b->h.pos = end;
    return JIT_OK;
}

/* The general path: every check, any op, trace mode. cj_emit_reference is
 * what cj_emit was before its fast path (kept callable for the benchmark's
 * side-by-side figure and for the tests, which compare the two outputs). */
static enum jit_err cj_emit_slow(struct cj_builder *b, int op, cj_word imm, int label)
{
    if (!b) return JIT_ERR_INVALID_ARG;
    if (b->err) return b->err;
    if (op < 0 || op >= CJ_NUM_OPS) return cj_fail(b, JIT_ERR_INVALID_ARG);
    if (__builtin_expect(!cj_tmpl[op].ok, 0)) return cj_fail(b, JIT_ERR_UNSUPPORTED);
    if ((b->flags & CJ_BUILD_TRACE) && __builtin_expect(!cj_tmpl[CJ_OP_trace].ok, 0)) return cj_fail(b, JIT_ERR_UNSUPPORTED);
    if ((b->flags & CJ_BUILD_TRACE) && op != CJ_OP_trace && op != CJ_OP_empty) {
        enum jit_err e = cj_emit_raw(b, CJ_OP_trace, CJ_LINE(b), -1);
        if (e) return e;
    }
    return cj_emit_raw(b, op, imm, label);
}

enum jit_err cj_emit_reference(struct cj_builder *b, int op, cj_word imm, int label)
{
    return cj_emit_slow(b, op, imm, label);
}

/* cj_emit (copyjit.h) is inline: its fast path (an op without data slots
 * whose bytes fit the fixed 32-byte copy, in a builder with no error, no
 * trace, and room for the copy and the op map entry) runs in the caller.
 * Everything else comes here: the general path, any op, every check. */
enum jit_err cj_emit_general(struct cj_builder *b, int op, cj_word imm, int label)
{
    return cj_emit_slow(b, op, imm, label);
}

/* A run of ops in one call: the same result as cj_emit on each in turn
 * (stopping at the first error), but the position and the op count stay in
 * registers across the run instead of going through the builder in memory
 * after every op (on x86_64 that store-to-load round trip alone costs about
 * as much as the rest of cj_emit's fast path). */
enum jit_err cj_emit_n(struct cj_builder *b, const int *ops, const cj_word *imm, const int *label, size_t n)
{
    if (!b) return JIT_ERR_INVALID_ARG;
    if (n && !ops) return cj_fail(b, JIT_ERR_INVALID_ARG);
    size_t i = 0;
    while (i < n) {
        if (b->fast) {
            uint8_t *code = b->h.code;
            size_t pos = b->h.pos, ccap = b->cap;
            uint32_t nops = b->h.nops, cap = b->ops_cap;
            struct cj__opmap *m = b->h.ops;
            for (; i < n; i++) {
                unsigned op = (unsigned)ops[i];
                if (op >= (unsigned)CJ_NUM_OPS) break;
                const struct cj_tmpl *t = &cj_tmpl[op];
                if (!t->fast || nops == cap || pos + 32 + CJ_SLACK > ccap) break;
                memcpy(code + pos, t->bytes, 32); /* the slack covers the bytes past the op */
                m[nops].off_id = (uint64_t)pos | (uint64_t)op << 32;
                nops++;
                pos += t->size;
            }
            b->h.pos = pos;
            b->h.nops = nops;
            if (i == n) break;
        }
        enum jit_err e = cj_emit_slow(b, ops[i], imm ? imm[i] : 0, label ? label[i] : -1);
        if (e) return e;
        i++;
    }
    return b->err;
}

enum jit_err cj_emit_named(struct cj_builder *b, const char *name, cj_word imm, int label)
{
    int op;
    if (!b) return JIT_ERR_INVALID_ARG;
    if (b->err) return b->err;
    if (cj_op_find(name, &op)) return cj_fail(b, JIT_ERR_INVALID_ARG);
    return cj_emit(b, op, imm, label);
}

enum jit_err cj_builder_mem(struct cj_builder *b, uint32_t addr, cj_word value)
{
    if (!b) return JIT_ERR_INVALID_ARG;
    if (b->err) return b->err;
    if (!b->mem_init) {
        b->mem_init = calloc(CJ_MEM_WORDS, sizeof(cj_word));
        if (!b->mem_init) return cj_fail(b, JIT_ERR_NO_MEMORY);
    }
    b->mem_init[addr & (CJ_MEM_WORDS - 1)] = value;
    return JIT_OK;
}

enum jit_err cj_builder_finish(struct cj_builder *b, struct jit_execmem *mem, struct cj_program **out)
{
    if (!b || !mem || !out) return JIT_ERR_INVALID_ARG;
    *out = NULL;
    if (b->err) return b->err;
    /* Falling off the end halts (line 0 in traces). */
    uint32_t line = b->line, nops0 = b->h.nops;
    size_t pos0 = b->h.pos, dmin0 = b->data_min, dend0 = b->data_end;
    b->line = 0; /* the trace op before the halt (trace mode) records line 0 */
    enum jit_err e = cj_emit(b, CJ_OP_halt, 0, -1);
    b->line = line;
    if (e) return e;
    for (uint32_t i = 0; i < b->nfix; i++) {
        int32_t l = b->fix[i].label;
        if (l >= 0 && b->labels[l] < 0) return cj_fail(b, JIT_ERR_INVALID_ARG);
    }
    if (b->h.pos > CJ_DATA_DIST) return cj_fail(b, JIT_ERR_OUT_OF_RANGE);

    struct cj_program *p = calloc(1, sizeof *p);
    if (!p) return cj_fail(b, JIT_ERR_NO_MEMORY);
    p->nops = b->h.nops;
    p->op_off = malloc(b->h.nops * sizeof *p->op_off);
    p->op_line = malloc(b->h.nops * sizeof *p->op_line);
    p->op_id = malloc(b->h.nops * sizeof *p->op_id);
    if (!p->op_off || !p->op_line || !p->op_id) {
        cj_program_free(p);
        return cj_fail(b, JIT_ERR_NO_MEMORY);
    }
    uint32_t r = 0, cur = 0;
    for (uint32_t i = 0; i < b->h.nops; i++) {
        while (r < b->nruns && b->runs[r].op <= i) cur = b->runs[r++].line;
        p->op_off[i] = (uint32_t)b->h.ops[i].off_id;
        p->op_line[i] = i < nops0 ? cur : 0; /* the implicit halt: line 0 */
        p->op_id[i] = (uint16_t)(b->h.ops[i].off_id >> 32);
    }
    if (b->mem_init) {
        p->mem_init = malloc(CJ_MEM_WORDS * sizeof(cj_word));
        if (!p->mem_init) {
            cj_program_free(p);
            return cj_fail(b, JIT_ERR_NO_MEMORY);
        }
        memcpy(p->mem_init, b->mem_init, CJ_MEM_WORDS * sizeof(cj_word));
    }
    p->flags = b->flags;
    p->code_size = b->h.pos;
    size_t total = CJ_DATA_DIST + (b->data_end ? b->data_end : 8);
    e = jit_execmem_alloc(mem, total, 64, &p->code);
    if (e) {
        cj_program_free(p);
        return cj_fail(b, e);
    }
    p->mem = mem;
    e = jit_execmem_begin_write(mem, p->code.rx, total);
    if (e) {
        cj_program_free(p);
        return cj_fail(b, e);
    }
    uint8_t *rw = p->code.rw;
    uintptr_t rx = (uintptr_t)p->code.rx;
    memcpy(rw, b->h.code, b->h.pos);
    memcpy(rw + CJ_DATA_DIST, b->data, b->data_end);
    for (uint32_t i = 0; i < b->nfix; i++) {
        uint8_t *slot = rw + CJ_DATA_DIST + b->fix[i].pos;
        cj_word off;
        if (b->fix[i].label >= 0) off = (cj_word)b->labels[b->fix[i].label];
        else memcpy(&off, slot, sizeof off);
        cj_put(slot, (cj_word)(rx + (uintptr_t)off)); /* ARM-state ops: bit 0 clear */
    }
    e = jit_execmem_end_write(mem, p->code.rx, total);
    if (e) {
        cj_program_free(p);
        return cj_fail(b, e);
    }
    /* The builder stays usable: drop the implicit halt. */
    b->h.nops = nops0;
    b->h.pos = pos0;
    b->data_min = dmin0;
    b->data_end = dend0;
    *out = p;
    return JIT_OK;
}

void cj_program_free(struct cj_program *p)
{
    if (!p) return;
    if (p->mem && p->code.rx) jit_execmem_free(p->mem, p->code.rx);
    free(p->op_off);
    free(p->op_line);
    free(p->op_id);
    free(p->mem_init);
    free(p);
}

size_t cj_program_code_size(const struct cj_program *p) { return p ? p->code_size : 0; }
const void *cj_program_entry(const struct cj_program *p) { return p ? p->code.rx : NULL; }

int cj_program_find_op(const struct cj_program *p, size_t off, uint32_t *index)
{
    if (!p || p->nops == 0 || off >= p->code_size) return -1;
    uint32_t lo = 0, hi = p->nops; /* last op with op_off <= off */
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (p->op_off[mid] <= off) lo = mid;
        else hi = mid;
    }
    /* Skip zero-size ops sharing the offset: the fault is in the next real one. */
    while (lo + 1 < p->nops && p->op_off[lo + 1] == p->op_off[lo] && p->op_off[lo + 1] <= off) lo++;
    if (index) *index = lo;
    return p->op_id[lo];
}
