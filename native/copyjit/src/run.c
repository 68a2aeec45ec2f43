/* run.c: run a program, catch faults in JIT code and name the op. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "cj_internal.h"
#include "jit/arch.h"

const char *cj_status_name(enum cj_status st)
{
    switch (st) {
    case CJ_STATUS_NONE: return "none";
    case CJ_STATUS_HALT: return "halt";
    case CJ_STATUS_STACK_OVERFLOW: return "stack_overflow";
    case CJ_STATUS_STACK_UNDERFLOW: return "stack_underflow";
    case CJ_STATUS_CALL_OVERFLOW: return "call_overflow";
    case CJ_STATUS_STEP_LIMIT: return "step_limit";
    case CJ_STATUS_CRASH: return "crash";
    case CJ_STATUS_TIMEOUT: return "timeout";
    }
    return "?";
}

uint32_t cj_hash_words(uint32_t h, const cj_word *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cj_word v = w[i];
        for (int k = 0; k < 8; k++) {
            h ^= (uint32_t)(v & 0xff);
            h *= 16777619u;
            v >>= 8;
        }
    }
    return h;
}

/* ---- error exits: tail-called by ops through vm->fail[] ---- */
#define CJ_DEF_FAIL(fname, st)                                     \
    static cj_word fname(CJ_PARAMS) CJ_FNATTR;                     \
    CJ_FNATTR static cj_word fname(CJ_PARAMS)                      \
    {                                                              \
        CJ_SAVE_REGS();                                            \
        vm->status = (st);                                         \
        return CJ_RA;                                                \
    }
CJ_DEF_FAIL(cj_exit_halt, CJ_STATUS_HALT)
CJ_DEF_FAIL(cj_exit_overflow, CJ_STATUS_STACK_OVERFLOW)
CJ_DEF_FAIL(cj_exit_underflow, CJ_STATUS_STACK_UNDERFLOW)
CJ_DEF_FAIL(cj_exit_calls, CJ_STATUS_CALL_OVERFLOW)
CJ_DEF_FAIL(cj_exit_steps, CJ_STATUS_STEP_LIMIT)


/* ---- fault capture ---- */
struct cj_active {
    const struct cj_program *p;
    struct cj_run *r;
    sigjmp_buf jb;
};
static struct cj_active *volatile cj_active_run;
static int cj_handlers_installed;
static const int cj_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM};

static const char *cj_sig_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGTRAP: return "SIGTRAP";
    case SIGALRM: return "SIGALRM";
    }
    return "signal";
}

static void cj_describe(const struct cj_program *p, struct cj_fault *f)
{
    uintptr_t base = (uintptr_t)p->code.rx;
    f->op = -1;
    f->in_code = f->pc >= base && f->pc < base + p->code_size;
    if (f->in_code) {
        uint32_t idx = 0;
        int op = cj_program_find_op(p, f->pc - base, &idx);
        f->op = op;
        f->op_index = idx;
        f->line = p->op_line[idx];
        f->offset = (uint32_t)(f->pc - base - p->op_off[idx]);
        struct cj_op_info inf;
        cj_op_get(op, &inf);
        snprintf(f->desc, sizeof f->desc, "%s at line %u: op #%u '%s' +0x%x (pc=%#lx, code+0x%lx)",
                 cj_sig_name(f->sig), f->line, idx, inf.name, f->offset, (unsigned long)f->pc,
                 (unsigned long)(f->pc - base));
    } else {
        snprintf(f->desc, sizeof f->desc, "%s at pc=%#lx, outside the program's code [%#lx, %#lx)",
                 cj_sig_name(f->sig), (unsigned long)f->pc, (unsigned long)base,
                 (unsigned long)(base + p->code_size));
    }
}

static void cj_on_signal(int sig, siginfo_t *si, void *ctx)
{
    struct cj_active *act = cj_active_run;
    if (!act) {
        /* Not ours: restore the default action and let it happen again. */
        signal(sig, SIG_DFL);
        return;
    }
    ucontext_t *uc = ctx;
    act->r->fault.sig = sig;
#if defined(CJ_SIG_PC)
    act->r->fault.pc = CJ_SIG_PC(sig, si, uc);
#else
    (void)si;
    act->r->fault.pc = CJ_UC_PC(uc);
#endif
    siglongjmp(act->jb, sig == SIGALRM ? 2 : 1);
}

