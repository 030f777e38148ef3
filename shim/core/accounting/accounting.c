/* Per-device counters and the ordered emit step. See accounting.h for the
 * ordering rule and ptr_table.h for the table; the mappings' events are in
 * mapping_claims.c, the failed-call tally and the stop summary in
 * stop_summary.c. */
#include "accounting.h"
#include "accounting_step.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "guard.h"
#include "lifecycle.h"
#include "ptr_table.h"
#include "spinlock.h"
#include "stacks.h"
#include "thread_context.h"
#include "wallclock.h"

/* accounting_step.h says which slot is which. */
#define DEVICE_SLOTS SL_ACCOUNT_DEVICE_SLOTS
#define OVERFLOW_SLOT (DEVICE_SLOTS - 1)
#define POOLS_PER_DEVICE 4

typedef struct device_state {
    sl_spinlock lock; /* the ordered step: counters, timestamp, ring claim */
    bool touched;     /* anything happened here: listed in the summary */
    int64_t live_bytes;
    int64_t peak_bytes;
    int64_t peak_event_mark; /* live bytes at the last peak event */
    int64_t last_timestamp_ns; /* of this device's last event: timestamps never go back */
    uint64_t allocations;
    uint64_t frees;
    uint64_t failures;
    uint64_t unmatched_frees;
    uint64_t ooms; /* failed allocations that were out of memory */
    uint64_t live_allocations;
    /* Memory pools seen on this device and what each keeps beyond its use. */
    uint64_t pool_handle[POOLS_PER_DEVICE];
    int64_t pool_slack[POOLS_PER_DEVICE];
    /* Last MemGetInfo truth and when it was taken / last sample event. */
    bool has_info;
    int64_t info_free;
    int64_t info_total;
    _Atomic int64_t info_taken_ns;
    int64_t sample_emitted_ns;
} __attribute__((aligned(64))) device_state;

static device_state devices[DEVICE_SLOTS];

static inline device_state *slot_of(int32_t device_id)
{
    if (device_id >= -1 && device_id < SL_MAX_DEVICES)
        return &devices[device_id + 1];
    return &devices[OVERFLOW_SLOT];
}

/* Event timestamps: the record's wall clock (wallclock.h: the TSC, scaled). */
static inline int64_t now_ns(void)
{
    return sl_wallclock_ns();
}

/* "Is a refresh due" needs milliseconds, not nanoseconds: the coarse clock
 * is read from the vDSO page without a TSC read, several times cheaper, and
 * it is on every allocation's path. */
static inline int64_t coarse_ns(void)
{
    return sl_clock_ns(CLOCK_MONOTONIC_COARSE);
}

static int64_t reserved_of(const device_state *d)
{
    int64_t reserved = d->live_bytes;
    for (int i = 0; i < POOLS_PER_DEVICE; i++)
        reserved += d->pool_slack[i];
    return reserved;
}

void sl_account_init_event(sl_event *ev, sl_event_type type, sl_collector collector, int32_t device_id)
{
    memset(ev, 0, offsetof(sl_event, meta));
    ev->type = (uint8_t)type;
    ev->collector = (uint8_t)collector;
    ev->device_id = device_id;
    sl_thread_apply_context(ev);
}

/* Inside the ordered step: the allocator fields from the counters, the device
 * fields from the last MemGetInfo truth, and the timestamp. What we write
 * always satisfies used <= total and free <= total; where the truth (or our
 * own count, with managed memory) says otherwise, the value is clamped and
 * metadata.device_used_clamped says so. */
static void stamp(sl_event *ev, device_state *d)
{
    /* The wall clock may step back (NTP); a device's events must stay in
     * timestamp order as they are in file order, so a step back is held at
     * the last value. */
    int64_t now = now_ns();
    if (now < d->last_timestamp_ns)
        now = d->last_timestamp_ns;
    d->last_timestamp_ns = now;
    ev->timestamp_ns = now;
    ev->allocated_bytes = d->live_bytes;
    ev->reserved_bytes = reserved_of(d);
    if (!d->has_info) {
        ev->device_used_bytes = d->live_bytes;
        return;
    }
    int64_t total = d->info_total;
    int64_t free_bytes = d->info_free;
    bool clamped = false;
    if (free_bytes > total) {
        free_bytes = total;
        clamped = true;
    }
    /* The truth is sampled; what this process holds right now is a floor. */
    int64_t used = total - free_bytes;
    if (used < d->live_bytes)
        used = d->live_bytes;
    if (used > total) {
        used = total;
        clamped = true;
    }
    ev->device_used_bytes = used;
    ev->device_free_bytes = free_bytes;
    ev->device_total_bytes = total;
    ev->flags |= SL_EVENT_F_HAS_FREE | SL_EVENT_F_HAS_TOTAL;
    if (clamped)
        sl_event_meta_bool(ev, "device_used_clamped", true);
}

