/*
 * libcuda_procaddress.c: cuGetProcAddress(_v2) and cuGetExportTable.
 *
 * The CUDA runtime never links the driver: it dlopens libcuda.so.1, looks up
 * cuGetProcAddress and asks it for every other entry point by base name and
 * the CUDA version it was built for ("cuMemAlloc", 3020 -> cuMemAlloc_v2), and
 * with CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM for the _ptsz variants.
 * The table below answers the same way for the entry points the double has.
 * The pointers handed out are the double's own functions (the library is
 * linked -Bsymbolic), as the real driver's are: a preloaded definition of the
 * same name does not replace them.
 *
 * cuGetExportTable (the runtime's private interface) is not served:
 * CUDA_ERROR_NOT_SUPPORTED, so the real runtime stops there.
 *
 * With STORMLOG_DOUBLE_CUDA_PROC_TRACE=path, every cuGetProcAddress request
 * is remembered and written to path (JSON lines) when cuGetExportTable is
 * called: what was asked, what the double answered and - read back from the
 * caller's out-pointer at that moment - what the caller finally holds. A
 * profiler between the caller and the double may replace the answer with its
 * own wrapper; the trace shows what it handed on.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcuda_internal.h"

typedef struct proc_entry {
    const char *base;     /* the name asked for */
    int version;          /* lowest CUDA version that gets this variant */
    const char *exported; /* the variant's exported name */
    void *fn;
    const char *ptsz_exported; /* per-thread-default-stream twin, or NULL */
    void *ptsz_fn;
} proc_entry;

#define E(base, version, fn) {base, version, #fn, (void *)fn, NULL, NULL}
#define EP(base, version, fn) {base, version, #fn, (void *)fn, #fn "_ptsz", (void *)fn##_ptsz}
/* Ascending version per base name: the last variant <= the request wins. */
static const proc_entry entries[] = {
    E("cuInit", 2000, cuInit),
    E("cuDriverGetVersion", 2020, cuDriverGetVersion),
    E("cuDeviceGet", 2000, cuDeviceGet),
    E("cuDeviceGetCount", 2000, cuDeviceGetCount),
    E("cuDevicePrimaryCtxRetain", 7000, cuDevicePrimaryCtxRetain),
    E("cuDevicePrimaryCtxRelease", 11000, cuDevicePrimaryCtxRelease_v2),
    E("cuCtxSetCurrent", 4000, cuCtxSetCurrent),
    E("cuCtxGetCurrent", 4000, cuCtxGetCurrent),
    E("cuCtxGetDevice", 2000, cuCtxGetDevice),
    E("cuPointerGetAttribute", 4000, cuPointerGetAttribute),
    E("cuStreamCreate", 2000, cuStreamCreate),
    E("cuStreamDestroy", 4000, cuStreamDestroy_v2),
    E("cuMemAlloc", 3020, cuMemAlloc_v2),
    E("cuMemAllocPitch", 3020, cuMemAllocPitch_v2),
    E("cuMemAllocManaged", 6000, cuMemAllocManaged),
    E("cuMemFree", 3020, cuMemFree_v2),
    EP("cuMemAllocAsync", 11020, cuMemAllocAsync),
    EP("cuMemAllocFromPoolAsync", 11020, cuMemAllocFromPoolAsync),
    EP("cuMemFreeAsync", 11020, cuMemFreeAsync),
    E("cuDeviceGetDefaultMemPool", 11020, cuDeviceGetDefaultMemPool),
    E("cuMemCreate", 10020, cuMemCreate),
    E("cuMemRelease", 10020, cuMemRelease),
    E("cuMemAddressReserve", 10020, cuMemAddressReserve),
    E("cuMemAddressFree", 10020, cuMemAddressFree),
    E("cuMemMap", 10020, cuMemMap),
    E("cuMemUnmap", 10020, cuMemUnmap),
    E("cuMemHostAlloc", 2020, cuMemHostAlloc),
    E("cuMemAllocHost", 3020, cuMemAllocHost_v2),
    E("cuMemFreeHost", 2000, cuMemFreeHost),
    E("cuMemGetInfo", 3020, cuMemGetInfo_v2),
    E("cuGetProcAddress", 11030, cuGetProcAddress),
    E("cuGetProcAddress", 12000, cuGetProcAddress_v2),
    E("cuGetExportTable", 3000, cuGetExportTable),
};
#undef E
#undef EP
#define ENTRY_COUNT (sizeof entries / sizeof entries[0])

/* ---- the trace ---------------------------------------------------------- */

#define TRACE_MAX 2048
#define TRACE_NAME_MAX 96

typedef struct trace_record {
    char symbol[TRACE_NAME_MAX];
    int version;
    unsigned long long flags;
    CUresult rc;
    unsigned status;
    const char *answered; /* exported name of the variant handed out, or NULL */
    void *answer;
    void **pfn; /* the caller's out-pointer, read back when the trace is written */
} trace_record;

static trace_record trace[TRACE_MAX];
static atomic_uint trace_count;

static bool tracing(void)
{
    static int enabled = -1; /* benign race: every thread computes the same value */
    if (enabled < 0)
        enabled = getenv("STORMLOG_DOUBLE_CUDA_PROC_TRACE") != NULL;
    return enabled == 1;
}