static enum jit_err cj_install_handlers(void)
{
    if (cj_handlers_installed) return JIT_OK;
    static char *altstack;
    if (!altstack) {
        size_t sz = 64 * 1024;
        altstack = malloc(sz);
        if (!altstack) return JIT_ERR_NO_MEMORY;
        stack_t ss = {.ss_sp = altstack, .ss_size = sz, .ss_flags = 0};
        if (sigaltstack(&ss, NULL)) return JIT_ERR_SYSTEM;
    }
    for (size_t i = 0; i < sizeof cj_sigs / sizeof cj_sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = cj_on_signal;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        if (sigaction(cj_sigs[i], &sa, NULL)) return JIT_ERR_SYSTEM;
    }
    cj_handlers_installed = 1;
    return JIT_OK;
}

enum jit_err cj_program_run(const struct cj_program *p, struct cj_run *r)
{
    if (!p || !r) return JIT_ERR_INVALID_ARG;
    if (r->stack_depth > CJ_STACK_WORDS) return JIT_ERR_INVALID_ARG;
    if ((p->flags & CJ_BUILD_TRACE) && !r->trace && r->trace_cap) return JIT_ERR_INVALID_ARG;
    if (cj_active_run) return JIT_ERR_BUSY;
    enum jit_err e = cj_install_handlers();
    if (e) return e;

    static cj_word stack[CJ_STACK_WORDS];
    static cj_word cstack[CJ_CALL_DEPTH];
    static cj_word own_mem[CJ_MEM_WORDS];
    cj_word *volatile mem = r->mem ? r->mem : own_mem; /* read after siglongjmp */
    if (!r->mem) {
        if (p->mem_init) memcpy(mem, p->mem_init, sizeof own_mem);
        else memset(mem, 0, sizeof own_mem);
    }
    memset(stack, 0, sizeof stack);

    struct cj_vm vm;
    memset(&vm, 0, sizeof vm);
    vm.a = r->a;
    vm.x = r->x;
    vm.y = r->y;
    vm.o = r->o;
    vm.stack_base = stack;
    vm.stack_end = stack + CJ_STACK_WORDS;
    vm.sp = stack + r->stack_depth;
    vm.mem = mem;
    vm.cstack = cstack;
    vm.out = r->out;
    vm.out_cap = r->out ? r->out_cap : 0;
    vm.trace = r->trace;
    vm.trace_cap = r->trace ? r->trace_cap : 0;
    vm.fail[CJ_STATUS_HALT] = (void *)CJ_CODE_ADDR(cj_exit_halt);
    vm.fail[CJ_STATUS_STACK_OVERFLOW] = (void *)CJ_CODE_ADDR(cj_exit_overflow);
    vm.fail[CJ_STATUS_STACK_UNDERFLOW] = (void *)CJ_CODE_ADDR(cj_exit_underflow);
    vm.fail[CJ_STATUS_CALL_OVERFLOW] = (void *)CJ_CODE_ADDR(cj_exit_calls);
    vm.fail[CJ_STATUS_STEP_LIMIT] = (void *)CJ_CODE_ADDR(cj_exit_steps);

    memset(&r->fault, 0, sizeof r->fault);
    r->fault.op = -1;
    struct cj_active act = {.p = p, .r = r};
    struct cj_vm *volatile vmp = &vm;
    int jumped = sigsetjmp(act.jb, 1);
    if (!jumped) {
        cj_active_run = &act;
        if (r->timeout_s) alarm(r->timeout_s);
        struct jit_fdesc desc; /* powerpc64 ELFv1: the pointer names a descriptor */
        cj_fn entry = (cj_fn)(uintptr_t)jit_code_callable(p->code.rx, &desc);
#if defined(CJ_ARCH_ENTER)
        CJ_ARCH_ENTER(entry, vmp);
#else
        entry(CJ_ENTRY_ARGS(vmp));
#endif
        if (r->timeout_s) alarm(0);
        cj_active_run = NULL;
    } else {
        if (r->timeout_s) alarm(0);
        cj_active_run = NULL;
        vmp->status = jumped == 2 ? CJ_STATUS_TIMEOUT : CJ_STATUS_CRASH;
        cj_describe(p, &r->fault);
    }
    r->status = (enum cj_status)vmp->status;
    r->ra = vmp->a;
    r->rx = vmp->x;
    r->ry = vmp->y;
    r->ro = vmp->o;
    r->sp = (uint32_t)(vmp->sp - stack);
    r->out_n = vmp->out_n;
    r->trace_n = vmp->trace_n;
    r->nmarks = vmp->nmarks < 8 ? vmp->nmarks : 8;
    memcpy(r->marks, vmp->marks, sizeof r->marks);
    r->mem_hash = cj_hash_words(CJ_HASH_INIT, mem, CJ_MEM_WORDS);
    return JIT_OK;
}

