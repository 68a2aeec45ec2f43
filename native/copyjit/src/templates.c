/* templates.c: find each op's bytes between its symbol and its end symbol,
 * drop the trailing jump to "next" by byte comparison with the empty op, and
 * prove the result can be copied anywhere:
 *   A vs C (same op, same layout, linked at another address): any differing
 *     byte is position-dependent (a PC-relative reference out of the op, or
 *     an absolute one into it) and would need patching: the op fails.
 *   A vs B (B's end symbol sits CJ_GAP bytes further): bytes that differ
 *     outside the trailing jump reference "next" from inside the op, so the
 *     jump cannot be dropped (the op is kept whole, still correct).
 */
#include <stdio.h>
#include <string.h>

#include "cj_internal.h"

#define CJ_GAP 64 /* keep in sync with ops.ld.in */

#define CJ__DECL(name, ns, fl)                                                    \
    extern const uint8_t cjA_##name[], cjAe_##name[], cjB_##name[], cjBe_##name[], \
        cjC_##name[], cjCe_##name[];
CJ_OPS(CJ__DECL)
#undef CJ__DECL
extern const int cj_ops_thumb_A;

struct cj_raw {
    const char *name;
    const uint8_t *a, *ae, *b, *be, *c, *ce;
    uint8_t nslots, flags;
};

static const struct cj_raw cj_raw[CJ_NUM_OPS] = {
#define CJ__RAW(name, ns, fl) {#name, cjA_##name, cjAe_##name, cjB_##name, cjBe_##name, cjC_##name, cjCe_##name, ns, fl},
    CJ_OPS(CJ__RAW)
#undef CJ__RAW
};

_Static_assert(CJ__NUM_OPS == CJ_NUM_OPS, "CJ__NUM_OPS in copyjit.h must be the op count of ops.def");
struct cj_tmpl cj_tmpl[CJ__NUM_OPS];
struct cj__fast_tmpl cj__fast[CJ__NUM_OPS]; /* before cj_init: all 0, never read (cj_builder_create inits) */
static struct cj_op_info cj_info[CJ_NUM_OPS];
static int cj_inited;
static enum jit_err cj_init_result;

/* ARM-state templates on arm are plain addresses; strip a Thumb bit if the
 * symbol carries one (never expected: ops are built with -marm). */
static const uint8_t *cj_addr(const uint8_t *p)
{
    return (const uint8_t *)((uintptr_t)p & ~(uintptr_t)(cj_ops_thumb_A ? 1 : 0));
}

static void cj_check_one(int i, const uint8_t *ea, size_t esz, const uint8_t *eb)
{
    const struct cj_raw *r = &cj_raw[i];
    struct cj_op_info *inf = &cj_info[i];
    const uint8_t *a = cj_addr(CJ_CODE_ADDR(r->a)), *b = cj_addr(CJ_CODE_ADDR(r->b)),
                  *c = cj_addr(CJ_CODE_ADDR(r->c));
    size_t na = (size_t)(cj_addr(r->ae) - a);
    size_t nb = (size_t)(cj_addr(r->be) - b);
    size_t nc = (size_t)(cj_addr(r->ce) - c);

    memset(inf, 0, sizeof *inf);
    inf->name = r->name;
    inf->raw_size = (uint32_t)na;
    inf->size = (uint32_t)na;
    inf->nslots = r->nslots;
    inf->flags = r->flags;
    cj_tmpl[i].bytes = a;
    cj_tmpl[i].size = (uint16_t)(na < 0xffff ? na : 0xffff);
    cj_tmpl[i].nslots = r->nslots;
    cj_tmpl[i].flags = r->flags;

    if (nb < CJ_GAP || nb - CJ_GAP != na || nc != na) {
        snprintf(inf->why, sizeof inf->why, "variants differ in size (A %zu, B %zu, C %zu): not the same code",
                 na, nb >= CJ_GAP ? nb - CJ_GAP : 0, nc);
        return;
    }
    if (na == 0 || na > CJ_MAX_OP_SIZE) {
        snprintf(inf->why, sizeof inf->why, "size %zu outside 1..%u", na, CJ_MAX_OP_SIZE);
        return;
    }
    for (size_t k = 0; k < na; k++) {
        if (a[k] != c[k]) {
            snprintf(inf->why, sizeof inf->why,
                     "position-dependent bytes at +0x%zx (a relocation that would need patching)", k);
            return;
        }
    }
    int term = (r->flags & (CJ_F_TERM | CJ_F_NOFALL)) != 0;
    size_t body = na;
    int tail = !term && na >= esz && memcmp(a + na - esz, ea, esz) == 0 && memcmp(b + na - esz, eb, esz) == 0;
    if (tail) body = na - esz;
    size_t diff = body;
    for (size_t k = 0; k < body; k++) {
        if (a[k] != b[k]) {
            diff = k;
            break;
        }
    }
    if (term) {
        if (diff != body) {
            snprintf(inf->why, sizeof inf->why, "terminal op references next at +0x%zx", diff);
            return;
        }
    } else if (tail && diff == body) {
        inf->stripped = 1;
        inf->size = (uint32_t)body;
        cj_tmpl[i].size = (uint16_t)body;
    } else if (diff != body) {
        /* next is referenced inside the op (e.g. a conditional tail call):
         * the jump stays, the op is still position-free. */
        snprintf(inf->why, sizeof inf->why, "tail jump kept: next referenced at +0x%zx%s", diff,
                 tail ? "" : " (no trailing jump)");
    } else if (r->flags & CJ_F_TARGET) {
        /* e.g. beq a, a: the compiler proved it always branches. */
        snprintf(inf->why, sizeof inf->why, "never falls through (always branches)");
    } else {
        snprintf(inf->why, sizeof inf->why, "no tail jump to the next op found (not a tail call?)");
        return;
    }
    inf->ok = 1;
    cj_tmpl[i].ok = 1;
}

