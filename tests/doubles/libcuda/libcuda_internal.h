/* libcuda_internal.h: shared by the libcuda double's own files. */
#ifndef STORMLOG_LIBCUDA_INTERNAL_H
#define STORMLOG_LIBCUDA_INTERNAL_H

#include "../sim/sim.h"
#include "cuda_driver_api.h"

/* sim_status -> CUresult (the same numbers as the runtime's codes). */
CUresult cu_result(sim_status status) __attribute__((visibility("hidden")));

#endif
