/* err.c: names for enum jit_err. */
#include "jit/err.h"

const char *jit_err_str(enum jit_err err)
{
    switch (err) {
    case JIT_OK: return "JIT_OK: success";
    case JIT_ERR_INVALID_ARG: return "JIT_ERR_INVALID_ARG: invalid argument";
    case JIT_ERR_NO_MEMORY: return "JIT_ERR_NO_MEMORY: out of memory or over the allocator's limit";
    case JIT_ERR_NOT_OWNED: return "JIT_ERR_NOT_OWNED: pointer was not returned by this allocator";
    case JIT_ERR_DOUBLE_FREE: return "JIT_ERR_DOUBLE_FREE: pointer already freed";
    case JIT_ERR_UNSUPPORTED: return "JIT_ERR_UNSUPPORTED: not available on this arch or kernel";
    case JIT_ERR_OUT_OF_RANGE: return "JIT_ERR_OUT_OF_RANGE: target beyond reach";
    case JIT_ERR_SYSTEM: return "JIT_ERR_SYSTEM: a system call failed";
    case JIT_ERR_BUSY: return "JIT_ERR_BUSY: resource still in use";
    }
    return "JIT_ERR_?: unknown error code";
}
