/* arch_copyjit.h (mips, mipsel, mips64, mips64el): copyjit's per-arch facts
 * (src/cj_arch.h lists what this file defines; docs/copyjit.md explains the
 * choices). */
#if defined(__clang__)
/* LLVM's mips backend does no tail calls unless asked (musttail errors
 * otherwise). Keep delay slots as nops (the trailing "b next; nop" then
 * matches the empty op). */
#  define CJ_OPS_ARCH_FLAGS "-mno-abicalls -mllvm -mips-tail-calls=1 -mllvm -disable-mips-delay-filler"
#else
/* Keep delay slots as nops so the trailing "b next; nop" is a clean pair. */
#  define CJ_OPS_ARCH_FLAGS "-mno-abicalls -fno-delayed-branch -Wa,-O0"
#endif
/* A direct `j` encodes bits of the absolute target: every j becomes b. */
#define CJ_ASM_REWRITE "mips-j-to-b"

#if JIT_ARCH_BITS == 64
#  define CJ_WIDE_REGS 1
#  define CJ__ADDU "daddu"
#else
#  define CJ_PAIR_REGS 1
#  define CJ__ADDU "addu"
#endif
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 4
#define CJ_NOP_WORD 0x00000000u
/* bal gives the PC in $ra (saved around it: the final op returns through
 * it to the C caller). The distance from there to the op's start is stored
 * as a data word that bal jumps over: clang's assembler rejects a symbol
 * difference as an addiu immediate. */
#define CJ_SELF_ASM(sym, out) do { unsigned long cj__t, cj__o;                  \
    __asm__(".set push\n\t.set noreorder\n\tmove %1, $31\n\tbal 2f\n\tnop\n"    \
            "1:\t.word " sym "-1b\n2:\tlw %2, 0($31)\n\t" CJ__ADDU " %0, $31, %2\n"   \
            "\tmove $31, %1\n\t.set pop"                                          \
            : "=&r"(out), "=&r"(cj__t), "=&r"(cj__o)); } while (0)
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.pc)
