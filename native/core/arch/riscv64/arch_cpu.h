/* arch_cpu.h (riscv64): CPU features. Included by src/cpu.c only.
 * i m a f d c (and v): AT_HWCAP, where Linux sets bit (letter - 'a') for each
 * single-letter extension. v, zba, zbb: also a SIGILL probe each, because
 * qemu-user 7.2 leaves V out of AT_HWCAP even with -cpu rv64,v=true, and
 * Linux has no HWCAP bit for multi-letter extensions (hwprobe is 6.4+, and
 * qemu 7.2 does not implement it). A probe runs one instruction of the
 * extension under a temporary SIGILL handler (sigsetjmp/siglongjmp), which is
 * restored afterwards; it never aborts. On Linux 6.5+ the first vector
 * instruction traps into the kernel, which enables V and resumes: the probe
 * sees that as success, as a JIT would. */
#ifndef JIT_ARCH_RISCV64_CPU_H
#define JIT_ARCH_RISCV64_CPU_H

#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>

#define ARCH_HWCAP_LETTER(ch) (1ul << ((ch) - 'a'))

#define ARCH_CPU_KNOWN                                                                             \
    (JIT_CPU_BIT(JIT_CPU_RV_I) | JIT_CPU_BIT(JIT_CPU_RV_M) | JIT_CPU_BIT(JIT_CPU_RV_A) |           \
     JIT_CPU_BIT(JIT_CPU_RV_F) | JIT_CPU_BIT(JIT_CPU_RV_D) | JIT_CPU_BIT(JIT_CPU_RV_C) |           \
     JIT_CPU_BIT(JIT_CPU_RV_V) | JIT_CPU_BIT(JIT_CPU_RV_ZBA) | JIT_CPU_BIT(JIT_CPU_RV_ZBB))
#define ARCH_CPU_METHOD "getauxval(AT_HWCAP) letters; SIGILL probes for v, zba, zbb"

#if defined(__riscv_i)
#define ARCH_CPU_B_I JIT_CPU_BIT(JIT_CPU_RV_I)
#else
#define ARCH_CPU_B_I 0
#endif
#if defined(__riscv_mul)
#define ARCH_CPU_B_M JIT_CPU_BIT(JIT_CPU_RV_M)
#else
#define ARCH_CPU_B_M 0
#endif
#if defined(__riscv_atomic)
#define ARCH_CPU_B_A JIT_CPU_BIT(JIT_CPU_RV_A)
#else
#define ARCH_CPU_B_A 0
#endif
#if defined(__riscv_flen) && __riscv_flen >= 32
#define ARCH_CPU_B_F JIT_CPU_BIT(JIT_CPU_RV_F)
#else
#define ARCH_CPU_B_F 0
#endif
#if defined(__riscv_flen) && __riscv_flen >= 64
#define ARCH_CPU_B_D JIT_CPU_BIT(JIT_CPU_RV_D)
#else
#define ARCH_CPU_B_D 0
#endif
#if defined(__riscv_compressed)
#define ARCH_CPU_B_C JIT_CPU_BIT(JIT_CPU_RV_C)
#else
#define ARCH_CPU_B_C 0
#endif
#if defined(__riscv_vector)
#define ARCH_CPU_B_V JIT_CPU_BIT(JIT_CPU_RV_V)
#else
#define ARCH_CPU_B_V 0
#endif
#if defined(__riscv_zba)
#define ARCH_CPU_B_ZBA JIT_CPU_BIT(JIT_CPU_RV_ZBA)
#else
#define ARCH_CPU_B_ZBA 0
#endif
#if defined(__riscv_zbb)
#define ARCH_CPU_B_ZBB JIT_CPU_BIT(JIT_CPU_RV_ZBB)
#else
#define ARCH_CPU_B_ZBB 0
#endif
#define ARCH_CPU_BUILT_FOR                                                                         \
    (ARCH_CPU_B_I | ARCH_CPU_B_M | ARCH_CPU_B_A | ARCH_CPU_B_F | ARCH_CPU_B_D | ARCH_CPU_B_C |     \
     ARCH_CPU_B_V | ARCH_CPU_B_ZBA | ARCH_CPU_B_ZBB)

static sigjmp_buf arch_probe_env;

static void arch_probe_sigill(int sig)
{
    (void)sig;
    siglongjmp(arch_probe_env, 1);
}

/* The probed instructions, as words (the assembler may not know the
 * extension the compiler was not told about). Each clobbers only a0. */
static void arch_probe_v(void)
{
    __asm__ volatile(".4byte 0x0c007557" ::: "a0", "memory"); /* vsetvli a0, zero, e8, m1, ta, ma */
}
static void arch_probe_zba(void)
{
    __asm__ volatile(".4byte 0x20a52533" ::: "a0", "memory"); /* sh1add a0, a0, a0 */
}
static void arch_probe_zbb(void)
{
    __asm__ volatile(".4byte 0x40a57533" ::: "a0", "memory"); /* andn a0, a0, a0 */
}

/* 1 if fn ran without SIGILL. The previous SIGILL action is restored. */
static int arch_probe(void (*fn)(void))
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = arch_probe_sigill;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGILL, &sa, &old) != 0)
        return 0;
    volatile int ok = 0;
    if (sigsetjmp(arch_probe_env, 1) == 0) {
        fn();
        ok = 1;
    }
    sigaction(SIGILL, &old, NULL);
    return ok;
}

static jit_cpu_set arch_cpu_detect(void)
{
    unsigned long hw = getauxval(AT_HWCAP);
    static const struct {
        char letter;
        enum jit_cpu_feature f;
    } letters[] = {{'i', JIT_CPU_RV_I}, {'m', JIT_CPU_RV_M}, {'a', JIT_CPU_RV_A},
                   {'f', JIT_CPU_RV_F}, {'d', JIT_CPU_RV_D}, {'c', JIT_CPU_RV_C},
                   {'v', JIT_CPU_RV_V}};
    jit_cpu_set s = 0;
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
        if (hw & ARCH_HWCAP_LETTER(letters[i].letter))
            s |= JIT_CPU_BIT(letters[i].f);
    if (!(s & JIT_CPU_BIT(JIT_CPU_RV_V)) && arch_probe(arch_probe_v))
        s |= JIT_CPU_BIT(JIT_CPU_RV_V);
    if (arch_probe(arch_probe_zba))
        s |= JIT_CPU_BIT(JIT_CPU_RV_ZBA);
    if (arch_probe(arch_probe_zbb))
        s |= JIT_CPU_BIT(JIT_CPU_RV_ZBB);
    return s;
}

#endif
