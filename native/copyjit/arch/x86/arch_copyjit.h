/* arch_copyjit.h (x86_64, i686): copyjit's per-arch facts (src/cj_arch.h
 * lists what this file defines; docs/copyjit.md explains the choices). */
/* No endbr at op starts. */
#define CJ_OPS_ARCH_FLAGS "-fcf-protection=none"
/* Loop heads (labels bound before use) start 32-aligned, padded with the
 * multi-byte nops (builder.c, templates.c). */
#define CJ_LOOP_ALIGN 32
#define CJ_NOP_X86_LONG 1

#if defined(JIT_ARCH_X86_64)
#  define CJ_WIDE_REGS 1
#  define CJ_FNATTR
#  define CJ_DATA_ALIGN 1
#  define CJ_NOP_SIZE 1
#  define CJ_NOP_WORD 0x90u
/* Slots read by the instructions that use them, through the op's data
 * symbol (ops_body.h, CJ_DATA_SYM): cmp cjAd_op(%rip), %rsi. */
#  define CJ_DATA_SYM 1
/* The immediate of a compare-and-branch op in a register, not a memory
 * operand: "mov cjAd_op(%rip), %rax; cmp %rax, %rsi; jae" lets the compare
 * fuse with its branch (measured: the billion-sum's loop ~0.1x of C -O1
 * faster than with "cmp cjAd_op(%rip), %rsi"). */
#  define CJ_CMP_OPERAND(v) __asm__("" : "+r"(v))
/* The former way, one lea to the data (displacement resolved in-section),
 * still used when CJ_DATA_SYM is off. */
#  define CJ_DATA_ASM(sym, out) __asm__("lea " sym "+" CJ_DATA_DIST_S "(%%rip), %0" : "=r"(out))
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_RIP])
#else /* i686 */
#  if defined(__clang__)
#    define CJ_I386_REGS 1
#  else
/* GCC: a in ebx (low) and ebp (high), x in esi:edi, as global register
 * variables of the op templates (cj_vm.h): they stay in those registers
 * from op to op, and vm (eax), the data address and one scratch (edx, ecx)
 * are left for the ops, enough for a clean indirect tail jump. The entry
 * (CJ_ARCH_ENTER) saves the C caller's ebx, esi, edi and ebp, loads a and
 * x, and stores them back when the program returns (5 pushes + 12 bytes
 * keep the call's stack 16-aligned as the i386 psABI wants, if it was). clang has no global
 * register variables: its i686 ops keep everything in the vm. */
#    define CJ_I386_GREGS 1
#    define CJ_ARCH_ENTER(entry, vm)                                                          \
    do {                                                                                       \
        struct cj_vm *cj__vm = (vm);                                                           \
        void *cj__fn = (void *)(entry);                                                        \
        __asm__ volatile("push %%ebp\n\tpush %%ebx\n\tpush %%esi\n\tpush %%edi\n\tpush %%eax\n\t" \
                         "mov 0(%%eax), %%ebx\n\tmov 4(%%eax), %%ebp\n\t"                      \
                         "mov 8(%%eax), %%esi\n\tmov 12(%%eax), %%edi\n\t"                     \
                         "sub $12, %%esp\n\tcall *%%ecx\n\tadd $12, %%esp\n\t"                   \
                         "pop %%eax\n\t"                                                        \
                         "mov %%ebx, 0(%%eax)\n\tmov %%ebp, 4(%%eax)\n\t"                      \
                         "mov %%esi, 8(%%eax)\n\tmov %%edi, 12(%%eax)\n\t"                     \
                         "pop %%edi\n\tpop %%esi\n\tpop %%ebx\n\tpop %%ebp"                    \
                         : "+a"(cj__vm), "+c"(cj__fn)                                          \
                         :                                                                     \
                         : "edx", "memory", "cc");                                             \
    } while (0)
/* ebp holds a's high half: the stack mark reads esp instead. */
#    define CJ_ARCH_SPMARK() ({ uintptr_t cj__s; __asm__ volatile("mov %%esp, %0" : "=r"(cj__s)); cj__s; })
#  endif
#  define CJ_FNATTR __attribute__((regparm(1)))
#  define CJ_DATA_ALIGN 1
#  define CJ_NOP_SIZE 1
#  define CJ_NOP_WORD 0x90u
/* No PC-relative addressing: call/pop (balanced, the native SP is unchanged). */
#  define CJ_SELF_ASM(sym, out) __asm__("call 1f\n1:\tpop %0\n\tlea " sym "-1b(%0), %0" : "=r"(out))
#  define CJ_UC_PC(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_EIP])
#endif
