/* telemetry_event_from_record for records with a schema_version (v2, v3):
 * identity first, then the session id, then the upgraded record through the
 * schema core's validator, then the event. The order is the reference's and is
 * part of the contract (which error wins). Legacy records: legacy.c; what
 * both read records and store events with: record_fields.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "stormlog/schema/identity.h"
#include "stormlog/schema/validate.h"

/* The integer fields copied from a validated v2/v3 record. */
static const sl_field record_int_fields[] = {
    SL_F_TIMESTAMP_NS, SL_F_SAMPLING_INTERVAL_MS, SL_F_PID, SL_F_DEVICE_ID,
    SL_F_ALLOCATOR_ALLOCATED_BYTES, SL_F_ALLOCATOR_RESERVED_BYTES, SL_F_ALLOCATOR_ACTIVE_BYTES,
    SL_F_ALLOCATOR_INACTIVE_BYTES, SL_F_ALLOCATOR_CHANGE_BYTES, SL_F_DEVICE_USED_BYTES,
    SL_F_DEVICE_FREE_BYTES, SL_F_DEVICE_TOTAL_BYTES,
};

static bool is_nullable(sl_field f)
{
    return f == SL_F_ALLOCATOR_ACTIVE_BYTES || f == SL_F_ALLOCATOR_INACTIVE_BYTES ||
           f == SL_F_DEVICE_FREE_BYTES || f == SL_F_DEVICE_TOTAL_BYTES;
}

/* sl_field_lookup with the names' lengths computed once: records have ~23
 * keys and this runs for each, so it sits on the loader's hot path. */
static size_t field_len[SL_F_COUNT];
static pthread_once_t field_len_once = PTHREAD_ONCE_INIT;

static void init_field_len(void)
{
    for (int f = 0; f < SL_F_COUNT; f++)
        field_len[f] = strlen(sl_field_name((sl_field)f));
}

static int field_index(const char *key, size_t len)
{
    for (int f = 0; f < SL_F_COUNT; f++)
        if (field_len[f] == len && memcmp(sl_field_name((sl_field)f), key, len) == 0)
            return f;
    return -1;
}

/* The span of the top-level "metadata" member's value in a record's text
 * (the last one, as json-c keeps the last duplicate). Lexical only: the text
 * has parsed already. false when not found as plainly written (a key spelled
 * with escapes): the caller then prints the value instead. */
static bool metadata_span(const char *s, size_t n, size_t *start, size_t *end)
{
    static const char key[] = "metadata";
    const size_t klen = sizeof key - 1;
    size_t depth = 0, vstart = 0;
    bool expect_key = false, capture = false, recording = false, found = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') {
            /* The closing quote: the next '"' not escaped by an odd run of backslashes. */
            size_t j = i + 1;
            for (;;) {
                const char *q = memchr(s + j, '"', n - j);
                if (!q) {
                    j = n;
                    break;
                }
                j = (size_t)(q - s);
                size_t bs = 0;
                while (j - bs > i + 1 && s[j - bs - 1] == '\\')
                    bs++;
                if (bs % 2 == 0)
                    break;
                j++;
            }
            if (depth == 1 && expect_key)
                capture = (j - i - 1 == klen && memcmp(s + i + 1, key, klen) == 0);
            i = j;
            continue;
        }
        switch (c) {
        case ':':
            if (depth == 1 && capture) {
                vstart = i + 1;
                while (vstart < n && (s[vstart] == ' ' || s[vstart] == '\t' || s[vstart] == '\n' ||
                                      s[vstart] == '\r'))
                    vstart++;
                recording = true;
                capture = false;
            }
            if (depth == 1)
                expect_key = false;
            break;
        case '{':
        case '[':
            depth++;
            if (depth == 1)
                expect_key = c == '{';
            break;
        case '}':
        case ']':
        case ',':
            if (depth == 1 && recording) {
                size_t e = i;
                while (e > vstart && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' ||
                                      s[e - 1] == '\r'))
                    e--;
                *start = vstart;
                *end = e;
                recording = false;
                found = true;
            }
            if (c == ',')
                expect_key = depth == 1;
            else
                depth--;
            break;
        default:
            break;
        }
    }
    return found && *end > *start && s[*start] == '{';
}

