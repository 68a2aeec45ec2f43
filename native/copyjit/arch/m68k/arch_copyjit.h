/* arch_copyjit.h (m68k): copyjit's per-arch facts (src/cj_arch.h lists what
 * this file defines; docs/copyjit.md and docs/arches/m68k.md explain the
 * choices). */
#define CJ_OPS_ARCH_FLAGS ""

/* All arguments go on the stack; a sibling call with the same signature
 * reuses the caller's argument area in place. */
#define CJ_PAIR_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 4
#define CJ_NOP_SIZE 2
#define CJ_NOP_WORD 0x4e71u /* nop */
/* lea (d16,%pc): PC-relative, 16-bit displacement to the op's own start. */
#define CJ_SELF_ASM(sym, out) __asm__("lea " sym "(%%pc), %0" : "=a"(out))
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[R_PC])
/* GCC's __builtin_trap is `trap #7`: SIGILL with si_code ILL_ILLTRP and the
 * PC (ucontext and si_addr) AFTER it; `trap #n` is always 2 bytes. Other
 * faults (illegal: ILL_ILLOPN, bus/address errors) report the instruction. */
#define CJ_SIG_PC(sig, si, uc) \
    (CJ_UC_PC(uc) - ((sig) == SIGILL && (si)->si_code == ILL_ILLTRP ? 2u : 0u))
