/* arch_copyjit.h (arm): copyjit's per-arch facts (src/cj_arch.h lists what
 * this file defines; docs/copyjit.md explains the choices). */
/* Ops in ARM state, entered with bit 0 clear: a Thumb op branching to its
 * (untyped) end symbol gets a Thumb->ARM veneer from the linker. */
#define CJ_OPS_ARCH_FLAGS "-marm"

#define CJ_PAIR_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 4
#define CJ_NOP_WORD 0xe320f000u /* ARM-state nop: ops are compiled with -marm */
#define CJ_SELF_ASM(sym, out) __asm__("adr %0, " sym : "=r"(out))
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.arm_pc)
/* cj_ops_thumb_A: set by the templates (ops_body.h), declared in templates.c. */
#define CJ_ARCH_DESC() (cj_ops_thumb_A ? "arm (Thumb templates)" : "arm (ARM-state templates)")