static bool store_metadata(stormlog_event *ev, json_object *metadata, const sl_convert_ctx *ctx)
{
    size_t start = 0, end = 0;
    if (ctx->source && metadata_span(ctx->source, ctx->source_len, &start, &end)) {
        char *copy = sl_arena_strdup(ctx->alloc->arena, ctx->source + start, end - start);
        if (!copy)
            return false;
        ev->metadata_json.ptr = copy;
        ev->metadata_json.len = end - start;
        return true;
    }
    return sl_event_store_metadata(ev, metadata, ctx->alloc->arena);
}

/* A valid v2/v3 record's values into the event. */
static bool build_event(json_object *const vals[SL_F_COUNT], const sl_identity *identity,
                        json_object *metadata, const sl_convert_ctx *ctx, stormlog_event *ev,
                        sl_fail_info *f)
{
    sl_event_alloc *al = ctx->alloc;
    for (size_t i = 0; i < sizeof record_int_fields / sizeof *record_int_fields; i++) {
        sl_field fld = record_int_fields[i];
        json_object *v = vals[fld];
        if (!v && is_nullable(fld)) {
            ev->null_mask |= 1u << fld;
            continue;
        }
        sl_wint w;
        if (!sl_coerce_int(v, true, sl_field_name(fld), &w, f))
            return false;
        if (!sl_event_set_int(ev, fld, w, al->arena))
            return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
    }
    ev->ival[SL_F_SCHEMA_VERSION] = 3;
    ev->ival[SL_F_RANK] = identity->rank;
    ev->ival[SL_F_LOCAL_RANK] = identity->local_rank;
    ev->ival[SL_F_WORLD_SIZE] = identity->world_size;
    json_object *v;
    bool mem = true;
    v = vals[SL_F_EVENT_TYPE];
    mem = mem && sl_event_store_str(al, &ev->event_type, &al->last_event_type,
                                    json_object_get_string(v), (size_t)json_object_get_string_len(v));
    v = vals[SL_F_COLLECTOR];
    mem = mem && sl_event_store_str(al, &ev->collector, &al->last_collector,
                                    json_object_get_string(v), (size_t)json_object_get_string_len(v));
    v = vals[SL_F_HOST];
    mem = mem && sl_event_store_str(al, &ev->host, &al->last_host, json_object_get_string(v),
                                    (size_t)json_object_get_string_len(v));
    v = vals[SL_F_CONTEXT];
    mem = mem && sl_event_store_str(al, &ev->context, NULL, v ? json_object_get_string(v) : NULL,
                                    v ? (size_t)json_object_get_string_len(v) : 0);
    mem = mem && sl_event_store_str(al, &ev->job_id, &al->last_job_id, identity->job_id,
                                    identity->job_id_len);
    mem = mem && store_metadata(ev, metadata, ctx);
    if (!mem)
        return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
    return true;
}