enum jit_err cj_init(void)
{
    if (cj_inited) return cj_init_result;
    const struct cj_raw *e = &cj_raw[CJ_OP_empty];
    const uint8_t *ea = cj_addr(CJ_CODE_ADDR(e->a)), *eb = cj_addr(CJ_CODE_ADDR(e->b));
    size_t esz = (size_t)(cj_addr(e->ae) - ea);
    enum jit_err res = JIT_OK;
    for (int i = 0; i < CJ_NUM_OPS; i++) {
        cj_check_one(i, ea, esz, eb);
        if (!cj_info[i].ok) res = JIT_ERR_UNSUPPORTED;
    }
    /* The empty op must reduce to nothing, or the reference is wrong. */
    if (!cj_info[CJ_OP_empty].stripped || cj_info[CJ_OP_empty].size != 0) {
        cj_info[CJ_OP_empty].ok = 0;
        cj_tmpl[CJ_OP_empty].ok = 0;
        snprintf(cj_info[CJ_OP_empty].why, sizeof cj_info[CJ_OP_empty].why,
                 "the empty op is not just a jump (%u bytes left)", cj_info[CJ_OP_empty].size);
        res = JIT_ERR_UNSUPPORTED;
    }
    for (int i = 0; i < CJ_NUM_OPS; i++) {
        cj_tmpl[i].fast = cj_tmpl[i].ok && cj_tmpl[i].nslots == 0 && cj_tmpl[i].size <= 32;
        cj__fast[i].bytes = cj_tmpl[i].bytes;
        cj__fast[i].fsize = cj_tmpl[i].fast ? cj_tmpl[i].size : CJ__NOT_FAST;
    }
    cj_init_result = res;
    cj_inited = 1;
    return res;
}

int cj_op_count(void) { return CJ_NUM_OPS; }

enum jit_err cj_op_get(int op, struct cj_op_info *out)
{
    if (op < 0 || op >= CJ_NUM_OPS || !out) return JIT_ERR_INVALID_ARG;
    cj_init();
    *out = cj_info[op];
    return JIT_OK;
}

enum jit_err cj_op_find(const char *name, int *out)
{
    if (!name || !out) return JIT_ERR_INVALID_ARG;
    for (int i = 0; i < CJ_NUM_OPS; i++) {
        if (strcmp(cj_raw[i].name, name) == 0) {
            *out = i;
            return JIT_OK;
        }
    }
    return JIT_ERR_INVALID_ARG;
}

const char *cj_arch_desc(void)
{
    return CJ_ARCH_DESC();
}

void cj_fill_nops(uint8_t *dst, size_t n)
{
#if defined(CJ_NOP_X86_LONG)
    /* The multi-byte nops of the x86 manuals (0f 1f /0 with a 66 prefix for
     * the odd lengths): fewer instructions where the padding runs. */
    static const uint8_t nops[9][9] = {
        {0x90},
        {0x66, 0x90},
        {0x0f, 0x1f, 0x00},
        {0x0f, 0x1f, 0x40, 0x00},
        {0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
        {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
    };
    while (n) {
        size_t k = n < 9 ? n : 9;
        memcpy(dst, nops[k - 1], k);
        dst += k;
        n -= k;
    }
#elif CJ_NOP_SIZE == 1
    memset(dst, (int)CJ_NOP_WORD, n);
#elif CJ_NOP_SIZE == 2
    uint16_t w = CJ_NOP_WORD;
    for (size_t k = 0; k + 2 <= n; k += 2) memcpy(dst + k, &w, 2);
#else
    uint32_t w = CJ_NOP_WORD;
    for (size_t k = 0; k + 4 <= n; k += 4) memcpy(dst + k, &w, 4);
#endif
}
