/* arch_smc.h (x86_64, i686): the SMC suite's generated function (see
 * src/smc_internal.h for what this file defines). */
#define SMC_X86 1
/* xor eax,eax ; 204 x add eax,imm32 ; ret  = 2 + 1020 + 1 = 1023 bytes.
 * Same encoding in 32- and 64-bit mode. */
#define SMC_HEAD 2
#define SMC_INSN 5
#define SMC_INSNS 204
#define SMC_TAIL 1
SMC_INLINE void smc_put_head(uint8_t *p) { p[0] = 0x31; p[1] = 0xc0; }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    p[0] = 0x05; /* written one store at a time, like a simple JIT */
    memcpy(p + 1, &x, 4);
    return x;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { p[0] = 0xc3; }
