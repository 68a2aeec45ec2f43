/* arch_copyjit.h (s390x): copyjit's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; src/cj_arch.h lists what it
 * defines). */
#error "copyjit: s390x is not ported yet (see docs/porting.md)"
