/* text.c: the program text format (docs/copyjit.md), parsed into a builder.
 * src/copyjit/parse.ts implements the same grammar for the reference. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cj_internal.h"

struct cj_lbl {
    char name[64];
    int id;
    int bound;
    uint32_t first_use;
};

struct cj_pstate {
    struct cj_builder *b;
    struct cj_parse_error *err;
    uint32_t line;
    struct cj_lbl *lbl;
    size_t nlbl, cap;
};

static enum jit_err cj_perr(struct cj_pstate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static enum jit_err cj_perr(struct cj_pstate *s, const char *fmt, ...)
{
    if (s->err) {
        va_list ap;
        va_start(ap, fmt);
        s->err->line = s->line;
        vsnprintf(s->err->msg, sizeof s->err->msg, fmt, ap);
        va_end(ap);
    }
    return JIT_ERR_INVALID_ARG;
}

static int cj_is_id0(int c) { return isalpha(c) || c == '_'; }
static int cj_is_id(int c) { return isalnum(c) || c == '_' || c == '.'; }

static int cj_reg(const char *t)
{
    if (t[0] && !t[1]) {
        switch (t[0]) {
        case 'a': return 'a';
        case 'x': return 'x';
        case 'y': return 'y';
        case 'o': return 'o';
        }
    }
    return 0;
}

/* Decimal or 0x hex with an optional '-', as a 64-bit two's complement word. */
static int cj_int(const char *t, cj_word *out)
{
    int neg = 0;
    if (*t == '-') {
        neg = 1;
        t++;
    }
    if (!*t) return 0;
    cj_word v = 0;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        t += 2;
        if (!*t || strlen(t) > 16) return 0;
        for (; *t; t++) {
            int d;
            if (*t >= '0' && *t <= '9') d = *t - '0';
            else if (*t >= 'a' && *t <= 'f') d = *t - 'a' + 10;
            else if (*t >= 'A' && *t <= 'F') d = *t - 'A' + 10;
            else return 0;
            v = v * 16 + (cj_word)d;
        }
    } else {
        for (; *t; t++) {
            if (*t < '0' || *t > '9') return 0;
            cj_word d = (cj_word)(*t - '0');
            /* No 64-bit division: it is a libgcc call on 32-bit targets. */
            if (v > 1844674407370955161ull || (v == 1844674407370955161ull && d > 5)) return 0;
            v = v * 10 + d;
        }
    }
    if (neg) {
        if (v > ((cj_word)1 << 63)) return 0;
        v = (cj_word)0 - v;
    }
    *out = v;
    return 1;
}

static int cj_ident(const char *t)
{
    if (!cj_is_id0((unsigned char)*t)) return 0;
    for (t++; *t; t++)
        if (!cj_is_id((unsigned char)*t)) return 0;
    return 1;
}

static enum jit_err cj_label_ref(struct cj_pstate *s, const char *name, int bind, int *id)
{
    if (!cj_ident(name) || cj_reg(name) || strlen(name) >= sizeof s->lbl[0].name)
        return cj_perr(s, "bad label name '%s'", name);
    for (size_t i = 0; i < s->nlbl; i++) {
        if (strcmp(s->lbl[i].name, name) == 0) {
            if (bind) {
                if (s->lbl[i].bound) return cj_perr(s, "duplicate label '%s'", name);
                s->lbl[i].bound = 1;
                enum jit_err e = cj_label_bind(s->b, s->lbl[i].id);
                if (e) return e;
            }
            *id = s->lbl[i].id;
            return JIT_OK;
        }
    }
    if (s->nlbl == s->cap) {
        size_t n = s->cap ? s->cap * 2 : 32;
        struct cj_lbl *q = realloc(s->lbl, n * sizeof *q);
        if (!q) return JIT_ERR_NO_MEMORY;
        s->lbl = q;
        s->cap = n;
    }
    struct cj_lbl *l = &s->lbl[s->nlbl++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->bound = bind;
    l->first_use = s->line;
    enum jit_err e = cj_label_new(s->b, &l->id);
    if (e) return e;
    if (bind && (e = cj_label_bind(s->b, l->id))) return e;
    *id = l->id;
    return JIT_OK;
}

/* [r], [r+n], [r-n] */
static int cj_memop(char *t, int *reg, cj_word *off)
{
    size_t n = strlen(t);
    if (n < 3 || t[0] != '[' || t[n - 1] != ']') return 0;
    t[n - 1] = 0;
    t++;
    while (isspace((unsigned char)*t)) t++;
    if (!cj_reg((char[]){t[0], 0}) || (t[1] && !isspace((unsigned char)t[1]) && t[1] != '+' && t[1] != '-')) return 0;
    *reg = t[0];
    t++;
    while (isspace((unsigned char)*t)) t++;
    *off = 0;
    if (!*t) return 1;
    int neg = *t == '-';
    if (*t != '+' && *t != '-') return 0;
    t++;
    while (isspace((unsigned char)*t)) t++;
    char *e = t + strlen(t);
    while (e > t && isspace((unsigned char)e[-1])) *--e = 0;
    if (*t == '-' || !cj_int(t, off)) return 0;
    if (neg) *off = (cj_word)0 - *off;
    return 1;
}

static char *cj_trim(char *t)
{
    while (isspace((unsigned char)*t)) t++;
    char *e = t + strlen(t);
    while (e > t && isspace((unsigned char)e[-1])) *--e = 0;
    return t;
}

static int cj_in(const char *m, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(m, *list) == 0) return 1;
    return 0;
}

