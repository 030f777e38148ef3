/*
 * nested_probe.c: a minimal LD_PRELOAD interposer of cudaMalloc, standing in
 * for the shim, to prove that the double's cudaMallocManaged reaches a
 * preloaded cudaMalloc (the nesting the shim must count once).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

int cudaMalloc(void **devPtr, size_t size);
unsigned long nested_probe_calls(void);

static atomic_ulong calls;

unsigned long nested_probe_calls(void)
{
    return atomic_load(&calls);
}

int cudaMalloc(void **devPtr, size_t size)
{
    atomic_fetch_add(&calls, 1);
    int (*real)(void **, size_t) = (int (*)(void **, size_t))dlsym(RTLD_NEXT, "cudaMalloc");
    return real == NULL ? 999 : real(devPtr, size);
}
