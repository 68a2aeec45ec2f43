/* cj_arch.h: the per-architecture facts of copyjit, one #if/#elif chain.
 *
 * For each arch:
 *  - how pseudo-registers map to the fixed op signature. Every argument must
 *    be passed in a register: an argument passed on the stack stops GCC and
 *    clang from emitting clean tail jumps (clang i686/arm in the original).
 *    64-bit arches pass a, x, y, o, sp, vm (6 registers); arm and mips o32
 *    pass a (a register pair), sp, vm (4 registers); i686 passes a (eax:edx)
 *    and vm (ecx) with regparm(3). Pseudo-registers that do not fit live in
 *    the vm struct.
 *  - CJ_SELF_ASM: the address of the running copy of the op, from a
 *    PC-relative instruction referring to the op's own symbol (same section,
 *    so the distance survives copying). Data slots are at self + CJ_DATA_DIST.
 *  - the nop used to pad before an op whose data slots need alignment, and
 *    the faulting PC in a signal's ucontext.
 */
#ifndef CJ_ARCH_H
#define CJ_ARCH_H

#include <stdint.h>


/* Data slots of the op copied at code offset p live at p + CJ_DATA_DIST. */
#define CJ_DATA_DIST 262144u
#define CJ_DATA_DIST_S "262144" /* the same, for inline asm */

#if defined(__x86_64__)
#  define CJ_ARCH_NAME "x86_64"
#  define CJ_WIDE_REGS 1
#  define CJ_FNATTR
#  define CJ_DATA_ALIGN 1
#  define CJ_NOP_SIZE 1
#  define CJ_NOP_WORD 0x90u
/* One lea straight to the data: the displacement is resolved in-section. */
#  define CJ_DATA_ASM(sym, out) __asm__("lea " sym "+" CJ_DATA_DIST_S "(%%rip), %0" : "=r"(out))
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_RIP])
#elif defined(__i386__)
#  define CJ_ARCH_NAME "i686"
#  define CJ_I386_REGS 1
#  define CJ_FNATTR __attribute__((regparm(1)))
#  define CJ_DATA_ALIGN 1
#  define CJ_NOP_SIZE 1
#  define CJ_NOP_WORD 0x90u
/* No PC-relative addressing: call/pop (balanced, the native SP is unchanged). */
#  define CJ_SELF_ASM(sym, out) __asm__("call 1f\n1:\tpop %0\n\tlea " sym "-1b(%0), %0" : "=r"(out))
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_EIP])
#elif defined(__aarch64__)
#  define CJ_ARCH_NAME "aarch64"
#  define CJ_WIDE_REGS 1
#  define CJ_FNATTR
#  define CJ_DATA_ALIGN 8
#  define CJ_NOP_SIZE 4
#  define CJ_NOP_WORD 0xd503201fu
/* adr reaches +-1 MiB, enough for CJ_DATA_DIST. */
#  define CJ_DATA_ASM(sym, out) __asm__("adr %0, " sym "+" CJ_DATA_DIST_S : "=r"(out))
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.pc)
#elif defined(__arm__)
#  define CJ_ARCH_NAME "arm"
#  define CJ_PAIR_REGS 1
#  define CJ_FNATTR
#  define CJ_DATA_ALIGN 8
#  define CJ_NOP_SIZE 4
#  define CJ_NOP_WORD 0xe320f000u /* ARM-state nop: ops are compiled with -marm */
#  define CJ_SELF_ASM(sym, out) __asm__("adr %0, " sym : "=r"(out))
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.arm_pc)
#elif defined(__riscv) && __riscv_xlen == 64
#  define CJ_ARCH_NAME "riscv64"
#  define CJ_WIDE_REGS 1
#  define CJ_FNATTR
#  define CJ_DATA_ALIGN 8
/* c.nop: with the C extension (rv64gc) ops are 2-byte multiples, so the
 * padding before an aligned op can be 2 bytes. */
#  define CJ_NOP_SIZE 2
#  define CJ_NOP_WORD 0x0001u
/* norelax: the linker must not turn auipc+addi into a gp-relative address. */
#  define CJ_SELF_ASM(sym, out) \
    __asm__(".option push\n\t.option norelax\n\tlla %0, " sym "\n\t.option pop" : "=r"(out))
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.__gregs[REG_PC])
#elif defined(__mips__)
#  if defined(__mips64)
#    define CJ_ARCH_NAME "mips64"
#    define CJ_WIDE_REGS 1
#    define CJ__ADDU "daddu"
#  else
#    define CJ_ARCH_NAME "mips"
#    define CJ_PAIR_REGS 1
#    define CJ__ADDU "addu"
#  endif
#  define CJ_FNATTR
#  define CJ_DATA_ALIGN 8
#  define CJ_NOP_SIZE 4
#  define CJ_NOP_WORD 0x00000000u
/* bal gives the PC in $ra (saved around it: the final op returns through
 * it to the C caller). The distance from there to the op's start is stored
 * as a data word that bal jumps over: clang's assembler rejects a symbol
 * difference as an addiu immediate. */
#  define CJ_SELF_ASM(sym, out) do { unsigned long cj__t, cj__o;                  \
    __asm__(".set push\n\t.set noreorder\n\tmove %1, $31\n\tbal 2f\n\tnop\n"    \
            "1:\t.word " sym "-1b\n2:\tlw %2, 0($31)\n\t" CJ__ADDU " %0, $31, %2\n"   \
            "\tmove $31, %1\n\t.set pop"                                          \
            : "=&r"(out), "=&r"(cj__t), "=&r"(cj__o)); } while (0)
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.pc)
#else
#  error "copyjit: unsupported architecture (add it to cj_arch.h)"
#endif

#endif
