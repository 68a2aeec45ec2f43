/* cj_arch.h: the per-architecture facts of copyjit. The arch is selected
 * once, by jit/config_cpu.h; its facts are in arch/<JIT_ARCH_DIR>/arch_copyjit.h
 * (on the include path through native/cmake/jit_arch.cmake). That file
 * defines (docs/porting.md):
 *  - the register layout: how pseudo-registers map to the fixed op
 *    signature, by defining one of CJ_WIDE_REGS (a, x, y, o, sp, vm: six
 *    register arguments, 64-bit arches), CJ_PAIR_REGS (a as a register pair,
 *    sp, vm: four, 32-bit arches) or CJ_I386_REGS (vm only). Every argument
 *    must be passed in a register: an argument passed on the stack stops GCC
 *    and clang from emitting clean tail jumps. Pseudo-registers that do not
 *    fit live in the vm struct. CJ_FNATTR: attributes of the op signature.
 *  - CJ_DATA_ASM(sym, out) (data address in one instruction) or
 *    CJ_SELF_ASM(sym, out): the address of the running copy of the op, from
 *    a PC-relative instruction referring to the op's own symbol (same
 *    section, so the distance survives copying). Data slots are at
 *    self + CJ_DATA_DIST, aligned to CJ_DATA_ALIGN.
 *  - CJ_NOP_SIZE/CJ_NOP_WORD, the nop used to pad before an op whose data
 *    slots need alignment; CJ_UC_PC(uc), the faulting PC in a signal's
 *    ucontext; optionally CJ_ARCH_DESC() (default: JIT_ARCH_NAME) and
 *    CJ_SIG_PC(sig, si, uc), the faulting instruction's address where the
 *    ucontext PC points past it (s390x, m68k; default: CJ_UC_PC(uc)).
 *    CJ_CODE_ADDR(f) (default: f itself; ELFv1 reads the descriptor).
 *  - for CMake (read by preprocessing the file): CJ_OPS_ARCH_FLAGS, the
 *    string of extra compiler flags for the op templates, and optionally
 *    CJ_ASM_REWRITE, the name of a rewrite in cmake/rewrite_asm.cmake.
 */
#ifndef CJ_ARCH_H
#define CJ_ARCH_H

#include <stdint.h>

#include "jit/config_cpu.h"

/* Data slots of the op copied at code offset p live at p + CJ_DATA_DIST. */
#define CJ_DATA_DIST 262144u
#define CJ_DATA_DIST_S "262144" /* the same, for inline asm */

#include "arch_copyjit.h"

/* The code address of a C function or op symbol: the symbol itself, except
 * where a function symbol names a descriptor (powerpc64 ELFv1). */
#ifndef CJ_CODE_ADDR
#define CJ_CODE_ADDR(f) ((const uint8_t *)(uintptr_t)(f))
#endif

#ifndef CJ_ARCH_DESC
#define CJ_ARCH_DESC() JIT_ARCH_NAME
#endif

#endif
