/* Every driver row of the hook table (shim/core/hooks/hook_table.h), read
 * from the table itself: dlsym on a dlopen'ed libcuda, and cuGetProcAddress
 * at the row's version (with the per-thread-default-stream flag: its ptsz
 * twin), must hand out the shim's export of exactly that name. A row added to
 * the table is checked here without a line of this file; a variant the shim
 * does not export, a lookup name or version the driver does not answer, a
 * wrong twin fails. Run with the shim preloaded and the libcuda double on
 * the RUNPATH. Prints one line per failure, exits 1 on any. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "hook_table.h"

#define PER_THREAD_DEFAULT_STREAM 2ull /* CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM */

typedef unsigned int (*get_proc_fn)(const char *symbol, void **pfn, int version, unsigned long long flags);

enum {
#define ROW_ENUM(e, ...) R_##e,
    SL_HOOK_LIST(ROW_ENUM)
#undef ROW_ENUM
    R_COUNT,
    R_NONE = -1
};

typedef struct row {
    const char *symbol;
    const char *lookup;
    int driver; /* 1 for a CUDA_DRIVER row */
    int version;
    int twin;
} row;

static const row rows[R_COUNT] = {
#define ROW(e, sym, rt, kind, lookup, version, twin) \
    [R_##e] = {#sym, #lookup, SL_IF_RUNTIME(rt, CUDA_DRIVER, 1) + 0, version, R_##twin},
    SL_HOOK_LIST(ROW)
#undef ROW
};

static int failures;

/* p is the shim's export named want. */
static void expect_shim(void *p, const char *want, const char *how)
{
    Dl_info info;
    if (p == NULL || !dladdr(p, &info) || info.dli_fname == NULL || strstr(info.dli_fname, "stormlog_shim") == NULL
        || info.dli_sname == NULL || strcmp(info.dli_sname, want) != 0) {
        printf("FAIL: %s: got %p (%s in %s), want the shim's %s\n", how, p,
               p && dladdr(p, &info) && info.dli_sname ? info.dli_sname : "?",
               p && dladdr(p, &info) && info.dli_fname ? info.dli_fname : "?", want);
        failures++;
    }
}

int main(void)
{
    void *libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (libcuda == NULL) {
        printf("FAIL: dlopen(libcuda.so.1): %s\n", dlerror());
        return 1;
    }
    get_proc_fn get = (get_proc_fn)dlsym(libcuda, "cuGetProcAddress");
    if (get == NULL) {
        printf("FAIL: no cuGetProcAddress in libcuda.so.1\n");
        return 1;
    }
    int checked = 0;
    for (int i = 0; i < R_COUNT; i++) {
        const row *r = &rows[i];
        if (!r->driver)
            continue;
        char how[160];
        snprintf(how, sizeof how, "dlsym(libcuda, \"%s\")", r->symbol);
        expect_shim(dlsym(libcuda, r->symbol), r->symbol, how);
        checked++;
        if (r->version == 0)
            continue; /* reached only as another row's twin */
        void *fn = NULL;
        snprintf(how, sizeof how, "cuGetProcAddress(\"%s\", %d)", r->lookup, r->version);
        if (get(r->lookup, &fn, r->version, 0) != 0)
            fn = NULL;
        expect_shim(fn, r->symbol, how);
        if (r->twin == R_NONE)
            continue;
        fn = NULL;
        snprintf(how, sizeof how, "cuGetProcAddress(\"%s\", %d, per-thread)", r->lookup, r->version);
        if (get(r->lookup, &fn, r->version, PER_THREAD_DEFAULT_STREAM) != 0)
            fn = NULL;
        expect_shim(fn, rows[r->twin].symbol, how);
    }
    printf("routes: %d driver rows of the hook table checked, %d failure(s)\n", checked, failures);
    return failures == 0 && checked > 0 ? 0 : 1;
}
