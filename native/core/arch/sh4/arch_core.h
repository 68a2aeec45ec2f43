/* arch_core.h (sh4): the core's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; arch/mips/arch_core.h is a
 * complete example). */
#error "core: sh4 is not ported yet (see docs/porting.md)"
