/* arch_core.h (powerpc, powerpc64, powerpc64le): the core's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; arch/mips/arch_core.h is a
 * complete example). */
#error "core: powerpc is not ported yet (see docs/porting.md)"
