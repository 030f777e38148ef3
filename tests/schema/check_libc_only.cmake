# cmake -DNM=nm -DARCHIVE=libstormlog_schema.a -P check_libc_only.cmake
# Fails when an object of the archive needs a symbol that neither the archive
# itself nor libc provides. Sanitiser builds add their runtime's entry points.
cmake_minimum_required(VERSION 3.25)
if(NOT NM OR NOT ARCHIVE)
  message(FATAL_ERROR "usage: cmake -DNM=<nm> -DARCHIVE=<archive> -P check_libc_only.cmake")
endif()

set(allowed
  memcpy memmove memset memcmp strlen strcmp strncmp strchr
  snprintf vsnprintf strtod
  # glibc's fortified and stack-protector variants of the same calls
  __memcpy_chk __memmove_chk __memset_chk __snprintf_chk __vsnprintf_chk __stack_chk_fail
  _GLOBAL_OFFSET_TABLE_)

execute_process(COMMAND ${NM} -u ${ARCHIVE} OUTPUT_VARIABLE undefined_out RESULT_VARIABLE rc1)
execute_process(COMMAND ${NM} --defined-only ${ARCHIVE} OUTPUT_VARIABLE defined_out RESULT_VARIABLE rc2)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
  message(FATAL_ERROR "nm failed on ${ARCHIVE}")
endif()

string(REGEX MATCHALL "[^\n]+" defined_lines "${defined_out}")
set(defined "")
foreach(line IN LISTS defined_lines)
  if(line MATCHES "^[0-9a-fA-F]+ [A-Za-z] ([^ ]+)$")
    list(APPEND defined "${CMAKE_MATCH_1}")
  endif()
endforeach()

string(REGEX MATCHALL "[^\n]+" undefined_lines "${undefined_out}")
set(bad "")
set(checked 0)
foreach(line IN LISTS undefined_lines)
  if(NOT line MATCHES "^ +U ([^ ]+)$")
    continue()
  endif()
  set(sym "${CMAKE_MATCH_1}")
  string(REGEX REPLACE "@.*$" "" sym "${sym}")
  math(EXPR checked "${checked} + 1")
  if(sym IN_LIST defined OR sym IN_LIST allowed)
    continue()
  endif()
  if(sym MATCHES "^__(asan|ubsan|tsan|sanitizer|msan|lsan)_")
    continue()
  endif()
  list(APPEND bad "${sym}")
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "no undefined symbols found in ${ARCHIVE}: is it the right file?")
endif()
if(bad)
  list(REMOVE_DUPLICATES bad)
  message(FATAL_ERROR "the schema core needs symbols outside libc: ${bad}")
endif()
message(STATUS "schema core: ${checked} undefined references, all libc or internal")
