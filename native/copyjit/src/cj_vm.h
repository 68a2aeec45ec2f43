/* cj_vm.h: the state shared by the op templates and the runtime (internal). */
#ifndef CJ_VM_H
#define CJ_VM_H

#include <stddef.h>
#include <stdint.h>

#include "cj_arch.h"
#include "copyjit.h"


/* Template flags (ops.def). */
#define CJ_F_IMM 1u    /* slot 0 holds the immediate */
#define CJ_F_TARGET 2u /* last slot holds a branch target (code address) */
#define CJ_F_CALL 4u   /* slot 0 holds the return address */
#define CJ_F_NOFALL 8u /* never continues with the next op (jmp, call, ret) */
#define CJ_F_TERM 16u  /* returns to C or traps: no tail jump */


struct cj_vm {
    cj_word a, x, y, o; /* registers (memory-held ones live here while running) */
    cj_word *sp;
    cj_word *stack_base, *stack_end;
    cj_word *mem;                  /* CJ_MEM_WORDS words */
    cj_word *cstack;               /* CJ_CALL_DEPTH return addresses */
    uint32_t csp;
    int32_t status;                /* enum cj_status */
    cj_word *out;                  /* out values (kept up to out_cap) */
    size_t out_n, out_cap;
    struct cj_trace_rec *trace;    /* trace op records */
    size_t trace_n, trace_cap;
    uintptr_t marks[8];            /* spmark: native stack addresses */
    size_t nmarks;
    void *fail[8];                 /* cj_fn per status: error exits in C */
};

#if defined(CJ_WIDE_REGS)
#  define CJ_PARAMS cj_word a, cj_word x, cj_word y, cj_word o, cj_word *sp, struct cj_vm *vm
#  define CJ_ARGS a, x, y, o, sp, vm
#  define CJ_ENTRY_ARGS(vm) (vm)->a, (vm)->x, (vm)->y, (vm)->o, (vm)->sp, (vm)
#  define CJ_SAVE_REGS() (vm->a = a, vm->x = x, vm->y = y, vm->o = o, vm->sp = sp)
#  define CJ_RA a
#  define CJ_RX x
#  define CJ_RY y
#  define CJ_RO o
#  define CJ_RSP sp
#elif defined(CJ_PAIR_REGS)
#  define CJ_PARAMS cj_word a, cj_word *sp, struct cj_vm *vm
#  define CJ_ARGS a, sp, vm
#  define CJ_ENTRY_ARGS(vm) (vm)->a, (vm)->sp, (vm)
#  define CJ_SAVE_REGS() (vm->a = a, vm->sp = sp)
#  define CJ_RA a
#  define CJ_RX (vm->x)
#  define CJ_RY (vm->y)
#  define CJ_RO (vm->o)
#  define CJ_RSP sp
#elif defined(CJ_I386_REGS)
/* Only vm in a register (eax): with a in eax:edx and vm in ecx, an indirect
 * tail call has no free scratch register left (clang: "ran out of registers"). */
#  define CJ_PARAMS struct cj_vm *vm
#  define CJ_ARGS vm
#  define CJ_ENTRY_ARGS(vm) (vm)
#  define CJ_SAVE_REGS() ((void)0)
#  define CJ_RA (vm->a)
#  define CJ_RX (vm->x)
#  define CJ_RY (vm->y)
#  define CJ_RO (vm->o)
#  define CJ_RSP (vm->sp)
#elif defined(CJ_I386_GREGS)
/* vm in eax; a and x in global registers in the op templates (arch file). */
#  define CJ_PARAMS struct cj_vm *vm
#  define CJ_ARGS vm
#  define CJ_ENTRY_ARGS(vm) (vm)
#  if defined(CJ_VARIANT) /* the op templates */
register uint32_t cj_ga_lo __asm__("ebx");
register uint32_t cj_ga_hi __asm__("ebp");
register cj_word cj_gx __asm__("esi"); /* esi:edi */
#    define CJ_RA (((cj_word)cj_ga_hi << 32) | cj_ga_lo)
#    define CJ_SET_a(v) do { cj_word cj__t = (v); cj_ga_lo = (uint32_t)cj__t; cj_ga_hi = (uint32_t)(cj__t >> 32); } while (0)
#    define CJ_RX cj_gx
#    define CJ_SAVE_REGS() (vm->a = CJ_RA, vm->x = cj_gx)
#  else /* the runtime: CJ_ARCH_ENTER stores a and x when the program returns */
#    define CJ_SAVE_REGS() ((void)0)
#    define CJ_RA (vm->a)
#    define CJ_RX (vm->x)
#  endif
#  define CJ_RY (vm->y)
#  define CJ_RO (vm->o)
#  define CJ_RSP (vm->sp)
#endif

typedef cj_word (*cj_fn)(CJ_PARAMS) CJ_FNATTR;

#endif