static bool from_versioned(json_object *record, json_object *version, const sl_convert_ctx *ctx,
                           stormlog_event *ev, sl_fail_info *f)
{
    sl_wint sv;
    bool is_int;
    if (!sl_json_get_wint(version, &is_int, &sv)) {
        if (!is_int)
            return sl_failf(f, STORMLOG_E_RECORD, "schema_version must be an integer");
        return sl_failf(f, STORMLOG_E_RECORD, "Unsupported schema_version: %s",
                        sl_bigint_digits(version));
    }
    if (sv != 2 && sv != 3) {
        char buf[48];
        sl_wint_format(sv, buf);
        return sl_failf(f, STORMLOG_E_RECORD, "Unsupported schema_version: %s", buf);
    }

    /* One pass over the record's members: the v3 fields by index (their
     * json-c values, for the checks and for building), the rest as unknown. */
    pthread_once(&field_len_once, init_field_len);
    json_object *vals[SL_F_COUNT] = {0};
    bool present[SL_F_COUNT] = {0};
    sl_value unknown_stack[16];
    sl_value *unknown = unknown_stack;
    size_t unknown_count = 0, unknown_cap = 16;
    bool ok = true;
    struct lh_entry *entry = json_object_get_object(record)->head;
    for (; entry; entry = entry->next) {
        const char *key = (const char *)lh_entry_k(entry);
        size_t klen = strlen(key);
        int idx = field_index(key, klen);
        if (idx >= 0) {
            vals[idx] = (json_object *)lh_entry_v(entry);
            present[idx] = true;
            continue;
        }
        if (unknown_count == unknown_cap) {
            size_t cap = unknown_cap * 2;
            sl_value *grown = unknown == unknown_stack ? malloc(cap * sizeof *grown)
                                                       : realloc(unknown, cap * sizeof *grown);
            if (!grown) {
                ok = false;
                break;
            }
            if (unknown == unknown_stack)
                memcpy(grown, unknown_stack, sizeof unknown_stack);
            unknown = grown;
            unknown_cap = cap;
        }
        unknown[unknown_count++] = sl_value_strn(key, klen);
    }
    if (!ok) {
        if (unknown != unknown_stack)
            free(unknown);
        return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
    }

    json_object *metadata = vals[SL_F_METADATA];
    sl_error err;
    if (present[SL_F_METADATA] && json_object_get_type(metadata) != json_type_object) {
        ok = sl_failf(f, STORMLOG_E_RECORD, "metadata must be an object");
    } else {
        sl_value explicit_values[SL_ID_COUNT] = {
            [SL_ID_JOB_ID] = sl_view(vals[SL_F_JOB_ID]),
            [SL_ID_RANK] = sl_view(vals[SL_F_RANK]),
            [SL_ID_LOCAL_RANK] = sl_view(vals[SL_F_LOCAL_RANK]),
            [SL_ID_WORLD_SIZE] = sl_view(vals[SL_F_WORLD_SIZE]),
        };
        sl_identity identity;
        if (!sl_identity_resolve(explicit_values, NULL, NULL, NULL, &identity, &err)) {
            ok = sl_failf(f, STORMLOG_E_RECORD, "%s", err.message);
        } else if (!sl_resolve_session_id(record, metadata, ctx, ev, f)) {
            ok = false;
        } else {
            /* The upgraded record: schema_version 3 and the resolved session id. */
            sl_value fields[SL_F_COUNT];
            for (int i = 0; i < SL_F_COUNT; i++)
                fields[i] = present[i] ? sl_view(vals[i]) : sl_value_absent();
            fields[SL_F_SCHEMA_VERSION] = sl_value_int(3);
            fields[SL_F_SESSION_ID] = sl_value_strn(ev->session_id.ptr, ev->session_id.len);
            if (!sl_validate_fields(fields, unknown, unknown_count, &err))
                ok = sl_failf(f, STORMLOG_E_RECORD, "%s", err.message);
            else
                ok = build_event(vals, &identity, metadata, ctx, ev, f);
        }
    }
    if (unknown != unknown_stack)
        free(unknown);
    return ok;
}

bool sl_event_from_record(json_object *record, const sl_convert_ctx *ctx, stormlog_event *ev,
                          sl_fail_info *f)
{
    if (!record || json_object_get_type(record) != json_type_object)
        return sl_failf(f, STORMLOG_E_RECORD, "record must be a mapping");
    memset(ev, 0, sizeof *ev);
    bool has_version;
    json_object *version = sl_get(record, "schema_version", &has_version);
    if (has_version)
        return from_versioned(record, version, ctx, ev, f);
    if (!ctx->permissive_legacy)
        return sl_failf(f, STORMLOG_E_RECORD, "Legacy record conversion is disabled");
    return sl_event_from_legacy(record, ctx, ev, f);
}
