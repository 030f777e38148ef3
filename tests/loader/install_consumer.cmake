# Install the loader component into a fresh prefix, then build a consumer
# against it with find_package(stormlog) (shared and static) and with
# pkg-config, and run each on a small recording.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --component loader --prefix ${prefix})
foreach(f include/stormlog/loader.h lib/libstormlog_loader.a lib/pkgconfig/stormlog-loader.pc
          lib/cmake/stormlog/stormlogConfig.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(GLOB sonames ${prefix}/lib/libstormlog_loader.so.1)
if(NOT sonames)
  message(FATAL_ERROR "libstormlog_loader.so.1 (SONAME) not installed")
endif()

file(WRITE ${WORK_DIR}/rec.jsonl "{\"timestamp\": 1, \"session_id\": \"consumer\"}\n")
set(flags "")
if(SANITIZE)
  set(flags "-fsanitize=${SANITIZE}")
endif()

run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_C_COMPILER=${C_COMPILER} "-DCMAKE_C_FLAGS=${flags}" "-DCMAKE_EXE_LINKER_FLAGS=${flags}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
foreach(exe consumer_shared consumer_static)
  run(${WORK_DIR}/build/${exe} ${WORK_DIR}/rec.jsonl)
  if(NOT last_output STREQUAL "consumer 1\n")
    message(FATAL_ERROR "${exe} printed '${last_output}'")
  endif()
endforeach()

set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
run(pkg-config --cflags --libs stormlog-loader)
string(STRIP "${last_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
run(${C_COMPILER} ${flags} ${CONSUMER_DIR}/main.c -o ${WORK_DIR}/consumer_pc ${pc_flags}
    -Wl,-rpath,${prefix}/lib)
run(${WORK_DIR}/consumer_pc ${WORK_DIR}/rec.jsonl)
if(NOT last_output STREQUAL "consumer 1\n")
  message(FATAL_ERROR "pkg-config consumer printed '${last_output}'")
endif()
# The installed tool runs from the tree as it is: no LD_LIBRARY_PATH, the
# loader found through its RUNPATH ($ORIGIN/../lib).
unset(ENV{LD_LIBRARY_PATH})
run(${prefix}/bin/stormlog-inspect sessions --json ${WORK_DIR}/rec.jsonl)
if(NOT last_output MATCHES "\"sessions\"")
  message(FATAL_ERROR "installed stormlog-inspect printed '${last_output}'")
endif()
message(STATUS "installed loader: find_package (shared, static) and pkg-config consumers OK; installed stormlog-inspect runs")