static const char *const cj_alu[] = {"mov", "add", "sub", "mul", "and", "or", "xor", "shl", "shr", "sar",
                                     "divu", "remu", "slt", "sltu", "seq", "sne", NULL};
static const char *const cj_br[] = {"beq", "bne", "blt", "bge", "bltu", "bgeu", NULL};

static enum jit_err cj_emit_op(struct cj_pstate *s, const char *name, cj_word imm, int label)
{
    int op;
    if (cj_op_find(name, &op)) return cj_perr(s, "no template '%s'", name);
    return cj_emit(s->b, op, imm, label);
}

#define CJ_MAX_OPERANDS 64

static enum jit_err cj_parse_line(struct cj_pstate *s, char *t)
{
    /* label: */
    char *p = t;
    if (cj_is_id0((unsigned char)*p)) {
        while (cj_is_id((unsigned char)*p)) p++;
        if (*p == ':') {
            *p = 0;
            int id;
            enum jit_err e = cj_label_ref(s, t, 1, &id);
            if (e) return e;
            t = cj_trim(p + 1);
            if (!*t) return JIT_OK;
        }
    }
    /* mnemonic */
    char mn[16];
    size_t k = 0;
    p = t;
    if (*p == '.') p++;
    while (cj_is_id((unsigned char)*p)) p++;
    if (p == t || (size_t)(p - t) >= sizeof mn) return cj_perr(s, "expected an instruction");
    k = (size_t)(p - t);
    memcpy(mn, t, k);
    mn[k] = 0;
    if (*p && !isspace((unsigned char)*p)) return cj_perr(s, "unexpected '%c' after '%s'", *p, mn);
    char *rest = cj_trim(p);
    char *opnd[CJ_MAX_OPERANDS];
    int n = 0;
    if (*rest) {
        char *q = rest;
        for (;;) {
            char *c = strchr(q, ',');
            if (c) *c = 0;
            if (n == CJ_MAX_OPERANDS) return cj_perr(s, "too many operands");
            opnd[n] = cj_trim(q);
            if (!*opnd[n]) return cj_perr(s, "empty operand");
            n++;
            if (!c) break;
            q = c + 1;
        }
    }
    cj_builder_set_line(s->b, s->line);
    char name[32];
    cj_word v;
    int r, r2, id;

