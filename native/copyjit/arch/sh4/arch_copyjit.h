/* arch_copyjit.h (sh4): copyjit's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; src/cj_arch.h lists what it
 * defines). */
#error "copyjit: sh4 is not ported yet (see docs/porting.md)"
