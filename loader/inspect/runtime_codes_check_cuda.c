/* Compile-only: every code of runtime_codes.h against the real CUDA runtime
 * headers. Built where they are installed; a mismatch fails the build. */
#include <cuda_runtime_api.h>

#include "runtime_codes.h"

#define CHECK_CODE(name, value) _Static_assert((long long)(name) == (value), #name " is " #value);
STORMLOG_CUDA_RUNTIME_CODES(CHECK_CODE)
