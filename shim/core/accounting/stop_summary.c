/* The stop event's summary (accounting.h: sl_account_summary) and the
 * failed-call tally it reports. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "accounting.h"
#include "accounting_step.h"
#include "stacks.h"

/* Failed calls by API and error code, for the stop summary. Lock-free: a code
 * claims one of a few slots with a CAS; codes beyond them count as "other". */
#define CODES_PER_API 8
typedef struct failed_calls {
    _Atomic uint32_t code_plus_one[CODES_PER_API];
    _Atomic uint64_t count[CODES_PER_API];
    _Atomic uint64_t other;
} failed_calls;
static failed_calls failed[SL_API_COUNT];

void sl_account_count_failed(sl_api api, unsigned code)
{
    failed_calls *f = &failed[api];
    uint32_t want = code + 1u;
    for (int i = 0; i < CODES_PER_API; i++) {
        uint32_t seen = atomic_load_explicit(&f->code_plus_one[i], memory_order_acquire);
        if (seen == 0) {
            uint32_t expected = 0;
            if (atomic_compare_exchange_strong(&f->code_plus_one[i], &expected, want))
                seen = want;
            else
                seen = expected;
        }
        if (seen == want) {
            atomic_fetch_add_explicit(&f->count[i], 1, memory_order_relaxed);
            return;
        }
    }
    atomic_fetch_add_explicit(&f->other, 1, memory_order_relaxed);
}

void sl_account_reset_failed(void)
{
    memset(failed, 0, sizeof failed);
}

#define DEVICE_FIELDS 10
#define SUMMARY_MEMBERS 5

static struct summary_storage {
    char device_key[SL_ACCOUNT_DEVICE_SLOTS][16];
    sl_member device_fields[SL_ACCOUNT_DEVICE_SLOTS][DEVICE_FIELDS];
    sl_member devices[SL_ACCOUNT_DEVICE_SLOTS];
    char code_key[SL_API_COUNT][CODES_PER_API + 1][16];
    sl_member codes[SL_API_COUNT][CODES_PER_API + 1];
    sl_member apis[SL_API_COUNT];
    sl_member top[SUMMARY_MEMBERS];
} summary;

/* Fills the slot's members; 0 when nothing happened on that device. */
static size_t summarise_device(int slot, int64_t *leaked_total, uint64_t *unmatched_total)
{
    sl_device_counters c;
    int32_t device_id;
    bool pooled;
    if (!sl_account_slot_counters(slot, &c, &device_id, &pooled))
        return 0;
    sl_member *m = summary.device_fields[slot];
    size_t n = 0;
    m[n++] = sl_member_of("allocated_bytes", sl_value_int(c.allocated_bytes));
    m[n++] = sl_member_of("reserved_bytes", sl_value_int(c.reserved_bytes));
    m[n++] = sl_member_of("peak_bytes", sl_value_int(c.peak_bytes));
    m[n++] = sl_member_of("allocations", sl_value_int((int64_t)c.allocations));
    m[n++] = sl_member_of("frees", sl_value_int((int64_t)c.frees));
    m[n++] = sl_member_of("failed_allocations", sl_value_int((int64_t)c.failures));
    m[n++] = sl_member_of("unmatched_frees", sl_value_int((int64_t)c.unmatched_frees));
    m[n++] = sl_member_of("leaked_bytes", sl_value_int(c.allocated_bytes));
    m[n++] = sl_member_of("leaked_allocations", sl_value_int((int64_t)c.live_allocations));
    m[n++] = sl_member_of("dropped_events", sl_value_int((int64_t)sl_pipeline_dropped_device(device_id)));
    *leaked_total += c.allocated_bytes;
    *unmatched_total += c.unmatched_frees;
    /* The overflow slot pools every device id >= SL_MAX_DEVICES. */
    snprintf(summary.device_key[slot], sizeof summary.device_key[slot], pooled ? "%d+" : "%d",
             (int)device_id);
    return n;
}

size_t sl_account_summary(const sl_member **members)
{
    int64_t leaked_total = 0;
    uint64_t unmatched_total = 0;
    size_t device_count = 0;
    for (int slot = 0; slot < SL_ACCOUNT_DEVICE_SLOTS; slot++) {
        size_t n = summarise_device(slot, &leaked_total, &unmatched_total);
        if (n == 0)
            continue;
        summary.devices[device_count++] = sl_member_of(
            summary.device_key[slot], sl_value_object(summary.device_fields[slot], n));
    }
    size_t api_count = 0;
    for (int api = 0; api < SL_API_COUNT; api++) {
        size_t n = 0;
        for (int i = 0; i < CODES_PER_API; i++) {
            uint32_t code = atomic_load(&failed[api].code_plus_one[i]);
            if (code == 0)
                continue;
            snprintf(summary.code_key[api][n], sizeof summary.code_key[api][n], "%u", code - 1u);
            summary.codes[api][n] = sl_member_of(summary.code_key[api][n],
                                                 sl_value_int((int64_t)atomic_load(&failed[api].count[i])));
            n++;
        }
        uint64_t other = atomic_load(&failed[api].other);
        if (other != 0)
            summary.codes[api][n++] = sl_member_of("other", sl_value_int((int64_t)other));
        if (n != 0)
            summary.apis[api_count++] =
                sl_member_of(sl_api_table[api].name, sl_value_object(summary.codes[api], n));
    }
    size_t n = 0;
    summary.top[n++] = sl_member_of("devices", sl_value_object(summary.devices, device_count));
    summary.top[n++] = sl_member_of("failed_calls", sl_value_object(summary.apis, api_count));
    summary.top[n++] = sl_member_of("leaked_bytes_total", sl_value_int(leaked_total));
    summary.top[n++] = sl_member_of("unmatched_frees_total", sl_value_int((int64_t)unmatched_total));
    summary.top[n++] = sl_stacks_summary();
    *members = summary.top;
    return n;
}
