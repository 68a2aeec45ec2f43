/* arch_copyjit.h (hppa): copyjit's per-arch facts (src/cj_arch.h lists
 * what this file defines; docs/arches/hppa.md explains the choices).
 * Four argument registers (%r26-%r23): a as a register pair, sp, vm. */
#define CJ_OPS_ARCH_FLAGS ""

#define CJ_PAIR_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 4
#define CJ_NOP_WORD 0x08000240u /* or %r0, %r0, %r0 */
/* bl .+8 puts the address after its delay slot, with the privilege level in
 * the low two bits, in the register: clear them, then step back to the op's
 * start (an assembly-time constant). */
#define CJ_SELF_ASM(sym, out) \
    __asm__("bl 1f, %0\n\tnop\n1:\tdepi 0, 31, 2, %0\n\tldo " sym "-1b(%0), %0" : "=r"(out))
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.sc_iaoq[0] & ~(uintptr_t)3)
