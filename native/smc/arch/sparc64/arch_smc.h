/* arch_smc.h (sparc64): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). Big-endian words, stored
 * natively. */
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 253
#define SMC_TAIL 8
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x90102000u); /* mov 0, %o0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 20; /* add %o0, imm, %o0 (0..4095) */
    smc_put32(p, 0x90022000u | imm);
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p)
{
    smc_put32(p, 0x81c3e008u);     /* retl */
    smc_put32(p + 4, 0x01000000u); /* delay slot: nop */
}
