/* arch_smc.h (mips, mipsel, mips64, mips64el): the SMC suite's generated
 * function (see src/smc_internal.h for what this file defines). */
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 252
#define SMC_TAIL 8
/* Instruction words in the CPU's byte order, so a native 32-bit store is right
 * for both mips and mipsel. */
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x24020000u); /* li v0,0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 17; /* addiu v0,v0,imm (0..32767) */
    smc_put32(p, 0x24420000u | imm);
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p)
{
    smc_put32(p, 0x03e00008u);     /* jr ra */
    smc_put32(p + 4, 0x00000000u); /* delay slot: nop */
}
