/* Noticing that a runtime went away. A program may dlopen a plugin linked to
 * libcudart, dlclose it (the runtime is unloaded with it) and dlopen it again
 * at another address; every real-function pointer the shim resolved before
 * then points into unmapped memory. So dlclose is wrapped: after the real
 * one returns, the loader's count of unloaded objects (dl_iterate_phdr's
 * dlpi_subs) says whether anything left the process, and if so the unload
 * generation moves on and every slot resolves again at its next use
 * (resolve.h). A dlclose that only drops a reference costs one
 * dl_iterate_phdr call and invalidates nothing.
 *
 * dlclose depends on nothing about its caller (unlike dlopen, whose $ORIGIN
 * and RUNPATH are the caller's), so wrapping it changes nothing else; errno
 * and dlerror() are what the real call left. With native call stacks on,
 * the module list is copied first (module_history.h): stacks captured
 * before an unload are named after the modules they ran in. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>

#include "module_history.h"
#include "resolve.h"

_Atomic unsigned sl_unload_generation;

typedef int (*dlclose_fn)(void *);

static _Atomic(dlclose_fn) real_dlclose;
static _Atomic unsigned long long last_subs;

/* glibc 2.34 moved dlclose into libc (GLIBC_2.34); before, libdl had it as
 * GLIBC_2.2.5 (x86_64) or GLIBC_2.17 (aarch64). dlvsym is not hooked. */
static dlclose_fn glibc_dlclose(void)
{
    dlclose_fn fn = atomic_load_explicit(&real_dlclose, memory_order_acquire);
    if (fn != NULL)
        return fn;
    static const char *const versions[] = {"GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0] && fn == NULL; i++)
        fn = (dlclose_fn)dlvsym(RTLD_NEXT, "dlclose", versions[i]);
    if (fn != NULL)
        atomic_store_explicit(&real_dlclose, fn, memory_order_release);
    return fn;
}

static int read_subs(struct dl_phdr_info *info, size_t size, void *arg)
{
    /* dlpi_subs exists from glibc 2.4 on: check the size the loader gave. */
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        *(unsigned long long *)arg = info->dlpi_subs;
    return 1; /* the counters are the same in every entry */
}

void sl_unload_check(void)
{
    unsigned long long subs = 0;
    dl_iterate_phdr(read_subs, &subs);
    if (atomic_exchange_explicit(&last_subs, subs, memory_order_acq_rel) != subs)
        atomic_fetch_add_explicit(&sl_unload_generation, 1, memory_order_acq_rel);
}

__attribute__((visibility("default"))) int dlclose(void *handle)
{
    dlclose_fn real = glibc_dlclose();
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    int entry_errno = errno;
    sl_module_history_before_dlclose();
    errno = entry_errno;
    int rc = real(handle);
    int saved_errno = errno;
    if (rc == 0)
        sl_unload_check();
    errno = saved_errno;
    return rc;
}

__attribute__((constructor)) static void note_loaded_objects(void)
{
    unsigned long long subs = 0;
    dl_iterate_phdr(read_subs, &subs);
    atomic_store_explicit(&last_subs, subs, memory_order_release);
}
