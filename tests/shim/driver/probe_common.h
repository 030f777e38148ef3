/* probe_common.h: what every driver-route probe shares. A probe runs under
 * LD_PRELOAD=libstormlog_shim.so, makes allocations through one route and
 * checks after each call that the shim's counters (stormlog_shim_device_counters)
 * moved exactly as the doubles' ground truth did, on the right device: same
 * bytes, one allocation or free per call. Exit status 0 when all held. */
#ifndef STORMLOG_DRIVER_PROBE_COMMON_H
#define STORMLOG_DRIVER_PROBE_COMMON_H


#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stormlog/shim.h"

static int probe_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            probe_failures++;                                                                      \
        }                                                                                          \
    } while (0)

typedef long long (*truth_live_fn)(int device);

typedef struct probe_books {
    int (*shim_counters)(int, stormlog_shim_counters *);
    truth_live_fn truth_live;
} probe_books;

typedef struct snapshot {
    stormlog_shim_counters shim;
    long long truth;
} snapshot;

static probe_books books;

/* The shim is looked up, not linked: without it the probe says so and fails. */
static inline int probe_books_init(truth_live_fn truth)
{
    *(void **)&books.shim_counters = dlsym(RTLD_DEFAULT, "stormlog_shim_device_counters");
    books.truth_live = truth;
    if (books.shim_counters == NULL) {
        printf("FAIL: libstormlog_shim.so is not loaded (run under LD_PRELOAD)\n");
        return -1;
    }
    return 0;
}

static inline snapshot take(int device)
{
    snapshot s;
    memset(&s, 0, sizeof s);
    books.shim_counters(device, &s.shim);
    s.truth = books.truth_live(device);
    return s;
}

/* After one allocation on device: the shim moved by the truth's bytes (> 0), +1 allocation. */
static inline void expect_alloc(const char *what, int device, const snapshot *before)
{
    snapshot after = take(device);
    long long truth = after.truth - before->truth;
    long long shim = after.shim.allocated_bytes - before->shim.allocated_bytes;
    CHECK(truth > 0, "%s: nothing allocated on device %d", what, device);
    CHECK(shim == truth, "%s on device %d: shim +%lld bytes, truth +%lld", what, device, shim, truth);
    CHECK(after.shim.allocations == before->shim.allocations + 1, "%s on device %d: %" PRIu64 " allocations counted, want 1",
          what, device, after.shim.allocations - before->shim.allocations);
    printf("ok   %s: device %d +%lld bytes, counted once\n", what, device, truth);
}

/* After one free on device: both back by the same bytes, +1 free. */
static inline void expect_free(const char *what, int device, const snapshot *before)
{
    snapshot after = take(device);
    long long truth = after.truth - before->truth;
    long long shim = after.shim.allocated_bytes - before->shim.allocated_bytes;
    CHECK(truth < 0, "%s: nothing freed on device %d", what, device);
    CHECK(shim == truth, "%s on device %d: shim %lld bytes, truth %lld", what, device, shim, truth);
    CHECK(after.shim.frees == before->shim.frees + 1, "%s on device %d: %" PRIu64 " frees counted, want 1", what, device,
          after.shim.frees - before->shim.frees);
    printf("ok   %s: device %d %lld bytes, counted once\n", what, device, truth);
}

/* The shared object a code address lies in, and the symbol it is exactly. */
static inline const char *object_of(const void *addr)
{
    Dl_info info;
    if (addr == NULL || !dladdr(addr, &info) || info.dli_fname == NULL)
        return "(none)";
    const char *slash = strrchr(info.dli_fname, '/');
    return slash != NULL ? slash + 1 : info.dli_fname;
}

static inline const char *symbol_of(const void *addr)
{
    Dl_info info;
    if (addr == NULL || !dladdr(addr, &info) || info.dli_sname == NULL || info.dli_saddr != addr)
        return "(none)";
    return info.dli_sname;
}

/* addr is the shim's wrapper named name. */
static inline void expect_wrapper(const char *what, const void *addr, const char *name)
{
    CHECK(strncmp(object_of(addr), "libstormlog_shim.so", 19) == 0 && strcmp(symbol_of(addr), name) == 0,
          "%s: got %s in %s, want the shim's %s", what, symbol_of(addr), object_of(addr), name);
}

static inline int probe_result(const char *name)
{
    printf("%s: %s (%d failures)\n", name, probe_failures == 0 ? "PASS" : "FAIL", probe_failures);
    return probe_failures == 0 ? 0 : 1;
}

#endif
