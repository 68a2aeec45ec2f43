# Shared by the toolchain files: the cell's arch facts arrive as -D cache
# variables from `matrix run` (or a reproducer command line).
#   MATRIX_TRIPLE     GNU triple, e.g. aarch64-linux-gnu (required)
#   MATRIX_ARCH       matrix arch name, e.g. aarch64 (defaults to the triple's first part)
#   MATRIX_CC_VERSION compiler version suffix, e.g. 15 for clang-15 (optional)
#   MATRIX_CFLAGS     extra compiler flags, ;-separated (optional)
#   MATRIX_LDFLAGS    extra linker flags, ;-separated (optional)
#   MATRIX_LINKER     -fuse-ld value, e.g. lld or bfd (optional)
if(NOT MATRIX_TRIPLE)
  message(FATAL_ERROR "MATRIX_TRIPLE is not set: pass -DMATRIX_TRIPLE=<triple> (e.g. aarch64-linux-gnu)")
endif()
if(NOT MATRIX_ARCH)
  string(REGEX REPLACE "-.*" "" MATRIX_ARCH "${MATRIX_TRIPLE}")
endif()
# try_compile projects re-read this file: forward the variables to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
  MATRIX_TRIPLE MATRIX_ARCH MATRIX_CC_VERSION MATRIX_CFLAGS MATRIX_LDFLAGS MATRIX_LINKER)

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR "${MATRIX_ARCH}")

if(MATRIX_CC_VERSION)
  set(_matrix_suffix "-${MATRIX_CC_VERSION}")
else()
  set(_matrix_suffix "")
endif()

string(REPLACE ";" " " _matrix_cflags "${MATRIX_CFLAGS}")
string(REPLACE ";" " " _matrix_ldflags "${MATRIX_LDFLAGS}")
if(MATRIX_LINKER)
  string(APPEND _matrix_ldflags " -fuse-ld=${MATRIX_LINKER}")
endif()

if(EXISTS "/usr/${MATRIX_TRIPLE}")
  set(CMAKE_FIND_ROOT_PATH "/usr/${MATRIX_TRIPLE}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
