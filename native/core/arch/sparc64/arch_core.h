/* arch_core.h (sparc64): the core's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; arch/mips/arch_core.h is a
 * complete example). */
#error "core: sparc64 is not ported yet (see docs/porting.md)"
