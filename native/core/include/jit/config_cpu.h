/* config_cpu.h: selects exactly one JIT_ARCH_* for this build, and the facts
 * that public headers need (entry sizes). Set one JIT_ARCH_* by hand or let
 * the compiler's predefined macros pick it. */
#ifndef JIT_CONFIG_CPU_H
#define JIT_CONFIG_CPU_H

#if defined(JIT_ARCH_X86_64) + defined(JIT_ARCH_X86_32) + defined(JIT_ARCH_AARCH64) +        \
        defined(JIT_ARCH_ARM) + defined(JIT_ARCH_RISCV64) + defined(JIT_ARCH_MIPS32) +         \
        defined(JIT_ARCH_MIPS64) > 1
#error "Multiple JIT_ARCH_* are selected"
#endif

#if !defined(JIT_ARCH_X86_64) && !defined(JIT_ARCH_X86_32) && !defined(JIT_ARCH_AARCH64) &&    \
    !defined(JIT_ARCH_ARM) && !defined(JIT_ARCH_RISCV64) && !defined(JIT_ARCH_MIPS32) &&        \
    !defined(JIT_ARCH_MIPS64)
#if defined(__x86_64__)
#define JIT_ARCH_X86_64 1
#elif defined(__i386__)
#define JIT_ARCH_X86_32 1
#elif defined(__aarch64__)
#define JIT_ARCH_AARCH64 1
#elif defined(__arm__)
#define JIT_ARCH_ARM 1
#elif defined(__riscv) && __riscv_xlen == 64
#define JIT_ARCH_RISCV64 1
#elif defined(__mips__) && defined(_ABIO32) && _MIPS_SIM == _ABIO32
#define JIT_ARCH_MIPS32 1
#elif defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64
#define JIT_ARCH_MIPS64 1
#else
#error "Unsupported architecture: set one JIT_ARCH_* (x86_64, i686, aarch64, armv7, riscv64, mips o32, mips n64)"
#endif
#endif

/* JIT_ARCH_LONG_JUMP_SIZE: bytes of the longest jump sequence the core emits
 * (reaches any address). JIT_ARCH_ENTRY_SIZE: that, rounded up to the entry
 * alignment; every allocation is at least this large, so any code can be
 * patched with a jump without touching its neighbour. */
#if defined(JIT_ARCH_X86_64)
#define JIT_ARCH_NAME "x86_64"
#define JIT_ARCH_LONG_JUMP_SIZE 14 /* jmp [rip+0]; .quad target */
#define JIT_ARCH_ENTRY_SIZE 16
#elif defined(JIT_ARCH_X86_32)
#define JIT_ARCH_NAME "i686"
#define JIT_ARCH_LONG_JUMP_SIZE 5 /* jmp rel32 reaches all of a 32-bit space */
#define JIT_ARCH_ENTRY_SIZE 8      /* patched as one aligned 8-byte word */
#elif defined(JIT_ARCH_AARCH64)
#define JIT_ARCH_NAME "aarch64"
#define JIT_ARCH_LONG_JUMP_SIZE 16 /* ldr x16, 8; br x16; .quad target */
#define JIT_ARCH_ENTRY_SIZE 16
#elif defined(JIT_ARCH_ARM)
#define JIT_ARCH_NAME "arm"
#define JIT_ARCH_LONG_JUMP_SIZE 8 /* ldr pc, [pc, #-4]; .word target */
#define JIT_ARCH_ENTRY_SIZE 8
#elif defined(JIT_ARCH_RISCV64)
#define JIT_ARCH_NAME "riscv64"
#define JIT_ARCH_LONG_JUMP_SIZE 24 /* auipc t0; ld t0, 16(t0); jr t0; pad; .quad */
#define JIT_ARCH_ENTRY_SIZE 24
#elif defined(JIT_ARCH_MIPS32)
#define JIT_ARCH_NAME "mips32"
#define JIT_ARCH_LONG_JUMP_SIZE 16 /* lui t9; ori t9; jr t9; nop */
#define JIT_ARCH_ENTRY_SIZE 16
#elif defined(JIT_ARCH_MIPS64)
#define JIT_ARCH_NAME "mips64"
#define JIT_ARCH_LONG_JUMP_SIZE 32 /* lui/ori/dsll/ori/dsll/ori t9; jr t9; nop */
#define JIT_ARCH_ENTRY_SIZE 32
#endif

#endif
