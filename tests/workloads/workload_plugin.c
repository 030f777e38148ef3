/*
 * workload_plugin.c: libworkload_plugin.so, the shape of a framework
 * extension module (a PyTorch C++ extension, a JAX plugin): a shared library
 * linked against libcudart that the host loads with dlopen(RTLD_LOCAL) and
 * that calls the runtime through its own PLT. Everything but the entry point
 * is hidden.
 */
#include "wl.h"

__attribute__((visibility("default"))) int workload_plugin_run(int threads, int ops, int seed, const char *truth_path);
/* One allocation / free on the calling thread, as an extension's function
 * called from Python does (the call-stack tests: Python frames, then this
 * library's). 0 or the runtime's error. */
__attribute__((visibility("default"))) int workload_plugin_alloc(void **ptr, size_t size);
__attribute__((visibility("default"))) int workload_plugin_free(void *ptr);

/* As the runtime declares them (cudaError_t is an int-sized enum). */
int cudaMalloc(void **ptr, size_t size);
int cudaFree(void *ptr);

int workload_plugin_alloc(void **ptr, size_t size)
{
    int rc = cudaMalloc(ptr, size);
    /* Not a tail call: the call returns here, so this function is a frame
     * of the allocation's stack, as a real extension's would be. */
    __asm__ volatile("" ::: "memory");
    return rc;
}

int workload_plugin_free(void *ptr)
{
    return cudaFree(ptr);
}

int workload_plugin_run(int threads, int ops, int seed, const char *truth_path)
{
    wl_options options;
    wl_default_options(&options, "workload_plugin");
    if (threads < 1 || ops < 0 || seed < 0)
        return 2;
    options.threads = threads;
    options.ops = ops;
    options.seed = (unsigned long long)seed;
    options.truth_path = truth_path;
    return wl_run(wl_selected_runtime(), &options);
}