/* ---- dynamic template check ---- */
#define CJ_REPS 48

enum jit_err cj_check_op_stack(struct jit_execmem *mem, int op, int *ok, char *why, size_t why_len)
{
    if (!mem || !ok || op < 0 || op >= CJ_NUM_OPS) return JIT_ERR_INVALID_ARG;
    *ok = 0;
    if (why && why_len) why[0] = 0;
    const struct cj_tmpl *t = &cj_tmpl[op];
    if (op == CJ_OP_trap || op == CJ_OP_halt || op == CJ_OP_spmark) {
        *ok = 1; /* trap faults by design; halt and spmark frame every test */
        return JIT_OK;
    }
    struct cj_builder *b;
    struct cj_builder_params bp = {.flags = op == CJ_OP_trace ? CJ_BUILD_TRACE : 0};
    enum jit_err e = cj_builder_create(&bp, &b);
    if (e) return e;
    int lbl[CJ_REPS + 2];
    cj_emit(b, CJ_OP_spmark, 0, -1);
    if (op == CJ_OP_call || op == CJ_OP_ret) {
        /* call P; ... x REPS; mark; halt; P: ret */
        cj_label_new(b, &lbl[0]);
        for (int i = 0; i < CJ_REPS; i++) cj_emit(b, CJ_OP_call, 0, lbl[0]);
        cj_emit(b, CJ_OP_spmark, 0, -1);
        cj_emit(b, CJ_OP_halt, 0, -1);
        cj_label_bind(b, lbl[0]);
        cj_emit(b, CJ_OP_ret, 0, -1);
    } else {
        for (int i = 0; i < CJ_REPS; i++) {
            cj_label_new(b, &lbl[i]);
            /* Branches go to the next op whether taken or not. */
            cj_emit(b, op, op == CJ_OP_trace ? (cj_word)i : 3, lbl[i]);
            cj_label_bind(b, lbl[i]);
        }
        cj_emit(b, CJ_OP_spmark, 0, -1);
        cj_emit(b, CJ_OP_halt, 0, -1);
    }
    (void)t;
    struct cj_program *p = NULL;
    e = cj_builder_finish(b, mem, &p);
    cj_builder_destroy(b);
    if (e) return e;
    static struct cj_trace_rec trace[4 * CJ_REPS + 8];
    cj_word out[4];
    struct cj_run r;
    memset(&r, 0, sizeof r);
    r.a = 5;
    r.x = 7;
    r.y = 9;
    r.o = 11;
    r.stack_depth = CJ_STACK_WORDS / 2;
    r.out = out;
    r.out_cap = 4;
    r.trace = trace;
    r.trace_cap = sizeof trace / sizeof trace[0];
    r.timeout_s = 5;
    e = cj_program_run(p, &r);
    cj_program_free(p);
    if (e) return e;
    if (r.status != CJ_STATUS_HALT) {
        if (why) snprintf(why, why_len, "did not halt: %s%s%s", cj_status_name(r.status),
                          r.status == CJ_STATUS_CRASH ? ": " : "", r.status == CJ_STATUS_CRASH ? r.fault.desc : "");
        return JIT_OK;
    }
    if (r.nmarks != 2 || r.marks[0] != r.marks[1]) {
        if (why) snprintf(why, why_len, "native stack moved by %ld bytes over %d runs (a call instead of a tail jump?)",
                          (long)(r.marks[0] - r.marks[1]), CJ_REPS);
        return JIT_OK;
    }
    *ok = 1;
    return JIT_OK;
}
