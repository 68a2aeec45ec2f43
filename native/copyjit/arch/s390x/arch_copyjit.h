/* arch_copyjit.h (s390x): copyjit's per-arch facts (src/cj_arch.h lists
 * what this file defines; docs/copyjit.md and docs/arches/s390x.md explain
 * the choices). */
#define CJ_OPS_ARCH_FLAGS ""

/* Arguments go in r2..r6, but r6 is callee-saved: a function that receives a
 * fifth argument must restore r6 before returning, so neither GCC nor clang
 * can tail-call with five or six arguments. (a, sp, vm) in r2, r3, r4. */
#define CJ_PAIR_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 2
#define CJ_NOP_WORD 0x0700u /* bcr 0,%r0 */
/* larl: PC-relative, halfword offset, one instruction straight to the data. */
#define CJ_DATA_ASM(sym, out) __asm__("larl %0, " sym "+" CJ_DATA_DIST_S : "=a"(out))
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.psw.addr)
/* GCC 12 computes ~m for a pseudo-register held in the vm (m in memory) as
 * `xc m(8), .LC` with a -1 constant in .rodata, reached by larl: a
 * PC-relative reference out of the op. An empty asm puts the value in a
 * register first; GCC then emits lghi -1 + xgr (clang never used the pool). */
#define CJ_NOT(v) ({ cj_word cj__v = (v); __asm__("" : "+d"(cj__v)); ~cj__v; })
/* Every op section's `.align 8` (GCC) becomes `.align 2`: otherwise GNU as
 * pads each op to 8 bytes with nopr %r7 after its tail jump. */
#define CJ_ASM_REWRITE "s390x-ops-align2"
/* For SIGILL and SIGFPE the PSW in the ucontext points past the faulting
 * instruction (the kernel knows its length from the interruption code, the
 * ucontext does not carry it); si_addr is the instruction itself. For
 * SIGSEGV/SIGBUS (nullified) the PSW points at the instruction. */
#define CJ_SIG_PC(sig, si, uc) \
    ((sig) == SIGILL || (sig) == SIGFPE ? (uintptr_t)(si)->si_addr : CJ_UC_PC(uc))
