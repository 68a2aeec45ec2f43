/* arch_smc.h (s390x): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). Big-endian instruction
 * bytes, written one by one. */
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 254
#define SMC_TAIL 2
/* lghi %r2,0: the whole 64-bit register, so the uint32_t result is zero-extended. */
SMC_INLINE void smc_put_head(uint8_t *p) { p[0] = 0xa7; p[1] = 0x29; p[2] = 0; p[3] = 0; }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 17; /* aghi %r2,imm (0..32767; the sum stays below 2^31) */
    p[0] = 0xa7;
    p[1] = 0x2b;
    p[2] = (uint8_t)(imm >> 8);
    p[3] = (uint8_t)imm;
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { p[0] = 0x07; p[1] = 0xfe; /* br %r14 */ }
