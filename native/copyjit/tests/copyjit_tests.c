/* copyjit_tests: builder, text format, op semantics, traces, crash triage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cj_internal.h"
#include "cj_tools.h"
#include "copyjit.h"
#include "tap.h"

static struct jit_execmem *mem(void)
{
    static struct jit_execmem *m;
    if (!m) {
        struct jit_execmem_params p;
        memset(&p, 0, sizeof p);
        if (jit_execmem_create(&p, &m)) return NULL;
    }
    return m;
}

static cj_word outv[4096];

/* Parse, build, run; returns the status (or -1 on a build error). */
static int run_text(const char *text, uint32_t flags, struct cj_run *r, struct cj_parse_error *pe)
{
    struct cj_builder *b;
    struct cj_builder_params bp = {.flags = flags};
    if (cj_builder_create(&bp, &b)) return -1;
    struct cj_parse_error local;
    if (!pe) pe = &local;
    struct cj_program *p = NULL;
    enum jit_err e = cj_parse(b, text, strlen(text), pe);
    if (!e) e = cj_builder_finish(b, mem(), &p);
    cj_builder_destroy(b);
    if (e) return -1;
    memset(r, 0, sizeof *r);
    r->out = outv;
    r->out_cap = 4096;
    r->timeout_s = 30;
    if (flags & CJ_BUILD_TRACE) {
        r->trace_cap = 4096;
        r->trace = calloc(r->trace_cap, sizeof *r->trace);
    }
    cj_program_run(p, r);
    cj_program_free(p);
    return (int)r->status;
}

TAP_CASE(templates_pass_static_checks)
{
    TAP_CHECK_EQ(cj_init(), JIT_OK);
    struct cj_op_info inf;
    int empty;
    TAP_CHECK_EQ(cj_op_find("empty", &empty), JIT_OK);
    cj_op_get(empty, &inf);
    TAP_CHECKF(inf.stripped && inf.size == 0, "empty op: stripped=%d size=%u", inf.stripped, inf.size);
    int stripped = 0;
    for (int i = 0; i < cj_op_count(); i++) {
        cj_op_get(i, &inf);
        TAP_CHECKF(inf.ok, "%s: %s", inf.name, inf.why);
        stripped += inf.stripped;
    }
    /* Most straight-line ops must lose their trailing jump. */
    TAP_CHECKF(stripped > cj_op_count() / 2, "only %d of %d ops tail-stripped", stripped, cj_op_count());
}

TAP_CASE(templates_do_not_grow_native_stack)
{
    for (int i = 0; i < cj_op_count(); i++) {
        int ok = 0;
        char why[200] = "";
        TAP_CHECK_EQ(cj_check_op_stack(mem(), i, &ok, why, sizeof why), JIT_OK);
        struct cj_op_info inf;
        cj_op_get(i, &inf);
        TAP_CHECKF(ok, "%s: %s", inf.name, why);
    }
}

