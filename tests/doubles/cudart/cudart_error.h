/* cudart_error.h: sim_status -> cudaError_t, and the thread's last error. */
#ifndef STORMLOG_CUDART_ERROR_H
#define STORMLOG_CUDART_ERROR_H

#include "../sim/sim.h"
#include "cudart_api.h"

/* Records a failure as the calling thread's last error (cudaGetLastError)
 * and returns it; success passes through untouched. */
cudaError_t cudart_result(sim_status status);

/* Records any error code as the thread's last error (the driver-backed
 * variant's translation of CUresult); success passes through untouched. */
cudaError_t cudart_error(cudaError_t error);

#endif
