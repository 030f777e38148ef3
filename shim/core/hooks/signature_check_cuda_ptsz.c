/* The per-thread-default-stream build of signature_check_cuda.c: here the
 * SDK header declares cudaMallocAsync_ptsz, cudaFreeAsync_ptsz and
 * cudaMallocFromPoolAsync_ptsz, which the shim also hooks. */
#define CUDA_API_PER_THREAD_DEFAULT_STREAM 1
#include "signature_check_cuda.c"
