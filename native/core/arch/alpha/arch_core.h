/* arch_core.h (alpha): the core's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; arch/mips/arch_core.h is a
 * complete example). */
#error "core: alpha is not ported yet (see docs/porting.md)"
