/* encoders_host.c: the core's encoders of one arch/<dir>/arch_core.h,
 * compiled for the BUILD HOST (little-endian, like arc and sh4), so their
 * bytes can be compared with the cross assembler's without running the
 * target. check_encoders.sh builds and runs it; it prints one line per case:
 * "<name> <at> <target-or-k> <hex bytes>". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jit/arch.h" /* the host's facts; the arch file below is included directly */

static enum jit_err put(void *buf, size_t cap, const uint32_t *w, size_t n, size_t *len)
{
    if (!buf || !len || cap < n * 4)
        return JIT_ERR_INVALID_ARG;
    memcpy(buf, w, n * 4);
    *len = n * 4;
    return JIT_OK;
}

#undef JIT_CORE_ARCH_FACTS
#undef JIT_ARCH_LONG_JUMP_SIZE
#undef JIT_ARCH_ENTRY_SIZE
#define JIT_CORE_ARCH_IMPL 1
#include ARCH_CORE_FILE

#if defined(ARCH_ONE_WORD_BRANCH) /* as src/arch.c builds it */
enum jit_err jit_emit_branch(void *buf, size_t cap, uintptr_t at, uintptr_t target, size_t *len)
{
    uint32_t w;
    if (!buf || !len)
        return JIT_ERR_INVALID_ARG;
    if (!branch_word(at, target, &w))
        return JIT_ERR_OUT_OF_RANGE;
    return put(buf, cap, &w, 1, len);
}
#endif

static void dump(const char *what, unsigned long a, unsigned long b, enum jit_err e, const uint8_t *p, size_t n)
{
    printf("%s %#lx %#lx", what, a, b);
    if (e != JIT_OK) {
        printf(" error %d\n", (int)e);
        return;
    }
    printf(" ");
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

int main(void)
{
    uint8_t b[64];
    size_t n = 0;
    static const int32_t ks[] = {0, 5, -1, 127, -128, 128, 0x12345678, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        enum jit_err e = jit_emit_ret_const(b, sizeof b, ks[i], &n);
        dump("ret_const", 0, (unsigned long)(uint32_t)ks[i], e, b, n);
    }
    enum jit_err ea = jit_emit_ret_arg(b, sizeof b, &n);
    dump("ret_arg", 0, 0, ea, b, n);
    static const unsigned long at[] = {0x10000, 0x10002, 0x10004, 0x10006};
    static const long off[] = {0, 4, 8, 0x100, -0x100, 4094, -4096, 4096, 0x7fff0, -0x80000, 0xfffffe, -0x1000000, 0x1000000};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        for (size_t j = 0; j < sizeof off / sizeof off[0]; j++) {
            unsigned long t = at[i] + 0x2000000 + (unsigned long)off[j];
            enum jit_err e = jit_emit_branch(b, sizeof b, at[i] + 0x2000000, t, &n);
            dump("branch", at[i] + 0x2000000, t, e, b, n);
        }
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        enum jit_err e = jit_emit_long_jump(b, sizeof b, at[i], 0x12345678, &n);
        dump("long_jump", at[i], 0x12345678, e, b, n);
    }
    uint32_t tw = arch_info.trap_insn;
    dump("trap_word", 0, 0, JIT_OK, (const uint8_t *)&tw, 4);
    return 0;
}
