/* arch_copyjit.h (hppa): copyjit's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; src/cj_arch.h lists what it
 * defines). */
#error "copyjit: hppa is not ported yet (see docs/porting.md)"
