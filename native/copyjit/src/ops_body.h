/* ops_body.h: the op templates, in C, in continuation-passing style.
 *
 * Included by ops_a.c with CJ_VARIANT set to A and compiled once; variants B
 * and C are that assembly with their own symbol names (cmake/rewrite_asm.cmake,
 * -DVARIANT): the three are the same code linked at different places (ops.ld.in
 * puts a gap before B's "next"), which lets the runtime prove by byte
 * comparison that an op has no position-dependent bytes (A vs C) and no
 * reference to "next" besides its trailing jump (A vs B).
 *
 * Every op has the fixed signature CJ_PARAMS and ends in a tail call to its
 * own end symbol, cj<V>e_<name>, placed by the linker script right after the
 * op's bytes, i.e. at the next op once copied. Immediates and branch targets
 * are read from data slots at (address of the running copy) + CJ_DATA_DIST.
 */
#include "cj_vm.h"
#include "ops.def"

#ifndef CJ_VARIANT
#error "define CJ_VARIANT (A, B or C) before including ops_body.h"
#endif

#define CJ__CAT_(a, b) a##b
#define CJ__CAT(a, b) CJ__CAT_(a, b)
#define CJ__STR_(a) #a
#define CJ__STR(a) CJ__STR_(a)
#define CJ_FN(name) CJ__CAT(CJ__CAT(cj, CJ_VARIANT), CJ__CAT(_, name))
#define CJ_END(name) CJ__CAT(CJ__CAT(cj, CJ_VARIANT), CJ__CAT(e_, name))
#define CJ_SYM(name) CJ__STR(CJ_FN(name))
#define CJ_SECT(name) CJ__STR(CJ__CAT(CJ__CAT(cj, CJ_VARIANT), CJ__CAT(s_, name)))

#if defined(__clang__) && __has_attribute(musttail)
/* A guaranteed tail call: clang fails the build instead of emitting call+ret. */
#  define CJ_MUSTTAIL __attribute__((musttail))
#else
#  define CJ_MUSTTAIL
#endif

#if defined(CJ_ARCH_TAIL)
/* An arch whose compiler emits no indirect tail call (GCC on sparc64) jumps
 * through the code address itself (arch/<dir>/arch_copyjit.h). */
#  define CJ_TAIL(fn) CJ_ARCH_TAIL(fn)
#elif defined(CJ_LOCAL_END_STUBS)
/* An indirect tail call is not a sibcall there either: call a local stub
 * with the target as one more argument (the arch's rewrite makes the branch
 * to the stub an indirect jump through that argument's register). No
 * musttail: the stub's signature differs; copyjit --check sees any call. */
#  define CJ_JUMP_STUB CJ__CAT(cj, CJ__CAT(CJ_VARIANT, _jump_stub))
cj_word CJ_JUMP_STUB(CJ_PARAMS, void *cj__to) CJ_FNATTR __attribute__((visibility("hidden")));
#  define CJ_TAIL(fn) do { return CJ_JUMP_STUB(CJ_ARGS, (void *)(fn)); } while (0)
#else
#  define CJ_TAIL(fn) do { CJ_MUSTTAIL return ((cj_fn)(fn))(CJ_ARGS); } while (0)
#endif
#if defined(CJ_LOCAL_END_STUBS)
/* The arch's compilers tail-call only functions defined in this file
 * (powerpc64: a call into another object may need its TOC restored). NEXT
 * tail-calls a local opaque stub cj<V>t_<name> instead, and the arch's
 * CJ_ASM_REWRITE turns that branch into one to the end symbol. */
#  define CJ_STUB(name) CJ__CAT(CJ__CAT(cj, CJ_VARIANT), CJ__CAT(t_, name))
#  define NEXT(name) do { CJ_MUSTTAIL return CJ_STUB(name)(CJ_ARGS); } while (0)
#else
#  define NEXT(name) do { CJ_MUSTTAIL return CJ_END(name)(CJ_ARGS); } while (0)
#endif
#define CJ_EXIT(st) do { CJ_SAVE_REGS(); vm->status = (st); return CJ_RA; } while (0)
/* Error exits jump to a C function (through the vm, position-free) so the
 * rare path does not push the op's trailing jump away from its end. */