/* Follow-up events of the same step: zero change, same device state. */
static void emit_followups(device_state *d, sl_collector collector, int32_t device_id)
{
    const sl_shim_config *cfg = sl_config();
    if (cfg->peak_step_bytes > 0 && d->live_bytes >= d->peak_event_mark + cfg->peak_step_bytes) {
        sl_event peak;
        sl_account_init_event(&peak, SL_EVENT_PEAK, collector, device_id);
        sl_event_meta_int(&peak, "peak_bytes", d->peak_bytes);
        sl_event_meta_int(&peak, "peak_step_bytes", cfg->peak_step_bytes);
        stamp(&peak, d);
        sl_pipeline_emit(&peak);
        d->peak_event_mark = d->live_bytes;
    }
    if (cfg->sampling_interval_ms > 0 &&
        d->last_timestamp_ns - d->sample_emitted_ns >= cfg->sampling_interval_ms * 1000000LL) {
        sl_event sample;
        sl_account_init_event(&sample, SL_EVENT_SAMPLE, collector, device_id);
        stamp(&sample, d);
        sl_pipeline_emit(&sample);
        d->sample_emitted_ns = sample.timestamp_ns;
    }
}

void sl_account_add_origin(sl_event *ev, sl_stream_ref stream)
{
    if (stream.present)
        sl_event_meta_hex(ev, "stream", stream.handle);
    /* A runtime call counted here that reached the driver through a hooked
     * driver function: which one (the driver hook itself counted nothing). */
    if (sl_nested_driver_api != NULL)
        sl_event_meta_str(ev, "driver_api", sl_nested_driver_api);
    sl_event_meta_int(ev, "thread_id", sl_thread_id());
}

/* What one ordered step does to the device's counters. */
typedef enum step_kind {
    STEP_ALLOCATION,
    STEP_FREE,
    STEP_FAILURE, /* a failed allocation */
    STEP_OOM,     /* a failed allocation that was out of memory */
    STEP_MAPPING, /* an event only: no counter moves */
} step_kind;

/* The ordered step (accounting.h): the counters change, then, with ev (NULL:
 * not recorded) and a session that is recording, its timestamp and ring slot
 * are taken under the same lock, and the follow-up peak and sample events. */
static void ordered_step(device_state *d, step_kind kind, int64_t bytes, sl_event *ev, sl_collector collector,
                         int32_t device_id)
{
    sl_spin_lock(&d->lock);
    d->touched = true;
    switch (kind) {
    case STEP_ALLOCATION:
        d->live_bytes += bytes;
        if (d->live_bytes > d->peak_bytes)
            d->peak_bytes = d->live_bytes;
        d->allocations++;
        d->live_allocations++;
        break;
    case STEP_FREE:
        d->live_bytes -= bytes;
        d->frees++;
        d->live_allocations--;
        break;
    case STEP_OOM:
        d->ooms++;
        /* fall through */
    case STEP_FAILURE:
        d->failures++;
        break;
    case STEP_MAPPING:
        break;
    }
    if (ev != NULL && sl_lifecycle_recording()) {
        bool failure = kind == STEP_FAILURE || kind == STEP_OOM;
        if (failure)
            sl_event_meta_int(ev, "peak_bytes", d->peak_bytes);
        stamp(ev, d);
        /* An OOM is often the last thing a process does: its record must be
         * on disk before the failing call returns. Waiting here holds the
         * device's step, which only delays this device's other threads
         * (bounded by STORMLOG_DURABLE_TIMEOUT_MS) and keeps the running sum
         * ordered. */
        if (kind == STEP_OOM)
            sl_pipeline_emit_durable(ev, sl_config()->durable_timeout_ms);
        else
            sl_pipeline_emit(ev);
        if (!failure)
            emit_followups(d, collector, device_id);
    }
    sl_spin_unlock(&d->lock);
}

