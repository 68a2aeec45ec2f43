/* arch_smc.h (alpha): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). */
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 254
#define SMC_TAIL 4
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x201f0000u); /* lda $0, 0($31) */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 24; /* addl $0, imm, $0 (8-bit literal, 0..255) */
    smc_put32(p, 0x40001000u | (imm << 13));
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { smc_put32(p, 0x6bfa8001u); /* ret */ }