TAP_CASE(builder_api_emits_and_runs)
{
    struct cj_builder *b;
    TAP_CHECK_EQ(cj_builder_create(NULL, &b), JIT_OK);
    int loop;
    cj_emit_named(b, "mov_a_i", 0, -1);
    cj_emit_named(b, "mov_x_i", 1, -1);
    cj_label_new(b, &loop);
    cj_label_bind(b, loop);
    cj_emit_named(b, "add_a_x", 0, -1);
    cj_emit_named(b, "add_x_i", 1, -1);
    cj_emit_named(b, "bgeu_i_x", 0, loop); /* no such template: sticky error */
    TAP_CHECK(cj_builder_error(b) != JIT_OK);
    TAP_CHECK(cj_emit_named(b, "halt", 0, -1) != JIT_OK);
    cj_builder_reset(b);
    TAP_CHECK_EQ(cj_builder_error(b), JIT_OK);
    cj_emit_named(b, "mov_a_i", 0, -1);
    cj_emit_named(b, "mov_x_i", 1, -1);
    cj_label_new(b, &loop);
    cj_label_bind(b, loop);
    cj_emit_named(b, "add_a_x", 0, -1);
    cj_emit_named(b, "add_x_i", 1, -1);
    cj_emit_named(b, "bltu_x_i", 101, loop);
    cj_emit_named(b, "halt", 0, -1);
    TAP_CHECK_EQ(cj_builder_error(b), JIT_OK);
    struct cj_program *p = NULL, *p2 = NULL;
    TAP_CHECK_EQ(cj_builder_finish(b, mem(), &p), JIT_OK);
    /* The builder stays usable: a second program from the same ops. */
    TAP_CHECK_EQ(cj_builder_finish(b, mem(), &p2), JIT_OK);
    cj_builder_destroy(b);
    struct cj_run r;
    memset(&r, 0, sizeof r);
    TAP_CHECK_EQ(cj_program_run(p, &r), JIT_OK);
    TAP_CHECK_EQ(r.status, CJ_STATUS_HALT);
    TAP_CHECK_EQ(r.ra, 5050);
    memset(&r, 0, sizeof r);
    TAP_CHECK_EQ(cj_program_run(p2, &r), JIT_OK);
    TAP_CHECK_EQ(r.ra, 5050);
    cj_program_free(p);
    cj_program_free(p2);
}