/* Take a live block off its device: counters, then the deallocation event. */
static void settle_free(sl_api api, uintptr_t ptr, const sl_ptr_info *info, sl_stream_ref stream,
                        const char *reason)
{
    sl_collector collector = sl_api_table[api].collector;
    bool record = sl_lifecycle_begin_event(collector);
    device_state *d = slot_of(info->device_id);
    sl_event ev;
    if (record) {
        sl_account_init_event(&ev, SL_EVENT_DEALLOCATION, collector, info->device_id);
        ev.change_bytes = -info->size;
        sl_event_meta_str(&ev, "api", sl_api_table[api].name);
        sl_event_meta_str(&ev, "allocation_api", sl_api_table[info->api].name);
        sl_event_meta_hex(&ev, "ptr", ptr);
        sl_event_meta_int(&ev, "size", info->size);
        if (reason != NULL)
            sl_event_meta_str(&ev, "reason", reason);
        sl_account_add_origin(&ev, stream);
    }
    ordered_step(d, STEP_FREE, info->size, record ? &ev : NULL, collector, info->device_id);
}

void sl_account_alloc(sl_api api, int32_t device_id, void *ptr, uint64_t size, sl_stream_ref stream)
{
    if (ptr == NULL) /* a zero-byte request: nothing was allocated */
        return;
    sl_ptr_info info = {(int64_t)size, device_id, (uint16_t)api};
    sl_ptr_info replaced;
    switch (sl_ptr_table_insert((uintptr_t)ptr, info, &replaced)) {
    case SL_PTR_INSERTED:
        break;
    case SL_PTR_REPLACED:
        settle_free(api, (uintptr_t)ptr, &replaced, SL_NO_STREAM, "address_reused");
        break;
    case SL_PTR_NO_MEMORY:
        /* Counting a block whose free we could not match would make the
         * counters drift for good; leave it out and say so once. */
        sl_config_warn("pointer table out of memory: an allocation of %llu bytes is not tracked",
                       (unsigned long long)size);
        return;
    }

    sl_collector collector = sl_api_table[api].collector;
    bool record = sl_lifecycle_begin_event(collector);
    device_state *d = slot_of(device_id);
    sl_event ev;
    if (record) {
        sl_account_init_event(&ev, SL_EVENT_ALLOCATION, collector, device_id);
        ev.change_bytes = (int64_t)size;
        sl_event_meta_str(&ev, "api", sl_api_table[api].name);
        sl_event_meta_hex(&ev, "ptr", (uintptr_t)ptr);
        sl_event_meta_int(&ev, "size", (int64_t)size);
        sl_account_add_origin(&ev, stream);
        if (sl_stacks_active) /* off: this one branch is all stacks cost */
            sl_stacks_tag(&ev);
    }
    ordered_step(d, STEP_ALLOCATION, (int64_t)size, record ? &ev : NULL, collector, device_id);
}

void sl_account_claim_free(void *ptr, sl_free_claim *claim)
{
    claim->ptr = (uintptr_t)ptr;
    claim->found = ptr != NULL && sl_ptr_table_remove((uintptr_t)ptr, &claim->info);
}

bool sl_account_free(sl_api api, const sl_free_claim *claim, sl_stream_ref stream)
{
    if (!claim->found)
        return false;
    settle_free(api, claim->ptr, &claim->info, stream, NULL);
    return true;
}

void sl_account_unclaim_free(const sl_free_claim *claim)
{
    sl_ptr_info ignored;
    /* Cannot be REPLACED (the runtime still holds the block) and cannot run
     * out of memory (the slot it left is free, and the table never shrinks). */
    if (claim->found)
        sl_ptr_table_insert(claim->ptr, claim->info, &ignored);
}

void sl_account_unmatched_free(sl_api api, int32_t device_id)
{
    (void)api;
    device_state *d = slot_of(device_id);
    sl_spin_lock(&d->lock);
    d->touched = true;
    d->unmatched_frees++;
    sl_spin_unlock(&d->lock);
}

