/* arch_smc.h (aarch64): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). */
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 254
#define SMC_TAIL 4
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x52800000u); /* mov w0,#0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 20; /* add w0,w0,#imm12 */
    smc_put32(p, 0x11000000u | (imm << 10));
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { smc_put32(p, 0xd65f03c0u); /* ret */ }
