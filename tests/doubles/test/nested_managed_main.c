/*
 * nested_managed_main.c: run with nested_probe preloaded. cudaMallocManaged
 * must go through the preloaded cudaMalloc exactly once, and the double must
 * still count one allocation.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

#include "cudart_api.h"
#include "stormlog_double.h"

int main(void)
{
    unsigned long (*probe_calls)(void) = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "nested_probe_calls");
    if (probe_calls == NULL) {
        fprintf(stderr, "nested_managed: the probe is not preloaded\n");
        return 1;
    }
    void *p = NULL;
    if (cudaMallocManaged(&p, 4096, cudaMemAttachGlobal) != cudaSuccess) {
        fprintf(stderr, "nested_managed: cudaMallocManaged failed\n");
        return 1;
    }
    unsigned long seen = probe_calls();
    if (seen != 1) {
        fprintf(stderr, "nested_managed: preloaded cudaMalloc saw %lu calls from cudaMallocManaged, want 1\n", seen);
        return 1;
    }
    if (stormlog_double_allocs() != 1 || stormlog_double_live_bytes(0) != 4096) {
        fprintf(stderr, "nested_managed: double counted %llu allocations, %lld bytes\n",
                stormlog_double_allocs(), stormlog_double_live_bytes(0));
        return 1;
    }
    cudaFree(p);
    printf("nested_managed: cudaMallocManaged -> preloaded cudaMalloc: 1 call\n");
    return 0;
}