#define CJ_FAIL(st) CJ_TAIL(vm->fail[st])

#if defined(CJ_DATA_SYM)
/* The data as a symbol of its own, cj<V>d_<op> = cj<V>_<op> + CJ_DATA_DIST,
 * defined by ops.ld.in: the compiler then reads a slot straight from the
 * instruction that uses it (x86_64: add cjAd_op(%rip), %rsi), with a
 * PC-relative displacement to the op's own data that survives copying like
 * CJ_DATA_ASM's, and no instruction to form the address first. */
#  define CJ_DSYM(name) CJ__CAT(CJ__CAT(cj, CJ_VARIANT), CJ__CAT(d_, name))
#  define CJ_DECL_DATA(name, ns, fl) extern const cj_word CJ_DSYM(name)[] __attribute__((visibility("hidden")));
CJ_OPS(CJ_DECL_DATA)
#  define CJ_DATA(name) ((const cj_word *)CJ_DSYM(name))
#elif defined(CJ_DATA_ASM)
#  define CJ_DATA(name) ({ const cj_word *cj__d; CJ_DATA_ASM(CJ_SYM(name), cj__d); cj__d; })
#else
#  define CJ_DATA(name) ({ uintptr_t cj__s; CJ_SELF_ASM(CJ_SYM(name), cj__s); \
                           (const cj_word *)(cj__s + CJ_DATA_DIST); })
#endif

/* Hidden: LLVM's mips backend only tail-calls local or hidden symbols. */
#define CJ_DECL_END(name, ns, fl) \
    extern cj_word CJ_END(name)(CJ_PARAMS) CJ_FNATTR __attribute__((visibility("hidden")));
CJ_OPS(CJ_DECL_END)

#if defined(CJ_LOCAL_END_STUBS)
/* Opaque to the optimiser (no inlining, no IPA, an unknown result); never
 * run: every branch to it is rewritten. Kept out of the op sections. */
#  if defined(__clang__)
#    define CJ__STUB_ATTR noinline
#  else
#    define CJ__STUB_ATTR noipa
#  endif
/* Every argument is used (an asm input each): otherwise clang treats an
 * unused one as dead and leaves its register unset at the branch. */
#  define CJ__USE1(v) __asm__ volatile("" : : "r"(v))
#  define CJ__USE7(v1, v2, v3, v4, v5, v6, v7, ...) \
    CJ__USE1(v1); CJ__USE1(v2); CJ__USE1(v3); CJ__USE1(v4); CJ__USE1(v5); CJ__USE1(v6); CJ__USE1(v7)
#  define CJ__USE_ALL(...) CJ__USE7(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)
#  define CJ__STUB_BODY(...)                                                             \
    {                                                                                     \
        cj_word cj__r;                                                                    \
        CJ__USE_ALL(__VA_ARGS__);                                                         \
        __asm__ volatile("" : "=r"(cj__r) : : "memory");                                  \
        return cj__r;                                                                     \
    }
#  define CJ_DEF_STUB(name, ns, fl)                                                      \
    __attribute__((CJ__STUB_ATTR, used, visibility("hidden"), section(".text.cj_stubs")))  \
    CJ_FNATTR cj_word CJ_STUB(name)(CJ_PARAMS) CJ__STUB_BODY(CJ_ARGS)
CJ_OPS(CJ_DEF_STUB)
__attribute__((CJ__STUB_ATTR, used, visibility("hidden"), section(".text.cj_stubs")))
CJ_FNATTR cj_word CJ_JUMP_STUB(CJ_PARAMS, void *cj__to) CJ__STUB_BODY(CJ_ARGS, cj__to)
#endif

#define CJ_OP(name)                                                                  \
    cj_word CJ_FN(name)(CJ_PARAMS) CJ_FNATTR;                                        \
    __attribute__((section(CJ_SECT(name)), used, noinline, visibility("hidden")))     \
    CJ_FNATTR cj_word CJ_FN(name)(CJ_PARAMS)

