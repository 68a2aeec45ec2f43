/* arch_core.h (s390x): the core's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; arch/mips/arch_core.h is a
 * complete example). */
#error "core: s390x is not ported yet (see docs/porting.md)"
