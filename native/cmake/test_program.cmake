# matrix_test_program(<target>): <target> is a test driver, not code under
# test. In the optimized build types it is compiled at -O1; the libraries and
# the op templates it exercises keep the build type's -O2. The three test
# drivers are the largest translation units of a cell's build (jitcore_tests.c
# alone 1.45 s of GCC at -O2, 0.84 s at -O1; docs/performance.md).
function(matrix_test_program target)
  target_compile_options(${target} PRIVATE $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-O1>)
endfunction()
