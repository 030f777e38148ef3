/* A plugin linked to the CUDA runtime (the double): loaded, unloaded and
 * loaded again by reload_host. */
#include <stddef.h>

#include "gpu_api.h"

__attribute__((visibility("default"))) int reload_plugin_cycle(size_t size);
__attribute__((visibility("default"))) int reload_plugin_cycle(size_t size)
{
    void *p = NULL;
    int rc = (int)cudaMalloc(&p, size);
    if (rc != 0)
        return rc;
    return (int)cudaFree(p);
}
