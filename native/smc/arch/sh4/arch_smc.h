/* arch_smc.h (sh4): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). Little-endian 16-bit
 * instructions; bytes checked against sh4-linux-gnu-as (docs/arches/sh4.md). */
#define SMC_HEAD 2
#define SMC_INSN 2
#define SMC_INSNS 509
#define SMC_TAIL 4
SMC_INLINE void smc_put16(uint8_t *p, uint16_t h) { p[0] = (uint8_t)h; p[1] = (uint8_t)(h >> 8); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put16(p, 0xe000u); /* mov #0, r0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    /* add #imm8, r0: the immediate is sign-extended, so the sum adds that */
    uint8_t imm = (uint8_t)(x >> 24);
    smc_put16(p, (uint16_t)(0x7000u | imm));
    return (uint32_t)(int32_t)(int8_t)imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p)
{
    smc_put16(p, 0x000bu);     /* rts */
    smc_put16(p + 2, 0x0009u); /* nop (delay slot) */
}
