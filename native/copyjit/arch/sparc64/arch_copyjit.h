/* arch_copyjit.h (sparc64): copyjit's per-arch facts (src/cj_arch.h lists
 * what this file defines; docs/arches/sparc64.md explains the choices).
 * Six register arguments (%o0-%o5): every op argument is in a register. */
/* -O1: at -O2 the call op needs one register more than a leaf function has
 * (%g1-%g5, %o0-%o5) and gets a register window (save), which CJ_ARCH_TAIL
 * below cannot leave. -fcall-used-g6: the same for the trace op at -O1. %g6
 * is reserved for the system in the ABI, but Linux keeps user %g6 across
 * traps and signals, and neither GCC-compiled C nor glibc uses it; ops
 * clobber it only between entering and leaving JIT code. */
#if defined(__clang__)
#  define CJ_OPS_ARCH_FLAGS "-mcmodel=medlow"
#else
#  define CJ_OPS_ARCH_FLAGS "-mcmodel=medlow -O1 -fcall-used-g6"
#endif

#define CJ_WIDE_REGS 1
#define CJ_FNATTR
#define CJ_DATA_ALIGN 8
#define CJ_NOP_SIZE 4
#define CJ_NOP_WORD 0x01000000u /* nop (sethi 0, %g0) */
/* rd %pc gives the address of the rd itself; the distance back to the op's
 * start is an assembly-time constant (same section), well inside simm13. */
#define CJ_SELF_ASM(sym, out) \
    __asm__("1:\trd %%pc, %0\n\tadd %0, " sym "-1b, %0" : "=r"(out))
/* Linux sparc64 passes the handler's third argument as &frame->info (kernel
 * signal_64.c: "the sigcontext is passed in this way because of how it has
 * always worked"), not a ucontext_t: the frame's struct pt_regs follows the
 * siginfo_t, and its tpc comes after u_regs[16] and tstate. qemu-user builds
 * the same frame. */
#define CJ_UC_PC(uc) \
    ((uintptr_t)((const unsigned long *)((const char *)(uc) + sizeof(siginfo_t)))[16 + 1])
/* GCC's sparc backend makes no indirect sibling call (sparc_function_ok_for_sibcall
 * needs a decl): `return fn(args)` through a pointer became call + ret inside
 * a register window (63 ops failed the stack check). Ops are leaf functions
 * (no save: the arguments stay in %o0-%o5), so an indirect tail call is a
 * plain jump with the arguments pinned in their registers. */
#define CJ_ARCH_TAIL(fn) do {                                                     \
    uintptr_t cj__g1 = (uintptr_t)(fn);                                          \
    register cj_word cj__o0 __asm__("i0") = a;                                    \
    register cj_word cj__o1 __asm__("i1") = x;                                    \
    register cj_word cj__o2 __asm__("i2") = y;                                    \
    register cj_word cj__o3 __asm__("i3") = o;                                    \
    register cj_word *cj__o4 __asm__("i4") = sp;                                  \
    register struct cj_vm *cj__o5 __asm__("i5") = vm;                             \
    __asm__ volatile("jmp %0\n\t nop"                                             \
                     : : "r"(cj__g1), "r"(cj__o0), "r"(cj__o1), "r"(cj__o2),     \
                       "r"(cj__o3), "r"(cj__o4), "r"(cj__o5) : "memory");         \
    __builtin_unreachable(); } while (0)
/* __builtin_trap is `ta 5`, which qemu-user 7.2 does not turn into a signal
 * ("Unhandled trap: 0x105", the process exits): illtrap raises SIGILL. */
#define CJ_ARCH_TRAP() do { __asm__ volatile(".word 0 /* illtrap 0 (clang 16+ has no mnemonic) */"); __builtin_unreachable(); } while (0)
