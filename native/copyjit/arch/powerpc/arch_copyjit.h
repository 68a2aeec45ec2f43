/* arch_copyjit.h (powerpc, powerpc64, powerpc64le): copyjit's per-arch file, not written yet.
 * A port replaces this file (docs/porting.md; src/cj_arch.h lists what it
 * defines). */
#error "copyjit: powerpc is not ported yet (see docs/porting.md)"
