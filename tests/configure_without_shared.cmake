# Configures SOURCE_DIR in WORK_DIR with the shared contract pointed at a
# folder that does not exist: the configure output must say, in one line,
# that the conformance tests are skipped and why, and those tests must then
# be reported as skipped with that reason (they need no build to say so).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(missing ${WORK_DIR}/no-such-shared)
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -DCMAKE_C_COMPILER=${C_COMPILER}
          -DSTORMLOG_SHARED_DIR=${missing}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed (${rc}):\n${out}\n${err}")
endif()
set(want "stormlog: conformance tests skipped: the shared contract is not at ${missing}")
string(FIND "${out}" "${want}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "configure does not say \"${want}\":\n${out}")
endif()
execute_process(
  COMMAND ${CMAKE_CTEST_COMMAND} -R "^(loader_conformance|loader_parallel_equivalence|loader_record_id_python)$"
          -V
  WORKING_DIRECTORY ${WORK_DIR}/build RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "Test +#[0-9]+: [a-z_]+ \\.+\\*+Skipped" skipped "${out}")
string(REGEX MATCHALL "SKIP: the shared contract is not at" reasons "${out}")
list(LENGTH reasons r)
list(LENGTH skipped n)
if(NOT rc EQUAL 0 OR NOT n EQUAL 3 OR r LESS 3)
  message(FATAL_ERROR "the conformance tests are not all skipped (${rc}, ${n} skipped, ${r} with the reason):\n${out}\n${err}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
message(STATUS "configure without the shared contract: said so, 3 conformance tests skipped")