void sl_account_failure(sl_api api, int32_t device_id, unsigned code, bool out_of_memory, uint64_t size,
                        sl_stream_ref stream)
{
    /* Every failed call is counted by API and code (the stop summary); only
     * a failed allocation is a failure of the device and an error event. */
    sl_account_count_failed(api, code);
    sl_api_kind kind = sl_api_table[api].kind;
    if (kind != SL_KIND_DEVICE_ALLOC && kind != SL_KIND_HOST_ALLOC)
        return;
    sl_collector collector = sl_api_table[api].collector;
    bool record = sl_lifecycle_begin_event(collector);
    device_state *d = slot_of(device_id);
    sl_event ev;
    if (record) {
        sl_account_init_event(&ev, SL_EVENT_ERROR, collector, device_id);
        sl_event_meta_str(&ev, "api", sl_api_table[api].name);
        sl_event_meta_str(&ev, "reason", out_of_memory ? "out_of_memory" : "api_error");
        /* The reference's readers count an OOM only by this key (rollups.md 4.5). */
        if (out_of_memory)
            sl_event_meta_str(&ev, "oom_reason", "out_of_memory");
        sl_event_meta_int(&ev, "error_code", (int64_t)code);
        sl_event_meta_int(&ev, "requested_bytes", (int64_t)size);
        sl_account_add_origin(&ev, stream);
        if (sl_stacks_active)
            sl_stacks_tag(&ev);
        if (out_of_memory)
            ev.flags |= SL_EVENT_F_DURABLE;
    }
    ordered_step(d, out_of_memory ? STEP_OOM : STEP_FAILURE, 0, record ? &ev : NULL, collector, device_id);
}

/* The mapping files' way into the ordered step (accounting_step.h). */
void sl_account_event_step(sl_event *ev, sl_collector collector)
{
    ordered_step(slot_of(ev->device_id), STEP_MAPPING, 0, ev, collector, ev->device_id);
}

bool sl_account_device_info_due(int32_t device_id)
{
    const sl_shim_config *cfg = sl_config();
    int64_t interval_ms = cfg->sampling_interval_ms > 0 ? cfg->sampling_interval_ms : cfg->device_info_interval_ms;
    if (interval_ms <= 0)
        return false;
    device_state *d = slot_of(device_id);
    int64_t taken = atomic_load_explicit(&d->info_taken_ns, memory_order_relaxed);
    return taken == 0 || coarse_ns() - taken >= interval_ms * 1000000LL;
}

void sl_account_device_info(int32_t device_id, uint64_t free_bytes, uint64_t total_bytes)
{
    if (device_id < 0)
        return;
    device_state *d = slot_of(device_id);
    sl_spin_lock(&d->lock);
    d->has_info = true;
    d->info_free = free_bytes > INT64_MAX ? INT64_MAX : (int64_t)free_bytes;
    d->info_total = total_bytes > INT64_MAX ? INT64_MAX : (int64_t)total_bytes;
    int64_t taken = coarse_ns();
    atomic_store_explicit(&d->info_taken_ns, taken != 0 ? taken : 1, memory_order_relaxed);
    sl_spin_unlock(&d->lock);
}

void sl_account_pool_slack(int32_t device_id, uint64_t pool, int64_t slack_bytes)
{
    device_state *d = slot_of(device_id);
    if (slack_bytes < 0)
        slack_bytes = 0;
    sl_spin_lock(&d->lock);
    int free_index = -1;
    for (int i = 0; i < POOLS_PER_DEVICE; i++) {
        if (d->pool_handle[i] == pool) {
            d->pool_slack[i] = slack_bytes;
            free_index = -2;
            break;
        }
        if (d->pool_handle[i] == 0 && free_index == -1)
            free_index = i;
    }
    if (free_index >= 0) {
        d->pool_handle[free_index] = pool;
        d->pool_slack[free_index] = slack_bytes;
    }
    /* A fifth pool on one device is not tracked: reserved then understates
     * what the pools keep, never what is allocated. */
    sl_spin_unlock(&d->lock);
}