/* Status codes (enum cj_status in copyjit.h). */
#define CJ_ST_HALT 1
#define CJ_ST_STACK_OVERFLOW 2
#define CJ_ST_STACK_UNDERFLOW 3
#define CJ_ST_CALL_OVERFLOW 4
#define CJ_ST_STEP_LIMIT 5

/* Writing a pseudo-register: an assignment, unless the layout splits it
 * (cj_vm.h, CJ_I386_GREGS: a in two 32-bit registers). */
#ifndef CJ_SET_a
#  define CJ_SET_a(v) (CJ_RA = (v))
#endif
#define CJ_SET_x(v) (CJ_RX = (v))
#define CJ_SET_y(v) (CJ_RY = (v))
#define CJ_SET_o(v) (CJ_RO = (v))
#define R_a CJ_RA
#define R_x CJ_RX
#define R_y CJ_RY
#define R_o CJ_RO
#define SP CJ_RSP

#if defined(CJ_WIDE_REGS)
#  define CJ_UDIV(d, s) ((d) / (s))
#  define CJ_UREM(d, s) ((d) % (s))
#else
/* 64-bit division is a libgcc call on 32-bit arches: a PC-relative call out
 * of the template (and on mips o32 a call that needs $t9/$gp set up). Divide
 * in the op instead, by shift and subtract: slow but position-free. */
static inline __attribute__((always_inline)) cj_word cj_divmod(cj_word n, cj_word d, int want_rem)
{
    cj_word q = 0, r = 0;
    for (int i = 0; i < 64; i++) {
        r = (r << 1) | (n >> 63);
        n <<= 1;
        q <<= 1;
        if (r >= d) {
            r -= d;
            q |= 1;
        }
    }
    return want_rem ? r : q;
}
#  define CJ_UDIV(d, s) cj_divmod((d), (s), 0)
#  define CJ_UREM(d, s) cj_divmod((d), (s), 1)
#endif

#define E_mov(d, s) (s)
#define E_add(d, s) ((d) + (s))
#define E_sub(d, s) ((d) - (s))
#define E_mul(d, s) ((d) * (s))
#define E_and(d, s) ((d) & (s))
#define E_or(d, s) ((d) | (s))
#define E_xor(d, s) ((d) ^ (s))
#define E_shl(d, s) ((d) << ((s) & 63))
#define E_shr(d, s) ((d) >> ((s) & 63))
#define E_sar(d, s) ((cj_word)((int64_t)(d) >> ((s) & 63)))
#define E_divu(d, s) ((s) ? CJ_UDIV((d), (s)) : (cj_word)0)
#define E_remu(d, s) ((s) ? CJ_UREM((d), (s)) : (d))
#define E_slt(d, s) ((cj_word)((int64_t)(d) < (int64_t)(s)))
#define E_sltu(d, s) ((cj_word)((d) < (s)))
#define E_seq(d, s) ((cj_word)((d) == (s)))
#define E_sne(d, s) ((cj_word)((d) != (s)))

#define C_beq(d, s) ((d) == (s))
#define C_bne(d, s) ((d) != (s))
#define C_blt(d, s) ((int64_t)(d) < (int64_t)(s))
#define C_bge(d, s) ((int64_t)(d) >= (int64_t)(s))
#define C_bltu(d, s) ((d) < (s))
#define C_bgeu(d, s) ((d) >= (s))

