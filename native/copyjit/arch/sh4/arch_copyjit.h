/* arch_copyjit.h (sh4): copyjit's per-arch facts (src/cj_arch.h lists what
 * this file defines; docs/arches/sh4.md explains the choices). */
/* GCC's direct tail call on SH is `mov.l .Lk, rN; jmp @rN` with the end
 * symbol's ABSOLUTE address in a literal pool after the jump (GNU as has no
 * relocation for a bra to an undefined symbol). "sh4-bra-tail"
 * (cmake/rewrite_asm.cmake) turns it into `bra` to a label at the op's own
 * end (64 bytes further in variant B, as the linker script places cjBe_),
 * drops the literal, and 4-aligns the bra and each op's end.
 * -fno-delayed-branch: the delay slot stays a nop, so `bra next; nop` is the
 * same 4 bytes in every op and in the empty op. */
#define CJ_OPS_ARCH_FLAGS "-fno-delayed-branch"
#define CJ_ASM_REWRITE "sh4-bra-tail"

/* Four argument registers (r4-r7): a in r4:r5, sp r6, vm r7. */
#define CJ_PAIR_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 2
#define CJ_NOP_WORD 0x0009u /* nop */
/* The data address without a literal pool: mova reaches only FORWARD, to a
 * 4-aligned label, so it takes the label just after this sequence, then
 * adds CJ_DATA_DIST (1 << 18, built by shifts) and the assembly-time
 * distance back to the op's start. mova and mov.l @(disp,pc) count from the
 * 4-aligned PC: the rewrite keeps every op a multiple of 4 bytes, so copies
 * stay at their template's address mod 4. */
#define CJ_DATA_ASM(sym, out) do {                                              \
    uintptr_t cj__t;                                                            \
    __asm__("mova 1f, %0\n\tmov #1, %1\n\tshll16 %1\n\tshll2 %1\n\tadd %1, %0\n\t" \
            "add #(" sym "-1f), %0\n\t.balign 4\n1:"                            \
            : "=z"(out), "=&r"(cj__t));                                         \
    } while (0)
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.pc)
/* GCC calls abort() for __builtin_trap on SH (through an absolute literal).
 * trapa #0x3b: the kernel's debug_trap_handler rewinds the PC to the trapa
 * and sends SIGTRAP (so CJ_UC_PC is the trapping op). */
#define CJ_ARCH_TRAP() do { __asm__ volatile("trapa #0x3b"); __builtin_unreachable(); } while (0)
