/* What accounting.c shares with the files that build on its books
 * (mapping_claims.c, stop_summary.c); not for the hooks. */
#ifndef STORMLOG_SHIM_ACCOUNTING_STEP_H
#define STORMLOG_SHIM_ACCOUNTING_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include "accounting.h"

/* Slot 0 is the host (-1), slots 1..SL_MAX_DEVICES devices 0..63, and the
 * last slot every device id outside that range (their counters pooled). */
#define SL_ACCOUNT_DEVICE_SLOTS (SL_MAX_DEVICES + 2)

/* A new event of the session (context, collector, device). */
void sl_account_init_event(sl_event *ev, sl_event_type type, sl_collector collector, int32_t device_id)
    __attribute__((visibility("hidden")));
/* The stream, the nested driver API and the thread an event came from. */
void sl_account_add_origin(sl_event *ev, sl_stream_ref stream) __attribute__((visibility("hidden")));
/* ev in its device's ordered step, no counter moving (a mapping). */
void sl_account_event_step(sl_event *ev, sl_collector collector) __attribute__((visibility("hidden")));
/* One slot's counters; false when nothing happened there. pooled: the
 * overflow slot (device_id is then SL_MAX_DEVICES). */
bool sl_account_slot_counters(int slot, sl_device_counters *out, int32_t *device_id, bool *pooled)
    __attribute__((visibility("hidden")));

/* The failed-call tally (stop_summary.c). */
void sl_account_count_failed(sl_api api, unsigned code) __attribute__((visibility("hidden")));
void sl_account_reset_failed(void) __attribute__((visibility("hidden")));

#endif
