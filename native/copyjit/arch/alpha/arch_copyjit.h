/* arch_copyjit.h (alpha): copyjit's per-arch facts (src/cj_arch.h lists
 * what this file defines; docs/arches/alpha.md explains the choices).
 * Six register arguments ($16-$21). */
#define CJ_OPS_ARCH_FLAGS "-msmall-data -msmall-text"

#define CJ_WIDE_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 4
#define CJ_NOP_WORD 0x47ff041fu /* bis $31, $31, $31 */
/* br puts the address after it in the register; the distance back to the
 * op's start is an assembly-time constant. */
#define CJ_SELF_ASM(sym, out) \
    __asm__("br %0, 1f\n1:\tlda %0, " sym "-1b(%0)" : "=r"(out))
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.sc_pc)
#define CJ_ASM_REWRITE "alpha-plain-br"
