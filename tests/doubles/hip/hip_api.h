/*
 * hip_api.h: the HIP runtime API as the double and its callers see it: the
 * real hip/hip_runtime_api.h (AMD platform) when found
 * (STORMLOG_DOUBLE_REAL_HIP_HEADERS), our own copy otherwise.
 */
#ifndef STORMLOG_HIP_API_H
#define STORMLOG_HIP_API_H

#ifdef STORMLOG_DOUBLE_REAL_HIP_HEADERS
#ifndef __HIP_PLATFORM_AMD__
#define __HIP_PLATFORM_AMD__
#endif
#include <hip/hip_runtime_api.h>
#else
#include "hip_fallback.h"
#endif

#endif
