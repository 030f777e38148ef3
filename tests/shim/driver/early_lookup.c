/* early_lookup.so: a dependency of dlsym_hardening, so glibc runs its
 * constructor before those of preloaded libraries: the shim's dlsym hook is
 * entered before the shim has initialised anything. The lookups it makes
 * there must already be right. */

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int early_lookup_failures(void);
int early_lookup_checks(void);

static int failures;
static int checks;

static void expect(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL early lookup: %s\n", what);
    }
}

static const char *object_of(void *addr)
{
    Dl_info info;
    if (addr == NULL || !dladdr(addr, &info) || info.dli_fname == NULL)
        return "";
    const char *slash = strrchr(info.dli_fname, '/');
    return slash != NULL ? slash + 1 : info.dli_fname;
}

__attribute__((constructor)) static void early(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *(*glibc_dlsym)(void *, const char *) = NULL;
    *(void **)&glibc_dlsym = dlvsym(libc, "dlsym", "GLIBC_2.34");
    if (glibc_dlsym == NULL)
        *(void **)&glibc_dlsym = dlvsym(libc, "dlsym", "GLIBC_2.2.5");
    expect(glibc_dlsym != NULL, "glibc's dlsym");
    if (glibc_dlsym == NULL)
        return;
    expect(dlsym(RTLD_NEXT, "malloc") == glibc_dlsym(RTLD_NEXT, "malloc"), "RTLD_NEXT malloc");
    expect(dlsym(RTLD_DEFAULT, "printf") == glibc_dlsym(RTLD_DEFAULT, "printf"), "RTLD_DEFAULT printf");
    expect(dlsym(RTLD_DEFAULT, "cudnnCreate") == NULL, "cudnnCreate is nowhere");
    void *libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    expect(libcuda != NULL, "dlopen libcuda.so.1");
    if (libcuda == NULL)
        return;
    expect(dlsym(libcuda, "cuDeviceGet") == glibc_dlsym(libcuda, "cuDeviceGet"), "cuDeviceGet is the driver's");
    void *alloc = dlsym(libcuda, "cuMemAlloc_v2");
    expect(strncmp(object_of(alloc), "libstormlog_shim.so", 19) == 0, "cuMemAlloc_v2 is the shim's wrapper");
    expect(dlsym(libcuda, "cuMemAlloc_v2") == alloc, "a repeated lookup gives the same wrapper");
}

int early_lookup_failures(void)
{
    return failures;
}

int early_lookup_checks(void)
{
    return checks;
}
