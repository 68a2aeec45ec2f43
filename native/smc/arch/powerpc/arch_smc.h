/* arch_smc.h (powerpc, powerpc64, powerpc64le): the SMC suite's generated
 * function (see src/smc_internal.h for what this file defines):
 * li r3, 0; 253 x addi r3, r3, imm; blr (1020 bytes). */
#define SMC_HEAD 4
#define SMC_INSN 4
#define SMC_INSNS 253
#define SMC_TAIL 4
/* Instruction words in the CPU's byte order (ppc64le stores them little-endian). */
SMC_INLINE void smc_put32(uint8_t *p, uint32_t w) { memcpy(p, &w, 4); }
SMC_INLINE void smc_put_head(uint8_t *p) { smc_put32(p, 0x38600000u); /* li r3, 0 */ }
SMC_INLINE uint32_t smc_put_insn(uint8_t *p, uint32_t x)
{
    uint32_t imm = x >> 17; /* addi r3, r3, imm (0..32767: the sum stays positive) */
    smc_put32(p, 0x38630000u | imm);
    return imm;
}
SMC_INLINE void smc_put_tail(uint8_t *p) { smc_put32(p, 0x4e800020u); /* blr */ }

#if defined(JIT_ARCH_POWERPC64)
/* ELFv1: call through a descriptor {entry, TOC, env}; the generated code
 * uses no TOC, it gets the caller's. */
SMC_INLINE uint32_t smc_call_elfv1(void *code)
{
    struct { void *entry; uintptr_t toc, env; } d = {code, 0, 0};
    __asm__("mr %0, 2" : "=r"(d.toc));
    void *dp = &d;
    /* GCC 12 and clang 14/19 do not see that an indirect call reads the
     * descriptor: they drop the stores to d (docs/arches/powerpc64.md).
     * Launder the pointer through an asm after them (memory clobber): the
     * call's loads then depend on the stores. */
    __asm__ volatile("" : "+r"(dp) : : "memory");
    smc_fn f;
    memcpy(&f, &dp, sizeof f);
    return f();
}
#define SMC_CALL(p) smc_call_elfv1((void *)(p))
#endif
