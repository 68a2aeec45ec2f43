/* arch_smc.h (arc): the SMC suite's per-arch file, not written yet.
 * A port replaces this file with a code generator, or with
 * "#define SMC_NO_CODEGEN 1" (the suite then skips; docs/porting.md). */
#error "smc: arc is not ported yet (see docs/porting.md)"
