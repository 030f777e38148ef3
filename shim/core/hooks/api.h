/* The interposed entry points as the code sees them: an enumerator, a name
 * for the record, a collector, a kind, the wrapper and its real-function
 * slot, all generated from hook_table.h's rows. */
#ifndef STORMLOG_SHIM_API_H
#define STORMLOG_SHIM_API_H

#include "event.h"
#include "hook_table.h"
#include "resolve.h"

typedef enum sl_api_kind {
    SL_KIND_DEVICE_ALLOC = 0, /* counted on the calling thread's current device */
    SL_KIND_HOST_ALLOC,       /* pinned host memory: device_id -1 */
    SL_KIND_FREE,             /* device found through the pointer table */
    SL_KIND_HOST_FREE,        /* pinned host memory returned: device -1 where the table does not know it */
    SL_KIND_QUERY,            /* passed through (MemGetInfo) */
    SL_KIND_MAP,              /* maps or unmaps memory counted elsewhere: an event, no bytes */
    SL_KIND_LOOKUP,           /* hands out other hooks (cuGetProcAddress): nothing counted */
} sl_api_kind;

/* The rows live in hook_table.h. */
#define SL_COLLECTOR_OF_CUDA SL_COLLECTOR_CUDA
#define SL_COLLECTOR_OF_CUDA_DRIVER SL_COLLECTOR_CUDA
#define SL_COLLECTOR_OF_HIP SL_COLLECTOR_HIP

/* The counted hooks first (0 .. SL_API_COUNT-1, what the accounting's
 * per-API books are sized by), then the driver's lookups. */
typedef enum sl_api {
#define SL_API_ENUM(e, ...) SL_API_##e,
    SL_API_LIST(SL_API_ENUM)
    SL_API_COUNT,
    SL_API_LOOKUPS_ = SL_API_COUNT - 1,
    SL_LOOKUP_LIST(SL_API_ENUM)
#undef SL_API_ENUM
    SL_HOOK_COUNT,
    SL_API_NONE = SL_HOOK_COUNT /* a ptsz twin column's NONE */
} sl_api;

/* SL_HOOK_<exported symbol>: a wrapper names its own row by its own name. */
enum {
#define SL_HOOK_ALIAS(e, sym, ...) SL_HOOK_##sym = SL_API_##e,
    SL_HOOK_LIST(SL_HOOK_ALIAS)
#undef SL_HOOK_ALIAS
};

typedef struct sl_api_info {
    const char *name; /* the exported symbol, and the record's "api" */
    sl_runtime runtime;
    sl_collector collector;
    sl_api_kind kind;
    const char *lookup; /* driver rows: the name cuGetProcAddress is asked for */
    int version;        /* the lowest CUDA version that gets this row; 0: no lookup */
    sl_api ptsz;        /* the per-thread-default-stream twin, or SL_API_NONE */
    void *wrapper;      /* our hook */
    sl_real_slot *real; /* the real function behind it */
} sl_api_info;

extern const sl_api_info sl_api_table[SL_HOOK_COUNT] __attribute__((visibility("hidden")));
extern sl_real_slot sl_hook_slots[SL_HOOK_COUNT] __attribute__((visibility("hidden")));

/* A wrapper's real-function slot. */
#define SL_HOOK_SLOT(sym) (&sl_hook_slots[SL_HOOK_##sym])

#endif
