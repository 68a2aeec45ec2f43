/* arch_copyjit.h (arc): copyjit's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; src/cj_arch.h lists what it
 * defines). */
#error "copyjit: arc is not ported yet (see docs/porting.md)"
