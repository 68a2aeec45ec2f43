# jit_arch.cmake: the one CMake mapping from the build's target to the arch,
# shared by core, copyjit and smc (also when built from native/addon or
# native/smc/standalone). It does not keep its own list of arches: it runs
# the target compiler's preprocessor over core/include/jit/config_cpu.h (the
# only selector) and reads back
#   JIT_ARCH_NAME  the arch's matrix.yaml name, e.g. mips64el
#   JIT_ARCH_DIR   the code directory of every component, e.g. mips
# A component then calls jit_arch_dir(<var>) for its arch/<JIT_ARCH_DIR>/.
# With -DMATRIX_ARCH (the orchestrator passes it) the two names must agree.

get_filename_component(JIT_NATIVE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

# jit_preprocess(<out-var> <file> [<include-dir>...]): <file> through the
# build's C preprocessor (compiler, --target, CMAKE_C_FLAGS), as text.
# Sets <out-var>_ERROR (the compiler's message) and an empty <out-var> on failure.
function(jit_preprocess out file)
  set(args)
  if(CMAKE_C_COMPILER_TARGET)
    list(APPEND args "--target=${CMAKE_C_COMPILER_TARGET}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${CMAKE_C_FLAGS}")
  list(APPEND args ${flags})
  foreach(dir IN LISTS ARGN)
    list(APPEND args "-I${dir}")
  endforeach()
  execute_process(
    COMMAND ${CMAKE_C_COMPILER} ${args} -E -P -x c "${file}"
    OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    set(${out} "${text}" PARENT_SCOPE)
    set(${out}_ERROR "" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
    set(${out}_ERROR "${err}" PARENT_SCOPE)
  endif()
endfunction()

# jit_probe_value(<out-var> <text> <key>): the string literals on the line
# "<key> ..." of a preprocessed probe, joined by spaces ("" if none).
function(jit_probe_value out text key)
  set(value "")
  if(text MATCHES "(^|\n)${key}([^\n]*)")
    string(REGEX MATCHALL "\"[^\"]*\"" strs "${CMAKE_MATCH_2}")
    foreach(s IN LISTS strs)
      string(REGEX REPLACE "^\"(.*)\"$" "\\1" s "${s}")
      string(APPEND value " ${s}")
    endforeach()
    string(STRIP "${value}" value)
  endif()
  set(${out} "${value}" PARENT_SCOPE)
endfunction()

# Once per configure run; the results are global properties so sibling
# directories (core, copyjit, smc) see the same answer.
get_property(_jit_arch_done GLOBAL PROPERTY JIT_ARCH_NAME SET)
if(NOT _jit_arch_done)
  set(_probe "${CMAKE_BINARY_DIR}/jit_arch_probe.c")
  file(WRITE "${_probe}" "#include \"jit/config_cpu.h\"\njit_probe_name JIT_ARCH_NAME\njit_probe_dir JIT_ARCH_DIR\n")
  jit_preprocess(_text "${_probe}" "${JIT_NATIVE_DIR}/core/include")
  if(_text_ERROR)
    message(FATAL_ERROR "jit_arch: jit/config_cpu.h does not recognise this target "
      "(${CMAKE_C_COMPILER} ${CMAKE_C_COMPILER_TARGET}):\n${_text_ERROR}")
  endif()
  jit_probe_value(_name "${_text}" jit_probe_name)
  jit_probe_value(_dir "${_text}" jit_probe_dir)
  if(NOT _name OR NOT _dir)
    message(FATAL_ERROR "jit_arch: could not read JIT_ARCH_NAME/JIT_ARCH_DIR from:\n${_text}")
  endif()
  if(MATRIX_ARCH AND NOT MATRIX_ARCH STREQUAL _name)
    message(FATAL_ERROR "jit_arch: MATRIX_ARCH is ${MATRIX_ARCH} but the compiler targets "
      "${_name} (jit/config_cpu.h): matrix.yaml's arch name must be the selector's JIT_ARCH_NAME")
  endif()
  message(STATUS "jit_arch: ${_name} (arch/${_dir}/)")
  set_property(GLOBAL PROPERTY JIT_ARCH_NAME "${_name}")
  set_property(GLOBAL PROPERTY JIT_ARCH_DIR "${_dir}")
endif()
get_property(JIT_ARCH_NAME GLOBAL PROPERTY JIT_ARCH_NAME)
get_property(JIT_ARCH_DIR GLOBAL PROPERTY JIT_ARCH_DIR)

# jit_arch_dir(<out-var> <header>): this component's arch/<JIT_ARCH_DIR>/
# (next to the calling CMakeLists.txt), which must exist and hold <header>.
# When <header> does not preprocess (a not-yet-ported arch's #error), the
# component is compiled with -Wfatal-errors, so that #error is the one error
# each file reports instead of the first of many; <out-var>_PORTED is FALSE.
function(jit_arch_dir out header)
  set(dir "${CMAKE_CURRENT_SOURCE_DIR}/arch/${JIT_ARCH_DIR}")
  if(NOT EXISTS "${dir}/${header}")
    message(FATAL_ERROR "jit_arch: ${dir}/${header} is missing: ${JIT_ARCH_NAME} needs "
      "arch/${JIT_ARCH_DIR}/ in every component (docs/porting.md)")
  endif()
  set(probe "${CMAKE_CURRENT_BINARY_DIR}/jit_arch_probe_${header}.c")
  file(WRITE "${probe}" "#include \"jit/config_cpu.h\"\n#include \"${header}\"\n")
  jit_preprocess(text "${probe}" "${JIT_NATIVE_DIR}/core/include" "${dir}")
  if(text_ERROR)
    message(STATUS "jit_arch: arch/${JIT_ARCH_DIR}/${header} does not preprocess (not ported?): "
      "the build will stop at its error")
    add_compile_options(-Wfatal-errors)
    set(${out}_PORTED FALSE PARENT_SCOPE)
  else()
    set(${out}_PORTED TRUE PARENT_SCOPE)
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()
