/* arch_copyjit.h (riscv64): copyjit's per-arch facts (src/cj_arch.h lists
 * what this file defines; docs/copyjit.md explains the choices). */
/* medlow addresses are absolute; relaxation could make auipc+addi gp-relative. */
#define CJ_OPS_ARCH_FLAGS "-mcmodel=medany -mno-relax"

#define CJ_WIDE_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
/* c.nop: with the C extension (rv64gc) ops are 2-byte multiples, so the
 * padding before an aligned op can be 2 bytes. */
#define CJ_NOP_SIZE 2
#define CJ_NOP_WORD 0x0001u
/* norelax: the linker must not turn auipc+addi into a gp-relative address. */
#define CJ_SELF_ASM(sym, out) \
    __asm__(".option push\n\t.option norelax\n\tlla %0, " sym "\n\t.option pop" : "=r"(out))
#define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.__gregs[REG_PC])
