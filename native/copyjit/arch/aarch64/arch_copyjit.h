/* arch_copyjit.h (aarch64): copyjit's per-arch facts (src/cj_arch.h lists
 * what this file defines; docs/copyjit.md explains the choices). */
/* adr reaches +-1 MiB; the small model's adrp is page-relative and wrong after a copy. */
#define CJ_OPS_ARCH_FLAGS "-mcmodel=tiny -mbranch-protection=none"

#define CJ_WIDE_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 4
#define CJ_NOP_WORD 0xd503201fu
/* adr reaches +-1 MiB, enough for CJ_DATA_DIST. */
#define CJ_DATA_ASM(sym, out) __asm__("adr %0, " sym "+" CJ_DATA_DIST_S : "=r"(out))
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.pc)