    if (strcmp(mn, ".mem") == 0) {
        if (n < 2) return cj_perr(s, ".mem needs an address and at least one value");
        if (!cj_int(opnd[0], &v) || v >= CJ_MEM_WORDS) return cj_perr(s, "bad .mem address '%s'", opnd[0]);
        uint32_t addr = (uint32_t)v;
        for (int i = 1; i < n; i++) {
            if (!cj_int(opnd[i], &v)) return cj_perr(s, "bad integer '%s'", opnd[i]);
            enum jit_err e = cj_builder_mem(s->b, addr + (uint32_t)i - 1, v);
            if (e) return e;
        }
        return JIT_OK;
    }
    if (cj_in(mn, cj_alu)) {
        if (n != 2) return cj_perr(s, "%s takes 2 operands", mn);
        if (!(r = cj_reg(opnd[0]))) return cj_perr(s, "%s: first operand must be a register", mn);
        if ((r2 = cj_reg(opnd[1]))) {
            snprintf(name, sizeof name, "%s_%c_%c", mn, r, r2);
            return cj_emit_op(s, name, 0, -1);
        }
        if (!cj_int(opnd[1], &v)) return cj_perr(s, "%s: bad operand '%s'", mn, opnd[1]);
        snprintf(name, sizeof name, "%s_%c_i", mn, r);
        return cj_emit_op(s, name, v, -1);
    }
    if (strcmp(mn, "not") == 0 || strcmp(mn, "neg") == 0 || strcmp(mn, "pop") == 0 ||
        strcmp(mn, "push") == 0 || strcmp(mn, "out") == 0) {
        if (n != 1) return cj_perr(s, "%s takes 1 operand", mn);
        if ((r = cj_reg(opnd[0]))) {
            snprintf(name, sizeof name, "%s_%c", mn, r);
            return cj_emit_op(s, name, 0, -1);
        }
        if ((strcmp(mn, "push") == 0 || strcmp(mn, "out") == 0) && cj_int(opnd[0], &v)) {
            snprintf(name, sizeof name, "%s_i", mn);
            return cj_emit_op(s, name, v, -1);
        }
        return cj_perr(s, "%s: bad operand '%s'", mn, opnd[0]);
    }
    if (strcmp(mn, "ld") == 0) {
        if (n != 2) return cj_perr(s, "ld takes 2 operands");
        if (!(r = cj_reg(opnd[0]))) return cj_perr(s, "ld: first operand must be a register");
        if (!cj_memop(opnd[1], &r2, &v)) return cj_perr(s, "ld: bad memory operand '%s'", opnd[1]);
        snprintf(name, sizeof name, "ld_%c_%c", r, r2);
        return cj_emit_op(s, name, v, -1);
    }
    if (strcmp(mn, "st") == 0) {
        if (n != 2) return cj_perr(s, "st takes 2 operands");
        if (!cj_memop(opnd[0], &r2, &v)) return cj_perr(s, "st: bad memory operand '%s'", opnd[0]);
        if (!(r = cj_reg(opnd[1]))) return cj_perr(s, "st: second operand must be a register");
        snprintf(name, sizeof name, "st_%c_%c", r2, r);
        return cj_emit_op(s, name, v, -1);
    }
    if (cj_in(mn, cj_br)) {
        if (n != 3) return cj_perr(s, "%s takes 3 operands", mn);
        if (!(r = cj_reg(opnd[0]))) return cj_perr(s, "%s: first operand must be a register", mn);
        enum jit_err e = cj_label_ref(s, opnd[2], 0, &id);
        if (e) return e;
        if ((r2 = cj_reg(opnd[1]))) {
            snprintf(name, sizeof name, "%s_%c_%c", mn, r, r2);
            return cj_emit_op(s, name, 0, id);
        }
        if (!cj_int(opnd[1], &v)) return cj_perr(s, "%s: bad operand '%s'", mn, opnd[1]);
        snprintf(name, sizeof name, "%s_%c_i", mn, r);
        return cj_emit_op(s, name, v, id);
    }
    if (strcmp(mn, "jmp") == 0 || strcmp(mn, "call") == 0) {
        if (n != 1) return cj_perr(s, "%s takes a label", mn);
        enum jit_err e = cj_label_ref(s, opnd[0], 0, &id);
        if (e) return e;
        return cj_emit_op(s, mn, 0, id);
    }
    if (strcmp(mn, "ret") == 0 || strcmp(mn, "halt") == 0 || strcmp(mn, "trap") == 0) {
        if (n != 0) return cj_perr(s, "%s takes no operands", mn);
        return cj_emit_op(s, mn, 0, -1);
    }
    return cj_perr(s, "unknown instruction '%s'", mn);
}

enum jit_err cj_parse(struct cj_builder *b, const char *text, size_t len, struct cj_parse_error *err)
{
    if (!b || (!text && len)) return JIT_ERR_INVALID_ARG;
    if (err) {
        err->line = 0;
        err->msg[0] = 0;
    }
    enum jit_err e = cj_builder_error(b);
    if (e) return e;
    struct cj_pstate s = {.b = b, .err = err};
    char *buf = NULL;
    size_t bcap = 0, i = 0;
    while (i < len && !e) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        size_t n = j - i;
        if (n + 1 > bcap) {
            bcap = n + 64;
            char *q = realloc(buf, bcap);
            if (!q) {
                e = JIT_ERR_NO_MEMORY;
                break;
            }
            buf = q;
        }
        memcpy(buf, text + i, n);
        buf[n] = 0;
        s.line++;
        for (char *c = buf; *c; c++) {
            if (*c == '#' || *c == ';' || *c == '\r') {
                *c = 0;
                break;
            }
        }
        char *t = cj_trim(buf);
        if (*t) e = cj_parse_line(&s, t);
        if (!e && (e = cj_builder_error(b)) && err && !err->msg[0]) {
            err->line = s.line;
            snprintf(err->msg, sizeof err->msg, "builder: %s", jit_err_str(e));
        }
        i = j + 1;
    }
    if (!e) {
        for (size_t k = 0; k < s.nlbl; k++) {
            if (!s.lbl[k].bound) {
                s.line = s.lbl[k].first_use;
                e = cj_perr(&s, "undefined label '%s'", s.lbl[k].name);
                break;
            }
        }
    }
    free(buf);
    free(s.lbl);
    return e;
}
