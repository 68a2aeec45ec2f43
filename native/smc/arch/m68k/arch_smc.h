/* arch_smc.h (m68k): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). Big-endian instruction
 * bytes, written one by one (m68k code is a stream of 16-bit units). */
#define SMC_HEAD 2
#define SMC_INSN 6
#define SMC_INSNS 170
#define SMC_TAIL 2
SMC_INLINE void smc_put_head(uint8_t *p) { p[0] = 0x70; p[1] = 0x00; /* moveq #0,%d0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    /* addi.l #x,%d0: a full 32-bit immediate (the sum wraps like the C one) */
    p[0] = 0x06;
    p[1] = 0x80;
    p[2] = (uint8_t)(x >> 24);
    p[3] = (uint8_t)(x >> 16);
    p[4] = (uint8_t)(x >> 8);
    p[5] = (uint8_t)x;
    return x;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { p[0] = 0x4e; p[1] = 0x75; /* rts */ }
