/* arch_copyjit.h (arc): copyjit's per-arch facts (src/cj_arch.h lists what
 * this file defines; docs/arches/arc.md explains the choices). */
/* No delay slots filled: the tail jump stays a plain `b next`, as in the
 * empty op. The rewrite 4-aligns each op's final jump and end (below). */
#define CJ_OPS_ARCH_FLAGS "-fno-delayed-branch"
/* Every ARC PC-relative branch and pcl operand counts from PCL, the
 * instruction's address with bits 1:0 cleared: an op copied at another
 * address mod 4 than its template would branch 2 bytes off. Templates start
 * 16-aligned; "arc-align4" pads each op's final `b` and its end to 4, so
 * every op (stripped or not) is a multiple of 4 bytes and copies stay at the
 * template's alignment mod 4 (ops with data are 8-aligned by the builder). */
#define CJ_ASM_REWRITE "arc-align4"

/* Eight argument registers (r0-r7): a in r0:r1, sp r2, vm r3. */
#define CJ_PAIR_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 2
#define CJ_NOP_WORD 0x78e0u /* nop_s */
/* add rd, pcl, sym@pcl: the assembler resolves the same-section distance
 * from PCL (no relocation); the result is the op's own start. */
#define CJ_SELF_ASM(sym, out) __asm__("add %0, pcl, @" sym "@pcl" : "=r"(out))
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.__ret)
/* GCC's __builtin_trap is `trap_s 5`, which Linux's do_non_swi_trap()
 * ignored (no case 5) before it learnt it; `trap_s 1` (breakpoint) is
 * SIGTRAP on every kernel. A trap's ERET is the NEXT instruction: trap_s is
 * 2 bytes, so the trapping op is at PC - 2. */
#define CJ_ARCH_TRAP() do { __asm__ volatile("trap_s 1"); __builtin_unreachable(); } while (0)
#define CJ_SIG_PC(sig, si, uc) (CJ_UC_PC(uc) - ((void)(si), (sig) == SIGTRAP ? 2u : 0u))
