/* arch_copyjit.h (powerpc, powerpc64, powerpc64le): copyjit's per-arch
 * facts (src/cj_arch.h lists what this file defines; docs/copyjit.md and
 * docs/arches/powerpc*.md explain the choices). */
/* No small-data area: r13-relative addresses of .sdata are not position-free. */
#if JIT_ARCH_BITS == 32 && !defined(__clang__)
#  define CJ_OPS_ARCH_FLAGS "-msdata=none -G0" /* clang has no small data here */
#elif !defined(__clang__)
/* No traceback table after each function (it would follow the tail jump). */
#  define CJ_OPS_ARCH_FLAGS "-mtraceback=no"
#else
#  define CJ_OPS_ARCH_FLAGS ""
#endif

#if JIT_ARCH_BITS == 64
/* ELFv1/ELFv2: GCC and clang tail-call only functions defined in the same
 * file (another object may have another TOC): NEXT goes to local stubs and
 * the assembly rewrite retargets those branches to the end symbols. */
#  define CJ_LOCAL_END_STUBS 1
#  define CJ_ASM_REWRITE "ppc-stub-to-end"
#endif

#if JIT_ARCH_BITS == 64
#  define CJ_WIDE_REGS 1
#else
/* r3..r10 carry four 64-bit arguments (aligned pairs): a, sp, vm fit. */
#  define CJ_PAIR_REGS 1
#endif
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 4
#define CJ_NOP_WORD 0x60000000u /* ori r0, r0, 0 */
/* bcl 20,31 (the form that leaves the return-address predictor alone) puts
 * the PC in LR, which is saved around it: the final op returns through LR. */
#if defined(JIT_ARCH_POWERPC64)
/* ELFv1: the op's symbol is its descriptor in .opd; GCC labels the code
 * .L.<symbol>. */
#  define CJ__CODE_SYM(sym) ".L." sym
/* A function or op symbol names a descriptor {entry, TOC, env}: read the entry. */
#  define CJ_CODE_ADDR(f) (*(const uint8_t *const *)(const void *)(f))
#else
#  define CJ__CODE_SYM(sym) sym
#endif
#define CJ_SELF_ASM(sym, out) do { unsigned long cj__t;                          \
    __asm__("mflr %1\n\tbcl 20, 31, 1f\n1:\tmflr %0\n\tmtlr %1\n\t"             \
            "addi %0, %0, " CJ__CODE_SYM(sym) "-1b"                            \
            : "=&b"(out), "=&r"(cj__t)); } while (0)
/* The NIP slot (PT_NIP = 32) of the saved registers. */
#if JIT_ARCH_BITS == 64
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.gp_regs[32])
#else
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.uc_regs->gregs[32])
#endif
