/* The billion-sum loop in plain C, built at -O0 and -O1 for the benchmark.
 * n arrives through a volatile read in the caller and the loop is not
 * closed-form at -O1 (GCC and clang only do that at -O2+ with SCEV; the
 * empty asm keeps the loop even so). */
#include <stdint.h>

uint64_t CJ_SUM_NAME(uint64_t n)
{
    uint64_t a = 0;
    for (uint64_t x = 0; x < n; x++) {
        a += x;
        __asm__ volatile("" : "+r"(a));
    }
    return a;
}