/* ---- ALU: d = d OP s ---- */
#define DEF_ALU_RR(op, d, s) \
    CJ_OP(op##_##d##_##s) { cj_word dv = R_##d, sv = R_##s; (void)dv; CJ_SET_##d(E_##op(dv, sv)); NEXT(op##_##d##_##s); }
#define DEF_ALU_RI(op, d) \
    CJ_OP(op##_##d##_i) { const cj_word *k = CJ_DATA(op##_##d##_i); cj_word dv = R_##d, sv = k[0]; (void)dv; \
                          CJ_SET_##d(E_##op(dv, sv)); NEXT(op##_##d##_i); }
#define DEF_ALU_D(op, d) DEF_ALU_RR(op, d, a) DEF_ALU_RR(op, d, x) DEF_ALU_RR(op, d, y) DEF_ALU_RR(op, d, o) DEF_ALU_RI(op, d)
#define DEF_ALU(op) DEF_ALU_D(op, a) DEF_ALU_D(op, x) DEF_ALU_D(op, y) DEF_ALU_D(op, o)
CJ_ALU_NAMES(DEF_ALU)

/* ---- conditional branches: if (d COND s) goto target ---- */
#define DEF_BR_RR(op, d, s)                                                  \
    CJ_OP(op##_##d##_##s) {                                                  \
        const cj_word *k = CJ_DATA(op##_##d##_##s);                          \
        if (C_##op(R_##d, R_##s)) CJ_TAIL((uintptr_t)k[0]);                  \
        NEXT(op##_##d##_##s);                                                \
    }
/* CJ_CMP_OPERAND(v): an arch may ask for the immediate in a register
 * (x86_64: a compare of two registers fuses with its branch). Elsewhere
 * the op reads k[0] as it always did (the same code, byte for byte). */
#if defined(CJ_CMP_OPERAND)
#  define CJ_BR_IMM(k) ({ cj_word cj__kv = (k)[0]; CJ_CMP_OPERAND(cj__kv); cj__kv; })
#else
#  define CJ_BR_IMM(k) ((k)[0])
#endif
#define DEF_BR_RI(op, d)                                                     \
    CJ_OP(op##_##d##_i) {                                                    \
        const cj_word *k = CJ_DATA(op##_##d##_i);                            \
        if (C_##op(R_##d, CJ_BR_IMM(k))) CJ_TAIL((uintptr_t)k[1]);           \
        NEXT(op##_##d##_i);                                                  \
    }
#define DEF_BR_D(op, d) DEF_BR_RR(op, d, a) DEF_BR_RR(op, d, x) DEF_BR_RR(op, d, y) DEF_BR_RR(op, d, o) DEF_BR_RI(op, d)
#define DEF_BR(op) DEF_BR_D(op, a) DEF_BR_D(op, x) DEF_BR_D(op, y) DEF_BR_D(op, o)
CJ_BR_NAMES(DEF_BR)

/* ---- memory: ld d, [b + k]; st [b + k], v; addresses wrap in CJ_MEM_WORDS ---- */
#define DEF_LD(d, b) \
    CJ_OP(ld_##d##_##b) { const cj_word *k = CJ_DATA(ld_##d##_##b); \
        CJ_SET_##d(vm->mem[(R_##b + k[0]) & (CJ_MEM_WORDS - 1)]); NEXT(ld_##d##_##b); }
#define DEF_ST(b, v) \
    CJ_OP(st_##b##_##v) { const cj_word *k = CJ_DATA(st_##b##_##v); \
        vm->mem[(R_##b + k[0]) & (CJ_MEM_WORDS - 1)] = R_##v; NEXT(st_##b##_##v); }
#define DEF_MEM_D(M, d) M(d, a) M(d, x) M(d, y) M(d, o)
DEF_MEM_D(DEF_LD, a) DEF_MEM_D(DEF_LD, x) DEF_MEM_D(DEF_LD, y) DEF_MEM_D(DEF_LD, o)
DEF_MEM_D(DEF_ST, a) DEF_MEM_D(DEF_ST, x) DEF_MEM_D(DEF_ST, y) DEF_MEM_D(DEF_ST, o)

/* ---- single-register ops ---- */
#define DEF_R1(M) M(a) M(x) M(y) M(o)
#define DEF_PUSH(r) CJ_OP(push_##r) { \
    if (__builtin_expect(SP == vm->stack_end, 0)) CJ_FAIL(CJ_ST_STACK_OVERFLOW); *SP++ = R_##r; NEXT(push_##r); }
#define DEF_POP(r) CJ_OP(pop_##r) { \
    if (__builtin_expect(SP == vm->stack_base, 0)) CJ_FAIL(CJ_ST_STACK_UNDERFLOW); CJ_SET_##r(*--SP); NEXT(pop_##r); }
#define DEF_OUT(r) CJ_OP(out_##r) { \
    size_t n = vm->out_n; if (n < vm->out_cap) vm->out[n] = R_##r; vm->out_n = n + 1; NEXT(out_##r); }
/* CJ_NOT: an arch file may compute ~v its own way (s390x: see its file). */
#ifndef CJ_NOT
#  define CJ_NOT(v) (~(v))
#endif
#define DEF_NOT(r) CJ_OP(not_##r) { CJ_SET_##r(CJ_NOT(R_##r)); NEXT(not_##r); }
#define DEF_NEG(r) CJ_OP(neg_##r) { CJ_SET_##r((cj_word)0 - R_##r); NEXT(neg_##r); }
DEF_R1(DEF_PUSH) DEF_R1(DEF_POP) DEF_R1(DEF_OUT) DEF_R1(DEF_NOT) DEF_R1(DEF_NEG)

CJ_OP(push_i) {
    const cj_word *k = CJ_DATA(push_i);
    if (__builtin_expect(SP == vm->stack_end, 0)) CJ_FAIL(CJ_ST_STACK_OVERFLOW);
    *SP++ = k[0];
    NEXT(push_i);
}
CJ_OP(out_i) {
    const cj_word *k = CJ_DATA(out_i);
    size_t n = vm->out_n;
    if (n < vm->out_cap) vm->out[n] = k[0];
    vm->out_n = n + 1;
    NEXT(out_i);
}

/* ---- control ---- */
/* The reference for trailing-jump removal: nothing but the tail call. */
CJ_OP(empty) { NEXT(empty); }

CJ_OP(halt) { CJ_EXIT(CJ_ST_HALT); }

/* Deliberately faults: the crash-triage tests use it. */
#if !defined(CJ_ARCH_TRAP)
#  define CJ_ARCH_TRAP() __builtin_trap()
#endif
CJ_OP(trap) { CJ_SAVE_REGS(); CJ_ARCH_TRAP(); }

CJ_OP(jmp) {
    const cj_word *k = CJ_DATA(jmp);
    CJ_TAIL((uintptr_t)k[0]);
}

CJ_OP(call) {
    const cj_word *k = CJ_DATA(call);
    uint32_t c = vm->csp;
    if (c >= CJ_CALL_DEPTH) CJ_FAIL(CJ_ST_CALL_OVERFLOW);
    vm->cstack[c] = k[0];
    vm->csp = c + 1;
    CJ_TAIL((uintptr_t)k[1]);
}

/* ret with an empty call stack ends the program, like returning from main. */
CJ_OP(ret) {
    uint32_t c = vm->csp;
    if (c == 0) CJ_FAIL(CJ_ST_HALT);
    vm->csp = c - 1;
    CJ_TAIL((uintptr_t)vm->cstack[c - 1]);
}

/* Inserted before every op in trace mode: records the state about to be
 * consumed by the op at program line k[0]. */
CJ_OP(trace) {
    const cj_word *k = CJ_DATA(trace);
    size_t n = vm->trace_n;
    if (n >= vm->trace_cap) CJ_FAIL(CJ_ST_STEP_LIMIT);
    struct cj_trace_rec *r = &vm->trace[n];
    r->line = k[0];
    r->a = R_a;
    r->x = R_x;
    r->y = R_y;
    r->o = R_o;
    r->sp = (cj_word)(SP - vm->stack_base);
    vm->trace_n = n + 1;
    NEXT(trace);
}

/* Records an address in this op's native stack frame: the template check
 * runs an op many times between two marks and compares them. */
CJ_OP(spmark) {
    /* Not the address of a local: one that escapes forbids the tail call. */
#if defined(CJ_ARCH_SPMARK)
    uintptr_t fp = CJ_ARCH_SPMARK();
#else
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
#endif
    size_t n = vm->nmarks;
    if (n < sizeof vm->marks / sizeof vm->marks[0]) vm->marks[n] = fp;
    vm->nmarks = n + 1;
    NEXT(spmark);
}

#if defined(__thumb__)
const int CJ__CAT(cj_ops_thumb_, CJ_VARIANT) = 1;
#else
const int CJ__CAT(cj_ops_thumb_, CJ_VARIANT) = 0;
#endif
