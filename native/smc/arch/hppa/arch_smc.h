/* arch_smc.h (hppa): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). */
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 253
#define SMC_TAIL 8
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x341c0000u); /* ldi 0, %r28 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 19; /* ldo imm(%r28), %r28 (0..8191) */
    smc_put32(p, 0x379c0000u | (imm << 1));
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p)
{
    smc_put32(p, 0xe840c000u);     /* bv %r0(%rp) */
    smc_put32(p + 4, 0x08000240u); /* delay slot: nop */
}
