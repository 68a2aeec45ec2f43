# GCC from Debian: <triple>-gcc[-<version>] (gcc-<triple> cross packages, or the host gcc).
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
set(CMAKE_C_COMPILER "${MATRIX_TRIPLE}-gcc${_matrix_suffix}")
set(CMAKE_CXX_COMPILER "${MATRIX_TRIPLE}-g++${_matrix_suffix}")
set(CMAKE_C_FLAGS_INIT "${_matrix_cflags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_matrix_ldflags}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_matrix_ldflags}")