TAP_CASE(parse_errors_name_the_line)
{
    static const struct {
        const char *text;
        unsigned line;
        const char *msg;
    } cases[] = {
        {"mov a, 1\nfoo a\n", 2, "unknown instruction"},
        {"add a\n", 1, "takes 2 operands"},
        {"add 1, a\n", 1, "must be a register"},
        {"\n\njmp nowhere\n", 3, "undefined label"},
        {"l:\nl:\n", 2, "duplicate label"},
        {"mov a, 18446744073709551616\n", 1, "bad operand"},
        {"mov a, -9223372036854775809\n", 1, "bad operand"},
        {"ld a, [q+1]\n", 1, "bad memory operand"},
        {"st [a+1], 5\n", 1, "must be a register"},
        {"beq a, x\n", 1, "takes 3 operands"},
        {"push a,\n", 1, "empty operand"},
        {"ret a\n", 1, "no operands"},
        {".mem 4096, 1\n", 1, "bad .mem address"},
        {"x: halt\n", 1, "bad label name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cj_builder *b;
        cj_builder_create(NULL, &b);
        struct cj_parse_error pe;
        enum jit_err e = cj_parse(b, cases[i].text, strlen(cases[i].text), &pe);
        TAP_CHECKF(e != JIT_OK, "case %zu parsed", i);
        TAP_CHECKF(pe.line == cases[i].line, "case %zu: line %u, want %u (%s)", i, pe.line, cases[i].line, pe.msg);
        TAP_CHECKF(strstr(pe.msg, cases[i].msg) != NULL, "case %zu: '%s' lacks '%s'", i, pe.msg, cases[i].msg);
        cj_builder_destroy(b);
    }
}

TAP_CASE(parse_accepts_every_form)
{
    const char *text =
        "  # comment\n"
        "start:  mov a, 0x10   ; trailing comment\n"
        "        mov x, -1\n"
        "        add a, x\n"             /* 15 */
        "        sub a, 5\n"             /* 10 */
        "        mov y, a\n"
        "        st [y+3], a\n"          /* mem[13] = 10 */
        "        ld o, [ y + 3 ]\n"      /* o = 10 */
        "        ld x, [a-0]\n"
        "        push o\n        push 7\n        pop y\n        pop x\n" /* y=7, x=10 */
        "        not a\n        neg a\n"  /* a = 11 */
        "        out a\n        out 42\n        out y\n        out x\n"
        "        beq a, 11, L1\n        trap\n"
        "L1:     bne a, x, L2\n        trap\n"
        "L2:     call f\n        out o\n        halt\n"
        "f:      mov o, 99\n        ret\n"
        ".mem 100, 1, 2, 3\n";
    struct cj_run r;
    int st = run_text(text, 0, &r, NULL);
    TAP_CHECK_EQ(st, CJ_STATUS_HALT);
    TAP_CHECK_EQ(r.out_n, 5);
    TAP_CHECK_EQ(outv[0], 11);
    TAP_CHECK_EQ(outv[1], 42);
    TAP_CHECK_EQ(outv[2], 7);
    TAP_CHECK_EQ(outv[3], 10);
    TAP_CHECK_EQ(outv[4], 99);
    free(r.trace);
}

TAP_CASE(alu_semantics_64bit)
{
    const char *text =
        "mov a, 0xffffffffffffffff\nadd a, 1\nout a\n"            /* 0 wrap */
        "mov a, 0x8000000000000000\nsub a, 1\nout a\n"            /* 0x7fff... */
        "mov a, 0x100000001\nmul a, 0x100000001\nout a\n"         /* 0x200000001 */
        "mov a, 1\nshl a, 65\nout a\n"                            /* shift masked: 2 */
        "mov a, -8\nsar a, 1\nout a\n"                            /* -4 */
        "mov a, -8\nshr a, 60\nout a\n"                           /* 15 */
        "mov a, 100\ndivu a, 7\nout a\n"                          /* 14 */
        "mov a, 100\nremu a, 7\nout a\n"                          /* 2 */
        "mov a, 100\ndivu a, 0\nout a\n"                          /* 0 */
        "mov a, 100\nremu a, 0\nout a\n"                          /* 100 */
        "mov a, -1\nslt a, 0\nout a\n"                            /* 1 */
        "mov a, -1\nsltu a, 0\nout a\n"                           /* 0 */
        "mov a, 0xf0\nand a, 0x3c\nor a, 1\nxor a, 0xff\nout a\n" /* 0xce */
        "mov a, 0xffffffff00000000\ndivu a, 0x100000000\nout a\n" /* 0xffffffff */
        "mov a, 5\nseq a, 5\nout a\nmov a, 5\nsne a, 5\nout a\n";
    static const cj_word want[] = {0, 0x7fffffffffffffffull, 0x200000001ull, 2, (cj_word)-4, 15, 14, 2, 0, 100, 1, 0,
                                   0xce, 0xffffffffull, 1, 0};
    struct cj_run r;
    TAP_CHECK_EQ(run_text(text, 0, &r, NULL), CJ_STATUS_HALT);
    TAP_CHECK_EQ(r.out_n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        TAP_CHECKF(outv[i] == want[i], "out[%zu] = %llx, want %llx", i, (unsigned long long)outv[i],
                   (unsigned long long)want[i]);
}

TAP_CASE(branches_signed_and_unsigned)
{
    const char *text =
        "mov a, -1\nmov x, 1\n"
        "blt a, x, t1\nout 0\nt1: out 1\n"
        "bltu a, x, t2\nout 2\nt2: out 3\n"
        "bge x, a, t3\nout 4\nt3: out 5\n"
        "bgeu x, a, t4\nout 6\nt4: out 7\n"
        "bne a, -1, t5\nout 8\nt5: out 9\n";
    static const cj_word want[] = {1, 2, 3, 5, 6, 7, 8, 9};
    struct cj_run r;
    TAP_CHECK_EQ(run_text(text, 0, &r, NULL), CJ_STATUS_HALT);
    TAP_CHECK_EQ(r.out_n, 8);
    for (size_t i = 0; i < 8; i++) TAP_CHECKF(outv[i] == want[i], "out[%zu] = %llu", i, (unsigned long long)outv[i]);
}

TAP_CASE(error_statuses)
{
    struct cj_run r;
    TAP_CHECK_EQ(run_text("l: push a\njmp l\n", 0, &r, NULL), CJ_STATUS_STACK_OVERFLOW);
    TAP_CHECK_EQ(r.sp, CJ_STACK_WORDS);
    TAP_CHECK_EQ(run_text("push 1\npop a\npop a\n", 0, &r, NULL), CJ_STATUS_STACK_UNDERFLOW);
    TAP_CHECK_EQ(r.ra, 1);
    TAP_CHECK_EQ(run_text("f: add a, 1\ncall f\n", 0, &r, NULL), CJ_STATUS_CALL_OVERFLOW);
    TAP_CHECK_EQ(r.ra, CJ_CALL_DEPTH + 1);
    TAP_CHECK_EQ(run_text("mov a, 3\nret\nmov a, 4\n", 0, &r, NULL), CJ_STATUS_HALT);
    TAP_CHECK_EQ(r.ra, 3);
    TAP_CHECK_EQ(run_text("mov a, 6\n", 0, &r, NULL), CJ_STATUS_HALT); /* falls off the end */
    TAP_CHECK_EQ(r.ra, 6);
}

TAP_CASE(memory_wraps_modulo_size)
{
    struct cj_run r;
    TAP_CHECK_EQ(run_text("mov x, 4095\nmov a, 77\nst [x+2], a\nld y, [x-4095]\nld o, [x + 0x1002]\nout y\nout o\n"
                          "mov x, -1\nld a, [x+1]\nout a\n",
                          0, &r, NULL),
                 CJ_STATUS_HALT);
    TAP_CHECK_EQ(outv[0], 0);
    TAP_CHECK_EQ(outv[1], 77); /* 4095 + 4098 wraps to 1 */
    TAP_CHECK_EQ(outv[2], 0);
    TAP_CHECK_EQ(run_text(".mem 1, 5, 6\nld a, [x+1]\nld y, [x+2]\nadd a, y\n", 0, &r, NULL), CJ_STATUS_HALT);
    TAP_CHECK_EQ(r.ra, 11);
}

TAP_CASE(recursive_calls_through_the_stack)
{
    /* fact(10) with the argument on the push/pop stack */
    const char *text =
        "mov a, 10\ncall fact\nout a\nhalt\n"
        "fact: bgeu a, 2, rec\nmov a, 1\nret\n"
        "rec: push a\nsub a, 1\ncall fact\npop x\nmul a, x\nret\n";
    struct cj_run r;
    TAP_CHECK_EQ(run_text(text, 0, &r, NULL), CJ_STATUS_HALT);
    TAP_CHECK_EQ(outv[0], 3628800);
    TAP_CHECK_EQ(r.sp, 0);
}

TAP_CASE(trace_mode_records_every_step)
{
    struct cj_run r;
    TAP_CHECK_EQ(run_text("mov a, 2\nl: sub a, 1\nbne a, 0, l\n", CJ_BUILD_TRACE, &r, NULL), CJ_STATUS_HALT);
    /* mov, sub, bne, sub, bne, implicit halt */
    TAP_CHECK_EQ(r.trace_n, 6);
    static const cj_word lines[] = {1, 2, 3, 2, 3, 0};
    static const cj_word as[] = {0, 2, 1, 1, 0, 0};
    for (size_t i = 0; i < 6 && i < r.trace_n; i++) {
        TAP_CHECKF(r.trace[i].line == lines[i], "step %zu line %llu", i, (unsigned long long)r.trace[i].line);
        TAP_CHECKF(r.trace[i].a == as[i], "step %zu a %llu", i, (unsigned long long)r.trace[i].a);
    }
    free(r.trace);
    /* The step limit stops runaway programs in trace mode. */
    struct cj_builder *b;
    struct cj_builder_params bp = {.flags = CJ_BUILD_TRACE};
    cj_builder_create(&bp, &b);
    cj_parse(b, "l: jmp l\n", 9, NULL);
    struct cj_program *p = NULL;
    TAP_CHECK_EQ(cj_builder_finish(b, mem(), &p), JIT_OK);
    cj_builder_destroy(b);
    struct cj_trace_rec tr[10];
    memset(&r, 0, sizeof r);
    r.trace = tr;
    r.trace_cap = 10;
    cj_program_run(p, &r);
    TAP_CHECK_EQ(r.status, CJ_STATUS_STEP_LIMIT);
    TAP_CHECK_EQ(r.trace_n, 10);
    cj_program_free(p);
}

TAP_CASE(crash_is_reported_as_line_and_op)
{
    struct cj_run r;
    TAP_CHECK_EQ(run_text("mov a, 1\nadd a, 2\n\ntrap\nhalt\n", 0, &r, NULL), CJ_STATUS_CRASH);
    TAP_CHECK(r.fault.sig != 0);
    TAP_CHECK(r.fault.in_code);
    TAP_CHECK_EQ(r.fault.line, 4);
    TAP_CHECK_EQ(r.fault.op_index, 2);
    int trap;
    cj_op_find("trap", &trap);
    TAP_CHECK_EQ(r.fault.op, trap);
    TAP_CHECKF(strstr(r.fault.desc, "line 4") && strstr(r.fault.desc, "'trap'"), "desc: %s", r.fault.desc);
    TAP_CHECK_EQ(r.ra, 3); /* trap saves the registers before faulting */
    /* The harness survives and runs the next program. */
    TAP_CHECK_EQ(run_text("mov a, 9\n", 0, &r, NULL), CJ_STATUS_HALT);
    TAP_CHECK_EQ(r.ra, 9);
}

TAP_CASE(data_slots_aligned_and_full_width)
{
    /* Alternate data-less and data ops so slots land at odd code offsets
     * unless the builder pads; every immediate must read back exactly. */
    char text[8192];
    size_t n = 0;
    static const cj_word imms[] = {0xffffffffffffffffull, 0x8000000000000000ull, 0x0123456789abcdefull, 1, 0xfedcba9876543210ull};
    for (int i = 0; i < 40; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "not y\nmov a, %llu\nout a\nxor o, a\n",
                              (unsigned long long)imms[i % 5]);
    }
    struct cj_run r;
    TAP_CHECK_EQ(run_text(text, 0, &r, NULL), CJ_STATUS_HALT);
    TAP_CHECK_EQ(r.out_n, 40);
    for (int i = 0; i < 40; i++) TAP_CHECKF(outv[i] == imms[i % 5], "imm %d", i);
    /* On strict-alignment targets every data op starts 8-aligned. */
    struct cj_builder *b;
    cj_builder_create(NULL, &b);
    cj_parse(b, text, n, NULL);
    struct cj_program *p = NULL;
    TAP_CHECK_EQ(cj_builder_finish(b, mem(), &p), JIT_OK);
    cj_builder_destroy(b);
    TAP_CHECK_EQ((uintptr_t)p->code.rx % 8, 0);
    for (uint32_t i = 0; i < p->nops; i++)
        if (cj_tmpl[p->op_id[i]].nslots) TAP_CHECKF(p->op_off[i] % CJ_DATA_ALIGN == 0, "op %u at %u", i, p->op_off[i]);
    cj_program_free(p);
}

/* Emit one op list three ways: cj_emit_reference (the builder before its
 * fast path), cj_emit op by op, cj_emit_n in runs of 1 to 9 ops. */
enum { WAY_REF, WAY_OP, WAY_RUN };
/* Every template once and a few again (37 is prime to the op count); kept
 * small so even mips' large templates, traced, stay within CJ_DATA_DIST. */
#define EMIT_N_OPS 520
#define EMIT_N_LABELS 16
#define EMIT_LABEL_EVERY 30
static enum jit_err emit_ways_err;
static struct cj_program *emit_ways_build(int way, uint32_t flags, const int *ops, const cj_word *imm, const int *lab)
{
    struct cj_builder *b;
    struct cj_builder_params bp = {.flags = flags};
    if (cj_builder_create(&bp, &b)) return NULL;
    int labels[EMIT_N_LABELS];
    for (int l = 0; l < EMIT_N_LABELS; l++) cj_label_new(b, &labels[l]);
    int i = 0, bound = 0;
    while (i < EMIT_N_OPS) {
        /* Labels bound along the way: the even ones before any use
         * (backward targets), the odd ones after the ops referring to them. */
        if (i % EMIT_LABEL_EVERY == 0 && bound < EMIT_N_LABELS) cj_label_bind(b, labels[bound++]);
        /* Runs of 1..9 ops that end at the label positions; one line each
         * (the ops of a cj_emit_n run share it), in every way. */
        cj_builder_set_line(b, (uint32_t)i + 1);
        int k = 1 + i % 9;
        if (i / EMIT_LABEL_EVERY != (i + k - 1) / EMIT_LABEL_EVERY) k = EMIT_LABEL_EVERY - i % EMIT_LABEL_EVERY;
        if (i + k > EMIT_N_OPS) k = EMIT_N_OPS - i;
        if (way == WAY_RUN) {
            cj_emit_n(b, ops + i, imm + i, lab + i, (size_t)k);
        } else {
            for (int j = i; j < i + k; j++) {
                if (way == WAY_REF) cj_emit_reference(b, ops[j], imm[j], lab[j]);
                else cj_emit(b, ops[j], imm[j], lab[j]);
            }
        }
        i += k;
    }
    while (bound < EMIT_N_LABELS) cj_label_bind(b, labels[bound++]);
    struct cj_program *p = NULL;
    emit_ways_err = cj_builder_finish(b, mem(), &p);
    if (emit_ways_err) p = NULL;
    cj_builder_destroy(b);
    return p;
}

TAP_CASE(emit_fast_paths_match_reference)
{
    static int ops[EMIT_N_OPS], lab[EMIT_N_OPS];
    static cj_word imm[EMIT_N_OPS];
    /* Every template in turn (code is compared, not run), immediates of
     * every width, and branch targets spread over all labels. */
    for (int i = 0; i < EMIT_N_OPS; i++) {
        ops[i] = (i * 37) % cj_op_count();
        imm[i] = (cj_word)i * 0x9e3779b97f4a7c15ull;
        lab[i] = i % EMIT_N_LABELS;
    }
    static const uint32_t flag_sets[] = {0, CJ_BUILD_TRACE};
    for (size_t f = 0; f < sizeof flag_sets / sizeof flag_sets[0]; f++) {
        struct cj_program *ref = emit_ways_build(WAY_REF, flag_sets[f], ops, imm, lab);
        TAP_CHECKF(ref != NULL, "reference build, flags %u: error %d", flag_sets[f], (int)emit_ways_err);
        if (!ref) return;
        for (int way = WAY_OP; way <= WAY_RUN; way++) {
            struct cj_program *p = emit_ways_build(way, flag_sets[f], ops, imm, lab);
            TAP_CHECKF(p != NULL, "way %d flags %u: error %d", way, flag_sets[f], (int)emit_ways_err);
            if (!p) continue;
            TAP_CHECKF(p->code_size == ref->code_size && p->nops == ref->nops, "way %d flags %u: %zu bytes %u ops vs %zu %u",
                       way, flag_sets[f], p->code_size, p->nops, ref->code_size, ref->nops);
            if (p->code_size == ref->code_size && p->nops == ref->nops) {
                TAP_CHECKF(memcmp(p->code.rx, ref->code.rx, ref->code_size) == 0, "way %d flags %u: code bytes differ", way,
                           flag_sets[f]);
                uint32_t bad = 0;
                for (uint32_t i = 0; i < ref->nops; i++)
                    if (p->op_off[i] != ref->op_off[i] || p->op_id[i] != ref->op_id[i]) bad++;
                TAP_CHECKF(bad == 0, "way %d flags %u: %u op map entries differ", way, flag_sets[f], bad);
                /* Data: equal, or both code addresses at the same offset. */
                const uint8_t *d1 = (const uint8_t *)p->code.rx + CJ_DATA_DIST;
                const uint8_t *d0 = (const uint8_t *)ref->code.rx + CJ_DATA_DIST;
                for (uint32_t i = 0; i < ref->nops; i++) {
                    int id = ref->op_id[i];
                    for (unsigned k = 0; k < cj_tmpl[id].nslots; k++) {
                        cj_word v1, v0;
                        memcpy(&v1, d1 + ref->op_off[i] + 8 * k, 8);
                        memcpy(&v0, d0 + ref->op_off[i] + 8 * k, 8);
                        if (v1 != v0 && v1 - (cj_word)(uintptr_t)p->code.rx != v0 - (cj_word)(uintptr_t)ref->code.rx) {
                            if (!bad) tap_diag("first difference: op %u (%d) slot %u: %llx vs %llx", i, id, k, (unsigned long long)v1, (unsigned long long)v0);
                            bad++;
                        }
                    }
                }
                TAP_CHECKF(bad == 0, "way %d flags %u: %u data slots differ", way, flag_sets[f], bad);
            }
            cj_program_free(p);
        }
        cj_program_free(ref);
    }
}

TAP_CASE(emit_n_runs_and_reports_errors)
{
    int o_mov_a, o_mov_x, o_add_a_x, o_add_x_i, o_bltu, o_out_a;
    cj_op_find("mov_a_i", &o_mov_a);
    cj_op_find("mov_x_i", &o_mov_x);
    cj_op_find("add_a_x", &o_add_a_x);
    cj_op_find("add_x_i", &o_add_x_i);
    cj_op_find("bltu_x_i", &o_bltu);
    cj_op_find("out_a", &o_out_a);
    struct cj_builder *b;
    cj_builder_create(NULL, &b);
    int loop;
    cj_label_new(b, &loop);
    const int head[] = {o_mov_a, o_mov_x};
    const cj_word head_imm[] = {0, 0};
    TAP_CHECK_EQ(cj_emit_n(b, head, head_imm, NULL, 2), JIT_OK);
    cj_label_bind(b, loop);
    const int body[] = {o_add_a_x, o_add_x_i, o_bltu, o_out_a};
    const cj_word body_imm[] = {0, 1, 1000, 0};
    const int body_lab[] = {-1, -1, loop, -1};
    TAP_CHECK_EQ(cj_emit_n(b, body, body_imm, body_lab, 4), JIT_OK);
    TAP_CHECK_EQ(cj_emit_n(b, body, NULL, NULL, 0), JIT_OK);
    struct cj_program *p = NULL;
    TAP_CHECK_EQ(cj_builder_finish(b, mem(), &p), JIT_OK);
    if (p) {
        struct cj_run r;
        memset(&r, 0, sizeof r);
        r.out = outv;
        r.out_cap = 4096;
        r.timeout_s = 30;
        cj_program_run(p, &r);
        TAP_CHECK_EQ(r.status, CJ_STATUS_HALT);
        TAP_CHECK_EQ(r.ra, 499500);
        TAP_CHECK_EQ(r.out_n, 1);
        cj_program_free(p);
    }
    /* A bad op in the middle: the ops before it are emitted, the error sticks. */
    cj_builder_reset(b);
    const int bad[] = {o_add_a_x, o_add_a_x, 100000, o_add_a_x};
    TAP_CHECK_EQ(cj_emit_n(b, bad, NULL, NULL, 4), JIT_ERR_INVALID_ARG);
    TAP_CHECK_EQ(cj_builder_ops(b), 2);
    TAP_CHECK_EQ(cj_emit(b, o_add_a_x, 0, -1), JIT_ERR_INVALID_ARG);
    TAP_CHECK_EQ(cj_emit_n(b, bad, NULL, NULL, 1), JIT_ERR_INVALID_ARG);
    cj_builder_reset(b);
    TAP_CHECK_EQ(cj_emit_n(b, NULL, NULL, NULL, 3), JIT_ERR_INVALID_ARG);
    TAP_CHECK_EQ(cj_emit_n(NULL, bad, NULL, NULL, 1), JIT_ERR_INVALID_ARG);
    /* A branch with no label: refused like cj_emit refuses it. */
    cj_builder_reset(b);
    TAP_CHECK_EQ(cj_emit_n(b, &o_bltu, NULL, NULL, 1), JIT_ERR_INVALID_ARG);
    cj_builder_destroy(b);
}

#ifndef CJ_LOOP_ALIGN
#  define CJ_LOOP_ALIGN 1
#endif
TAP_CASE(loop_heads_aligned_forward_targets_not)
{
    /* back: bound before use (a loop head); fwd: used first. */
    const char *text = "mov a, 0\nmov x, 0\nnot y\nback:\nadd a, x\nadd x, 1\nbeq x, 7, fwd\nnot y\nfwd:\nbltu x, 100, back\nout a\n";
    struct cj_builder *b;
    cj_builder_create(NULL, &b);
    TAP_CHECK_EQ(cj_parse(b, text, strlen(text), NULL), JIT_OK);
    struct cj_program *p = NULL;
    TAP_CHECK_EQ(cj_builder_finish(b, mem(), &p), JIT_OK);
    cj_builder_destroy(b);
    if (!p) return;
    /* ops: 0 mov, 1 mov, 2 not, 3 add (back), 4 add, 5 beq, 6 not, 7 bltu (fwd), ... */
    TAP_CHECK_EQ(p->nops, 10);
    uint32_t end2 = p->op_off[2] + cj_tmpl[p->op_id[2]].size;
    TAP_CHECKF(p->op_off[3] % CJ_LOOP_ALIGN == 0, "loop head at %u", p->op_off[3]);
    TAP_CHECKF(p->op_off[3] >= end2 && p->op_off[3] - end2 < CJ_LOOP_ALIGN, "loop head at %u, previous op ends at %u",
               p->op_off[3], end2);
    /* The forward target: only the data-slot rule may move it. */
    uint32_t end6 = p->op_off[6] + cj_tmpl[p->op_id[6]].size;
    TAP_CHECKF(p->op_off[7] - end6 < 8 + CJ_DATA_ALIGN, "forward target at %u, previous op ends at %u", p->op_off[7], end6);
    struct cj_run r;
    memset(&r, 0, sizeof r);
    r.out = outv;
    r.out_cap = 4096;
    r.timeout_s = 30;
    cj_program_run(p, &r);
    TAP_CHECK_EQ(r.status, CJ_STATUS_HALT);
    TAP_CHECK_EQ(outv[0], 4950);
    cj_program_free(p);
}

TAP_CASE(large_program)
{
    size_t cap = 400000, n = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 1500; i++) n += (size_t)snprintf(text + n, cap - n, "add a, %d\nxor x, a\n", i);
    n += (size_t)snprintf(text + n, cap - n, "out a\nout x\n");
    struct cj_run r;
    TAP_CHECK_EQ(run_text(text, 0, &r, NULL), CJ_STATUS_HALT);
    cj_word a = 0, x = 0;
    for (int i = 0; i < 1500; i++) {
        a += (cj_word)i;
        x ^= a;
    }
    TAP_CHECK_EQ(outv[0], a);
    TAP_CHECK_EQ(outv[1], x);
    free(text);
}

TAP_CASE(corpus_programs_match_expected_output)
{
    FILE *f = tmpfile();
    TAP_CHECK(f != NULL);
    if (!f) return;
    int rc = cj_tool_corpus(mem(), NULL, f);
    int n = 0;
    for (const struct cj_corpus_entry *c = cj_corpus; c->name; c++) n++;
    TAP_CHECKF(n >= 20, "only %d corpus programs", n);
    if (rc) {
        rewind(f);
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "not ok", 6) == 0) tap_diag("%s", line);
    }
    TAP_CHECK_EQ(rc, 0);
    fclose(f);
}

int main(int argc, char **argv) { return tap_main(argc, argv); }
