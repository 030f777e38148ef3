/* Accounting: the one owner of the pointer table, the per-device counters and
 * the per-device ordered step that turns a counter update into an event.
 *
 * Ordering: for each device, "update the counters, take the timestamp, claim
 * the ring slot" happens under that device's spinlock as one step. Two threads
 * racing on one device therefore publish their events in the order of their
 * counter updates, so every device's events form a running sum (each event's
 * allocator_allocated_bytes = the previous one's + its allocator_change_bytes)
 * in file order and in timestamp order alike. The lock covers tens of
 * nanoseconds; the real call it accounts for costs microseconds. */
#ifndef STORMLOG_SHIM_ACCOUNTING_H
#define STORMLOG_SHIM_ACCOUNTING_H

#include "lifetime.h"

#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "map_table.h"
#include "pipeline.h"
#include "ptr_table.h"
#include "stormlog/schema/value.h"

#define SL_HOST_DEVICE (-1)

typedef struct sl_stream_ref {
    bool present;
    uint64_t handle;
} sl_stream_ref;

#define SL_NO_STREAM ((sl_stream_ref){false, 0})
#define SL_STREAM(s) ((sl_stream_ref){true, (uint64_t)(uintptr_t)(s)})

/* A successful allocation of size bytes at ptr (NULL: nothing allocated). */
void sl_account_alloc(sl_api api, int32_t device_id, void *ptr, uint64_t size, sl_stream_ref stream)
    __attribute__((visibility("hidden")));
/* A free is claimed BEFORE the real call: its entry leaves the pointer table
 * while the block is still allocated. Claimed after the call, the runtime
 * could hand the same address to another thread in between, whose new entry
 * the late removal would then take for the old block's. */
typedef struct sl_free_claim {
    uintptr_t ptr;
    bool found; /* the table knew ptr: info is its allocation */
    sl_ptr_info info;
} sl_free_claim;

void sl_account_claim_free(void *ptr, sl_free_claim *claim) __attribute__((visibility("hidden")));
/* After the real free succeeded: settles a found claim (counters, event) and
 * returns true; false for an unknown pointer (the caller then learns the
 * device and calls sl_account_unmatched_free). */
bool sl_account_free(sl_api api, const sl_free_claim *claim, sl_stream_ref stream) __attribute__((visibility("hidden")));
/* After the real free failed: the block is still allocated; its entry goes back. */
void sl_account_unclaim_free(const sl_free_claim *claim) __attribute__((visibility("hidden")));
void sl_account_unmatched_free(sl_api api, int32_t device_id) __attribute__((visibility("hidden")));
/* A call that returned an error. Allocation APIs also get an error event
 * (durable when out_of_memory); frees and queries are only counted. */
void sl_account_failure(sl_api api, int32_t device_id, unsigned code, bool out_of_memory, uint64_t size,
                        sl_stream_ref stream) __attribute__((visibility("hidden")));

/* ---- mappings of the virtual memory API: events, never bytes ------------
 * The physical memory was counted when it was created; mapping it into an
 * address range and unmapping it again only leave a memory_map /
 * memory_unmap event (allocator_change_bytes 0) on the physical
 * allocation's device, so a timeline shows when a segment grew or shrank. */

/* The device of the physical allocation behind handle, as create_api (its
 * cuMemCreate) recorded it in the pointer table; SL_HOST_DEVICE when the
 * shim never saw it created (imported from another process, or created
 * while the shim was disabled), as cuMemRelease charges an unknown handle. */
int32_t sl_account_handle_device(sl_api create_api, uint64_t handle) __attribute__((visibility("hidden")));
/* After a successful map: remember it (map_table.h) and record the event. */
void sl_account_map(sl_api api, const sl_mapping *m) __attribute__((visibility("hidden")));
/* An unmap claims the mappings its range covers BEFORE the real call, for
 * the reason sl_account_claim_free gives: claimed after it, another thread
 * could map the same addresses in between and lose its record to us. The
 * range may cover several mappings laid end to end; the claim takes them
 * from the start of the range up to the first gap. */
typedef struct sl_unmap_claim {
    size_t count;
    size_t capacity;
    sl_mapping *list; /* inline_list, or the heap when the range covers more */
    sl_mapping inline_list[4];
} sl_unmap_claim;
void sl_account_claim_unmap(uintptr_t ptr, uint64_t size, sl_unmap_claim *claim) __attribute__((visibility("hidden")));
/* After the real unmap succeeded: one memory_unmap event per claimed
 * mapping (none for a range the shim never saw mapped). Ends the claim. */
void sl_account_unmap(sl_api api, sl_unmap_claim *claim) __attribute__((visibility("hidden")));
/* After it failed: the mappings are still there; they go back. Ends the claim. */
void sl_account_unclaim_unmap(sl_unmap_claim *claim) __attribute__((visibility("hidden")));

/* Device totals from the real MemGetInfo. The hooks ask whether a refresh is
 * due (so the runtime is not asked on every call) and report what they got;
 * the application's own MemGetInfo calls are reported too. */
bool sl_account_device_info_due(int32_t device_id) __attribute__((visibility("hidden")));
void sl_account_device_info(int32_t device_id, uint64_t free_bytes, uint64_t total_bytes)
    __attribute__((visibility("hidden")));
/* Bytes a memory pool keeps beyond what is allocated from it (reserved -
 * used), as the runtime reports after an async call; pool is its handle. */
void sl_account_pool_slack(int32_t device_id, uint64_t pool, int64_t slack_bytes) __attribute__((visibility("hidden")));

/* Fill ev's allocator and device fields and timestamp from device_id's state
 * and emit it, in the device's ordered step (start events). */
bool sl_account_emit_marker(sl_event *ev) __attribute__((visibility("hidden")));
/* Same fields and timestamp, without emitting (the stop event, which the
 * pipeline writes last). */
void sl_account_stamp_marker(sl_event *ev) __attribute__((visibility("hidden")));
/* Waits until no thread is inside a device's ordered step: after the
 * lifecycle has stopped recording, no event can be claimed any more. */
void sl_account_quiesce(void) __attribute__((visibility("hidden")));

/* The stop event's summary: members "devices", "failed_calls",
 * "leaked_bytes_total", "unmatched_frees_total". Points into static storage
 * that stays valid until the next call. Returns the member count. */
size_t sl_account_summary(const sl_member **members) __attribute__((visibility("hidden")));

/* Counters of one device (-1: host) for the public API. */
typedef struct sl_device_counters {
    int64_t allocated_bytes;
    int64_t reserved_bytes;
    int64_t peak_bytes;
    uint64_t allocations;
    uint64_t frees;
    uint64_t failures;
    uint64_t unmatched_frees;
    uint64_t live_allocations;
} sl_device_counters;
bool sl_account_counters(int32_t device_id, sl_device_counters *out) __attribute__((visibility("hidden")));
/* sl_lifetime_books_fn for the writer's lifetime figures. */
bool sl_account_lifetime_books(int32_t device_id, sl_lifetime_books *out) __attribute__((visibility("hidden")));

/* Fork: prepare holds every lock; parent releases; child starts from zero. */
void sl_account_atfork_prepare(void) __attribute__((visibility("hidden")));
void sl_account_atfork_parent(void) __attribute__((visibility("hidden")));
void sl_account_atfork_child(void) __attribute__((visibility("hidden")));

#endif
