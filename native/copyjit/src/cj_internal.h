/* cj_internal.h: shared by the copyjit runtime files (not the templates). */
#ifndef CJ_INTERNAL_H
#define CJ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cj_vm.h"
#include "copyjit.h"
#include "ops.def"

enum {
#define CJ__ENUM(name, ns, fl) CJ_OP_##name,
    CJ_OPS(CJ__ENUM)
#undef CJ__ENUM
    CJ_NUM_OPS
};

/* struct cj_tmpl and the cj_tmpl table are in copyjit.h (cj_emit's inline
 * fast path reads them). */

struct cj_program {
    struct jit_execmem *mem;
    struct jit_code code;   /* code at rx, data at rx + CJ_DATA_DIST */
    size_t code_size;
    uint32_t nops;
    uint32_t *op_off;       /* code offset of each op */
    uint16_t *op_id;        /* template of each op */
    uint32_t *op_line;      /* source line of each op */
    cj_word *mem_init;      /* CJ_MEM_WORDS initial memory, or NULL for zeros */
    uint32_t flags;
};

/* cj_emit without its fast path (the code before it): the benchmark's
 * before/after figure and the tests' cross-check use it. */
enum jit_err cj_emit_reference(struct cj_builder *b, int op, cj_word imm, int label);

/* The CJ_NOP_WORD padding of `n` bytes (n a multiple of CJ_NOP_SIZE). */
void cj_fill_nops(uint8_t *dst, size_t n);
/* Per-op lookup for crash triage: the op containing code offset `off`. */
int cj_program_find_op(const struct cj_program *p, size_t off, uint32_t *index);

#endif
