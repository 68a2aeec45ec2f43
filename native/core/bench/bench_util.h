/* bench_util.h: timing and argument helpers shared by the benchmarks. */
#ifndef JIT_BENCH_UTIL_H
#define JIT_BENCH_UTIL_H

#include <string.h>
#include <time.h>

#include "jit/arch.h"

static inline double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the calling thread: time slices other processes take on a
 * shared host do not count against the code being measured. */
static inline double cpu_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return 1;
    return 0;
}

typedef int (*int_fn)(int);

static inline int_fn as_fn(void *rx)
{
    /* powerpc64 ELFv1: the pointer names a descriptor; one per thread is
     * enough for the benchmarks, which call the result at once. */
    static __thread struct jit_fdesc d;
    void *p = jit_code_callable(rx, &d);
    int_fn f;
    memcpy(&f, &p, sizeof f);
    return f;
}

#endif
