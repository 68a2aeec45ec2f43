/* config_cpu.h: THE architecture selector of every native component (core,
 * copyjit, smc) and of the CMake helper native/cmake/jit_arch.cmake, which
 * preprocesses this file to learn the arch. One #if/#elif chain on the
 * compiler's predefined macros defines exactly one
 *   JIT_ARCH_<NAME>   e.g. JIT_ARCH_MIPS64EL, for #if in per-arch code
 *   JIT_ARCH_NAME     the arch's name in matrix.yaml, e.g. "mips64el"
 *   JIT_ARCH_DIR      the code directory arch/<dir>/ of every component;
 *                     byte-order and width variants share one: "x86" (x86_64,
 *                     i686), "mips" (mips, mipsel, mips64, mips64el),
 *                     "powerpc" (powerpc, powerpc64, powerpc64le)
 * and, derived for every arch, JIT_ARCH_BITS (32/64, pointer width) and
 * JIT_ARCH_BIG_ENDIAN (0/1). Per-arch facts (jump sizes, encoders, ...) live
 * in the components' arch/<dir>/ files, not here. Adding an arch: one branch
 * here only if the compiler's macros are not recognised yet (see
 * docs/porting.md). The selection cannot be overridden with -D. */
#ifndef JIT_CONFIG_CPU_H
#define JIT_CONFIG_CPU_H

#if defined(JIT_ARCH_NAME) || defined(JIT_ARCH_DIR)
#error "config_cpu.h selects the architecture from the compiler's macros: do not predefine JIT_ARCH_*"
#endif

#define JIT_CPU__LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#define JIT_CPU__BE (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)

#if defined(__x86_64__)
#define JIT_ARCH_X86_64 1
#define JIT_ARCH_NAME "x86_64"
#define JIT_ARCH_DIR "x86"
#elif defined(__i386__)
#define JIT_ARCH_I686 1
#define JIT_ARCH_NAME "i686"
#define JIT_ARCH_DIR "x86"
#elif defined(__aarch64__) && JIT_CPU__LE
#define JIT_ARCH_AARCH64 1
#define JIT_ARCH_NAME "aarch64"
#define JIT_ARCH_DIR "aarch64"
#elif defined(__arm__) && JIT_CPU__LE
#define JIT_ARCH_ARM 1
#define JIT_ARCH_NAME "arm"
#define JIT_ARCH_DIR "arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define JIT_ARCH_RISCV64 1
#define JIT_ARCH_NAME "riscv64"
#define JIT_ARCH_DIR "riscv64"
#elif defined(__mips__) && defined(_ABIO32) && _MIPS_SIM == _ABIO32 && defined(__MIPSEB__)
#define JIT_ARCH_MIPS 1
#define JIT_ARCH_NAME "mips"
#define JIT_ARCH_DIR "mips"
#elif defined(__mips__) && defined(_ABIO32) && _MIPS_SIM == _ABIO32 && defined(__MIPSEL__)
#define JIT_ARCH_MIPSEL 1
#define JIT_ARCH_NAME "mipsel"
#define JIT_ARCH_DIR "mips"
#elif defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64 && defined(__MIPSEB__)
#define JIT_ARCH_MIPS64 1
#define JIT_ARCH_NAME "mips64"
#define JIT_ARCH_DIR "mips"
#elif defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64 && defined(__MIPSEL__)
#define JIT_ARCH_MIPS64EL 1
#define JIT_ARCH_NAME "mips64el"
#define JIT_ARCH_DIR "mips"
#elif defined(__powerpc64__) && defined(_CALL_ELF) && _CALL_ELF == 2 && JIT_CPU__LE
#define JIT_ARCH_POWERPC64LE 1 /* ELFv2: no function descriptors */
#define JIT_ARCH_NAME "powerpc64le"
#define JIT_ARCH_DIR "powerpc"
#elif defined(__powerpc64__) && (!defined(_CALL_ELF) || _CALL_ELF == 1) && JIT_CPU__BE
#define JIT_ARCH_POWERPC64 1 /* ELFv1: a function pointer points to a descriptor */
#define JIT_ARCH_NAME "powerpc64"
#define JIT_ARCH_DIR "powerpc"
#elif defined(__powerpc__) && !defined(__powerpc64__) && JIT_CPU__BE
#define JIT_ARCH_POWERPC 1
#define JIT_ARCH_NAME "powerpc"
#define JIT_ARCH_DIR "powerpc"
#elif defined(__s390x__)
#define JIT_ARCH_S390X 1
#define JIT_ARCH_NAME "s390x"
#define JIT_ARCH_DIR "s390x"
#elif defined(__sparc__) && defined(__arch64__)
#define JIT_ARCH_SPARC64 1
#define JIT_ARCH_NAME "sparc64"
#define JIT_ARCH_DIR "sparc64"
#elif defined(__m68k__)
#define JIT_ARCH_M68K 1
#define JIT_ARCH_NAME "m68k"
#define JIT_ARCH_DIR "m68k"
#elif defined(__sh__) && defined(__SH4__) && JIT_CPU__LE
#define JIT_ARCH_SH4 1
#define JIT_ARCH_NAME "sh4"
#define JIT_ARCH_DIR "sh4"
#elif defined(__hppa__)
#define JIT_ARCH_HPPA 1
#define JIT_ARCH_NAME "hppa"
#define JIT_ARCH_DIR "hppa"
#elif defined(__alpha__)
#define JIT_ARCH_ALPHA 1
#define JIT_ARCH_NAME "alpha"
#define JIT_ARCH_DIR "alpha"
#elif defined(__arc__) && JIT_CPU__LE
#define JIT_ARCH_ARC 1
#define JIT_ARCH_NAME "arc"
#define JIT_ARCH_DIR "arc"
#else
#error "config_cpu.h: unsupported architecture or ABI (see docs/porting.md)"
#endif

#define JIT_ARCH_BITS (__SIZEOF_POINTER__ * 8)
#define JIT_ARCH_BIG_ENDIAN JIT_CPU__BE

#endif
