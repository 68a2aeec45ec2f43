/* err.h: error codes shared by every JIT core component.
 * Every fallible function returns enum jit_err (JIT_OK == 0) and writes its
 * outputs through pointers. Nothing aborts on bad input. */
#ifndef JIT_ERR_H
#define JIT_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

enum jit_err {
    JIT_OK = 0,
    JIT_ERR_INVALID_ARG,   /* zero/huge size, bad alignment, NULL output */
    JIT_ERR_NO_MEMORY,     /* mmap/memfd failed or the allocator's limit is reached */
    JIT_ERR_NOT_OWNED,     /* pointer was never returned by this allocator */
    JIT_ERR_DOUBLE_FREE,   /* pointer already freed */
    JIT_ERR_UNSUPPORTED,   /* mode/feature not available on this arch or kernel */
    JIT_ERR_OUT_OF_RANGE,  /* e.g. a direct branch target beyond reach */
    JIT_ERR_SYSTEM,        /* a system call failed (see errno) */
    JIT_ERR_BUSY,          /* resource still in use (e.g. unregister with retired code) */
};

/* Static, human-readable name of an error ("JIT_ERR_DOUBLE_FREE: ..."). */
const char *jit_err_str(enum jit_err err);

#ifdef __cplusplus
}
#endif
#endif