static void remember(const char *symbol, int version, cuuint64_t flags, CUresult rc, unsigned status,
                     const proc_entry *entry, bool ptsz, void *answer, void **pfn)
{
    unsigned i = atomic_fetch_add(&trace_count, 1);
    if (i >= TRACE_MAX)
        return;
    trace_record *r = &trace[i];
    snprintf(r->symbol, sizeof r->symbol, "%s", symbol != NULL ? symbol : "(null)");
    r->version = version;
    r->flags = flags;
    r->rc = rc;
    r->status = status;
    r->answered = entry == NULL ? NULL : ptsz ? entry->ptsz_exported : entry->exported;
    r->answer = answer;
    r->pfn = pfn;
}

static const char *base_name(const char *path)
{
    const char *slash = path != NULL ? strrchr(path, '/') : NULL;
    return slash != NULL ? slash + 1 : path != NULL ? path : "";
}

/* "object":"...","symbol":"..." of a code address, as the dynamic linker
 * names it (symbol only when the address is exactly that symbol's). */
static void describe(FILE *out, const char *key, void *addr)
{
    Dl_info info;
    if (addr == NULL || !dladdr(addr, &info)) {
        fprintf(out, ",\"%s\":\"%p\",\"%s_object\":null,\"%s_symbol\":null", key, addr, key, key);
        return;
    }
    fprintf(out, ",\"%s\":\"%p\",\"%s_object\":\"%s\"", key, addr, key, base_name(info.dli_fname));
    if (info.dli_sname != NULL && info.dli_saddr == addr)
        fprintf(out, ",\"%s_symbol\":\"%s\"", key, info.dli_sname);
    else
        fprintf(out, ",\"%s_symbol\":null", key);
}

static void write_trace(void)
{
    const char *path = getenv("STORMLOG_DOUBLE_CUDA_PROC_TRACE");
    FILE *out = path != NULL ? fopen(path, "w") : NULL;
    if (out == NULL)
        return;
    unsigned n = atomic_load(&trace_count);
    if (n > TRACE_MAX)
        n = TRACE_MAX;
    for (unsigned i = 0; i < n; i++) {
        const trace_record *r = &trace[i];
        fprintf(out, "{\"symbol\":\"%s\",\"version\":%d,\"flags\":%llu,\"rc\":%u,\"status\":%u", r->symbol,
                r->version, r->flags, r->rc, r->status);
        if (r->answered != NULL)
            fprintf(out, ",\"answered\":\"%s\"", r->answered);
        else
            fprintf(out, ",\"answered\":null");
        describe(out, "answer", r->answer);
        /* Where the caller keeps the answer: its value now is what it uses. */
        Dl_info where;
        if (r->pfn != NULL && dladdr((void *)r->pfn, &where) && where.dli_fname != NULL) {
            fprintf(out, ",\"pfn\":\"%p\",\"pfn_object\":\"%s\"", (void *)r->pfn, base_name(where.dli_fname));
            describe(out, "held", *(void *volatile *)r->pfn);
        } else {
            fprintf(out, ",\"pfn_object\":null");
        }
        fprintf(out, "}\n");
    }
    fprintf(out, "{\"requests\":%u,\"recorded\":%u}\n", atomic_load(&trace_count), n);
    fclose(out);
}

/* ---- the lookups -------------------------------------------------------- */

static CUresult lookup(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags, unsigned *status)
{
    const cuuint64_t known = SL_CU_GET_PROC_ADDRESS_LEGACY_STREAM | SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
    const proc_entry *found = NULL;
    bool name_known = false;
    bool ptsz = false;
    CUresult rc = SL_CUDA_SUCCESS_;
    *status = SL_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
    if (symbol == NULL || pfn == NULL || (flags & ~known) != 0) {
        rc = SL_CU_ERROR_INVALID_VALUE;
        goto out;
    }
    *pfn = NULL;
    for (size_t i = 0; i < ENTRY_COUNT; i++) {
        if (strcmp(entries[i].base, symbol) != 0)
            continue;
        name_known = true;
        if (entries[i].version <= cudaVersion)
            found = &entries[i];
    }
    if (found == NULL) {
        *status = name_known ? SL_CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT : SL_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
        rc = SL_CU_ERROR_NOT_FOUND;
        goto out;
    }
    ptsz = (flags & SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0 && found->ptsz_fn != NULL;
    *pfn = ptsz ? found->ptsz_fn : found->fn;
    *status = SL_CU_GET_PROC_ADDRESS_SUCCESS;
out:
    if (tracing())
        remember(symbol, cudaVersion, flags, rc, *status, found, ptsz, pfn != NULL ? *pfn : NULL, pfn);
    return rc;
}

CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *symbolStatus)
{
    unsigned status = 0;
    CUresult rc = lookup(symbol, pfn, cudaVersion, flags, &status);
    if (symbolStatus != NULL)
        *symbolStatus = status;
    return rc;
}

CUresult cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags)
{
    unsigned status = 0;
    return lookup(symbol, pfn, cudaVersion, flags, &status);
}

CUresult cuGetExportTable(const void **ppExportTable, const CUuuid *pExportTableId)
{
    (void)pExportTableId;
    if (ppExportTable != NULL)
        *ppExportTable = NULL;
    if (tracing())
        write_trace();
    return SL_CU_ERROR_NOT_SUPPORTED;
}
