/* The driver variants we wrap (driver_hooks.h), as the dlsym hook and the
 * cuGetProcAddress routes both need them: found by name, seeded with the
 * driver's function, and told apart from the shim's own code. */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

#include "driver_hooks.h"
#include "uninstrumented.h"

SL_UNINSTRUMENTED bool sl_same_name(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

SL_UNINSTRUMENTED const sl_driver_variant *sl_driver_variant_named(const char *name)
{
    for (int i = 0; i < SL_HOOK_COUNT; i++)
        if (sl_api_table[i].runtime == SL_RUNTIME_CUDA_DRIVER && sl_same_name(sl_api_table[i].name, name))
            return &sl_api_table[i];
    return NULL;
}

bool sl_driver_inside_shim(const void *addr)
{
    static void *_Atomic shim_base; /* racing first calls store the same value */
    void *base = atomic_load_explicit(&shim_base, memory_order_relaxed);
    Dl_info info;
    if (base == NULL) {
        if (!dladdr((const void *)&sl_driver_inside_shim, &info))
            return false;
        base = info.dli_fbase;
        atomic_store_explicit(&shim_base, base, memory_order_relaxed);
    }
    return dladdr(addr, &info) && info.dli_fbase == base;
}

void sl_driver_seed(const sl_driver_variant *variant, void *fn)
{
    if (fn == NULL || fn == variant->wrapper || sl_driver_inside_shim(fn))
        return;
    sl_resolve_seed(variant->real, fn);
}
