/* arch_smc.h (arc): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). A 32-bit instruction and
 * its long immediate are each stored high 16-bit half first (little-endian
 * halves); bytes checked against arc-linux-gnu-as (docs/arches/arc.md). */
#define SMC_HEAD 2
#define SMC_INSN 8
#define SMC_INSNS 127
#define SMC_TAIL 2
SMC_INLINE void smc_put_w32(uint8_t *p, uint32_t w)
{
    p[0] = (uint8_t)(w >> 16);
    p[1] = (uint8_t)(w >> 24);
    p[2] = (uint8_t)w;
    p[3] = (uint8_t)(w >> 8);
}
SMC_INLINE void smc_put_head(uint8_t *p) { p[0] = 0x0c; p[1] = 0x70; /* mov_s r0, 0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    smc_put_w32(p, 0x20000f80u); /* add r0, r0, limm: the full 32-bit immediate */
    smc_put_w32(p + 4, x);
    return x;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { p[0] = 0xe0; p[1] = 0x7e; /* j_s [blink] */ }
