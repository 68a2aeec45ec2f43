/* arch_smc.h (arm): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). */
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 254
#define SMC_TAIL 4
/* A32 encodings; a call through a pointer with bit 0 clear enters ARM state
 * from Thumb callers (blx). */
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0xe3a00000u); /* mov r0,#0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 24; /* add r0,r0,#imm8 */
    smc_put32(p, 0xe2800000u | imm);
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { smc_put32(p, 0xe12fff1eu); /* bx lr */ }
