/* config.h: build-time options of the JIT core. Every option has a default
 * here; override with -D on the compiler command line. */
#ifndef JIT_CONFIG_H
#define JIT_CONFIG_H

#include "jit/config_cpu.h"
/* JIT_ARCH_LONG_JUMP_SIZE, JIT_ARCH_ENTRY_SIZE: from arch/<JIT_ARCH_DIR>/ (docs/porting.md). */
#include "arch_core.h"

/* Size of a region the allocator reserves when it needs more (rounded to pages). */
#ifndef JIT_EXECMEM_DEFAULT_REGION_SIZE
#define JIT_EXECMEM_DEFAULT_REGION_SIZE (64u * 1024u)
#endif

/* Allocation granule: sizes are rounded up to a multiple of this. */
#ifndef JIT_EXECMEM_GRANULE
#define JIT_EXECMEM_GRANULE 16u
#endif

/* Default alignment when the caller passes 0. */
#ifndef JIT_EXECMEM_DEFAULT_ALIGN
#define JIT_EXECMEM_DEFAULT_ALIGN 16u
#endif

/* Largest single allocation; larger requests are JIT_ERR_INVALID_ARG. */
#ifndef JIT_EXECMEM_MAX_ALLOC
#define JIT_EXECMEM_MAX_ALLOC ((size_t)256u * 1024u * 1024u)
#endif

/* Smallest allocation: big enough to hold the longest jump, so chain-mode
 * patching never writes past the end of a tiny function. */
#ifndef JIT_EXECMEM_MIN_ALLOC
#define JIT_EXECMEM_MIN_ALLOC                                                                      \
    (JIT_ARCH_ENTRY_SIZE > JIT_EXECMEM_GRANULE ? JIT_ARCH_ENTRY_SIZE : JIT_EXECMEM_GRANULE)
#endif

#endif
