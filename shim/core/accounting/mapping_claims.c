/* The virtual memory API's mappings (accounting.h): remembered in the
 * mapping table, claimed before an unmap, and recorded as memory_map /
 * memory_unmap events in their device's ordered step. */
#include <stdlib.h>
#include <string.h>

#include "accounting.h"
#include "accounting_step.h"
#include "config.h"
#include "lifecycle.h"
#include "map_table.h"

int32_t sl_account_handle_device(sl_api create_api, uint64_t handle)
{
    sl_ptr_info info;
    if (handle != 0 && sl_ptr_table_find((uintptr_t)handle, &info) && info.api == create_api)
        return info.device_id;
    return SL_HOST_DEVICE;
}

/* A mapping event: the device's counters stay as they are; the event takes
 * its place in the device's ordered step so that the running sum holds
 * across it (its allocated bytes are the device's live bytes, change 0). */
static void emit_mapping(sl_api api, sl_event_type type, const sl_mapping *m, const char *reason)
{
    sl_collector collector = sl_api_table[api].collector;
    if (!sl_lifecycle_begin_event(collector))
        return;
    sl_event ev;
    sl_account_init_event(&ev, type, collector, m->device_id);
    sl_event_meta_str(&ev, "api", sl_api_table[api].name);
    sl_event_meta_hex(&ev, "ptr", m->ptr);
    sl_event_meta_int(&ev, "size", (int64_t)m->size);
    sl_event_meta_int(&ev, "offset", (int64_t)m->offset);
    sl_event_meta_hex(&ev, "handle", m->handle);
    if (reason != NULL)
        sl_event_meta_str(&ev, "reason", reason);
    sl_account_add_origin(&ev, SL_NO_STREAM);
    sl_account_event_step(&ev, collector);
}

void sl_account_map(sl_api api, const sl_mapping *m)
{
    sl_mapping replaced;
    switch (sl_map_table_insert(m, &replaced)) {
    case SL_MAP_INSERTED:
        break;
    case SL_MAP_REPLACED:
        emit_mapping(api, SL_EVENT_MEMORY_UNMAP, &replaced, "address_reused");
        break;
    case SL_MAP_NO_MEMORY:
        /* The event still goes out; only its unmap will not be recognised. */
        sl_config_warn("mapping table out of memory: the unmap of a %llu-byte mapping will not be recorded",
                       (unsigned long long)m->size);
        break;
    }
    emit_mapping(api, SL_EVENT_MEMORY_MAP, m, NULL);
}

static bool claim_append(sl_unmap_claim *claim, const sl_mapping *m)
{
    if (claim->count == claim->capacity) {
        size_t capacity = claim->capacity * 2;
        sl_mapping *list = malloc(capacity * sizeof *list);
        if (list == NULL)
            return false;
        memcpy(list, claim->list, claim->count * sizeof *list);
        if (claim->list != claim->inline_list)
            free(claim->list);
        claim->list = list;
        claim->capacity = capacity;
    }
    claim->list[claim->count++] = *m;
    return true;
}

static void end_claim(sl_unmap_claim *claim)
{
    if (claim->list != claim->inline_list)
        free(claim->list);
    claim->list = claim->inline_list;
    claim->count = 0;
    claim->capacity = sizeof claim->inline_list / sizeof claim->inline_list[0];
}

void sl_account_claim_unmap(uintptr_t ptr, uint64_t size, sl_unmap_claim *claim)
{
    claim->count = 0;
    claim->capacity = sizeof claim->inline_list / sizeof claim->inline_list[0];
    claim->list = claim->inline_list;
    uintptr_t end = size > UINTPTR_MAX - ptr ? UINTPTR_MAX : ptr + (uintptr_t)size;
    sl_mapping m;
    for (uintptr_t at = ptr; at < end && sl_map_table_remove(at, &m);) {
        if (!claim_append(claim, &m)) {
            /* Out of memory: this one stays in the table unclaimed. */
            sl_mapping ignored;
            sl_map_table_insert(&m, &ignored);
            break;
        }
        if (m.size == 0 || m.size > UINTPTR_MAX - at)
            break;
        at += (uintptr_t)m.size;
    }
}

void sl_account_unmap(sl_api api, sl_unmap_claim *claim)
{
    for (size_t i = 0; i < claim->count; i++)
        emit_mapping(api, SL_EVENT_MEMORY_UNMAP, &claim->list[i], NULL);
    end_claim(claim);
}

void sl_account_unclaim_unmap(sl_unmap_claim *claim)
{
    sl_mapping ignored;
    for (size_t i = 0; i < claim->count; i++)
        sl_map_table_insert(&claim->list[i], &ignored);
    end_claim(claim);
}
