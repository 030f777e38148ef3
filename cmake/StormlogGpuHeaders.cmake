# CUDA runtime and HIP headers are optional: the shim declares what it hooks
# itself and, where the real headers exist, a compile-time check compares those
# declarations with them. One configure line says what was found.
find_package(CUDAToolkit QUIET)
if(CUDAToolkit_FOUND AND EXISTS "${CUDAToolkit_INCLUDE_DIRS}/cuda_runtime_api.h")
  set(STORMLOG_HAVE_CUDA_HEADERS ON)
  set(STORMLOG_CUDA_INCLUDE_DIR "${CUDAToolkit_INCLUDE_DIRS}")
  set(STORMLOG_CUDA_LIBRARY_DIR "${CUDAToolkit_LIBRARY_DIR}")
  message(STATUS "stormlog: CUDA runtime headers: ${STORMLOG_CUDA_INCLUDE_DIR}")
else()
  set(STORMLOG_HAVE_CUDA_HEADERS OFF)
  message(STATUS "stormlog: CUDA runtime headers: not found (signature check and real-libcudart tests skipped)")
endif()

find_path(STORMLOG_HIP_INCLUDE_PARENT hip/hip_runtime_api.h PATHS /usr/include /opt/rocm/include)
if(STORMLOG_HIP_INCLUDE_PARENT)
  set(STORMLOG_HAVE_HIP_HEADERS ON)
  message(STATUS "stormlog: HIP headers: ${STORMLOG_HIP_INCLUDE_PARENT}/hip")
else()
  set(STORMLOG_HAVE_HIP_HEADERS OFF)
  message(STATUS "stormlog: HIP headers: not found (signature check and real-libamdhip64 tests skipped)")
endif()
find_library(STORMLOG_REAL_AMDHIP64 NAMES amdhip64 PATHS /usr/lib/x86_64-linux-gnu /opt/rocm/lib)
find_library(STORMLOG_REAL_CUDART NAMES cudart PATHS ${STORMLOG_CUDA_LIBRARY_DIR} NO_DEFAULT_PATH)