bool sl_account_emit_marker(sl_event *ev)
{
    /* Not gated on sl_lifecycle_recording(): the start event goes out while
     * the session is still STARTING, before any other thread may emit. */
    device_state *d = slot_of(ev->device_id);
    sl_spin_lock(&d->lock);
    stamp(ev, d);
    bool emitted = sl_pipeline_emit(ev);
    sl_spin_unlock(&d->lock);
    return emitted;
}

void sl_account_stamp_marker(sl_event *ev)
{
    device_state *d = slot_of(ev->device_id);
    sl_spin_lock(&d->lock);
    stamp(ev, d);
    sl_spin_unlock(&d->lock);
}

void sl_account_quiesce(void)
{
    for (int i = 0; i < DEVICE_SLOTS; i++) {
        sl_spin_lock(&devices[i].lock);
        sl_spin_unlock(&devices[i].lock);
    }
}

/* Under the device's lock. */
static void copy_counters(const device_state *d, sl_device_counters *out)
{
    out->allocated_bytes = d->live_bytes;
    out->reserved_bytes = reserved_of(d);
    out->peak_bytes = d->peak_bytes;
    out->allocations = d->allocations;
    out->frees = d->frees;
    out->failures = d->failures;
    out->unmatched_frees = d->unmatched_frees;
    out->live_allocations = d->live_allocations;
}

/* A device's counters under its lock; wait false: not at all when the lock
 * is held (the writer thread's way, below). */
static bool read_counters(int32_t device_id, bool wait, sl_device_counters *out, uint64_t *ooms)
{
    if (device_id < -1 || device_id >= SL_MAX_DEVICES)
        return false;
    device_state *d = slot_of(device_id);
    if (wait)
        sl_spin_lock(&d->lock);
    else if (!sl_spin_trylock(&d->lock))
        return false;
    copy_counters(d, out);
    *ooms = d->ooms;
    sl_spin_unlock(&d->lock);
    return true;
}

bool sl_account_counters(int32_t device_id, sl_device_counters *out)
{
    uint64_t ooms;
    return read_counters(device_id, true, out, &ooms);
}

/* The writer's lifetime.json reads the books through this (lifetime.h):
 * counts that no dropped event can falsify, and unmatched frees. It runs on
 * the writer thread, which must not wait for a device's step: an OOM holds
 * it while it waits for the writer to sync its record. A busy device is
 * reported as unknown this time (the figures then come from the events). */
bool sl_account_lifetime_books(int32_t device_id, sl_lifetime_books *out)
{
    sl_device_counters c;
    uint64_t ooms;
    if (!read_counters(device_id, false, &c, &ooms))
        return false;
    out->allocations = c.allocations;
    out->frees = c.frees;
    out->failures = c.failures;
    out->unmatched_frees = c.unmatched_frees;
    out->ooms = ooms;
    out->peak_bytes = c.peak_bytes;
    out->live_bytes = c.allocated_bytes;
    return true;
}

bool sl_account_slot_counters(int slot, sl_device_counters *out, int32_t *device_id, bool *pooled)
{
    device_state *d = &devices[slot];
    sl_spin_lock(&d->lock);
    bool touched = d->touched;
    if (touched)
        copy_counters(d, out);
    sl_spin_unlock(&d->lock);
    *pooled = slot == OVERFLOW_SLOT;
    *device_id = *pooled ? SL_MAX_DEVICES : slot - 1;
    return touched;
}

/* ---- fork ----------------------------------------------------------------- */

void sl_account_atfork_prepare(void)
{
    sl_map_table_lock();
    sl_ptr_table_lock_all();
    for (int i = 0; i < DEVICE_SLOTS; i++)
        sl_spin_lock(&devices[i].lock);
}

void sl_account_atfork_parent(void)
{
    for (int i = DEVICE_SLOTS; i-- > 0;)
        sl_spin_unlock(&devices[i].lock);
    sl_ptr_table_unlock_all();
    sl_map_table_unlock();
}

void sl_account_atfork_child(void)
{
    /* The child's allocations start now; the parent's blocks are the
     * parent's (a free of one in the child is an unmatched free). */
    memset(devices, 0, sizeof devices);
    sl_account_reset_failed();
    sl_ptr_table_reset_in_child();
    sl_map_table_reset_in_child();
}
