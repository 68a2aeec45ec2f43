# LLVM: clang[-<version>] --target=<triple>, linking against the Debian sysroot
# /usr/<triple> and the GNU cross toolchain's crt files and libgcc.
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
set(CMAKE_C_COMPILER "clang${_matrix_suffix}")
set(CMAKE_CXX_COMPILER "clang++${_matrix_suffix}")
set(CMAKE_C_COMPILER_TARGET "${MATRIX_TRIPLE}")
set(CMAKE_CXX_COMPILER_TARGET "${MATRIX_TRIPLE}")
set(CMAKE_AR "llvm-ar${_matrix_suffix}" CACHE FILEPATH "")
set(CMAKE_RANLIB "llvm-ranlib${_matrix_suffix}" CACHE FILEPATH "")
set(CMAKE_C_FLAGS_INIT "${_matrix_cflags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_matrix_ldflags}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_matrix_ldflags}")
