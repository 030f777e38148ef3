#include "event_record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stormlog/schema/encode.h"
#include "stormlog/schema/validate.h"

#define HEX_MAX 19 /* "0x" + 16 digits + NUL */
#define MEMBERS_MAX (SL_EVENT_META_MAX + SL_EXTRA_META_MAX + 1)

/* Puts a member in, replacing an earlier one with the same key: JSON objects
 * with repeated keys load differently in different readers. */
static void put_member(sl_member *members, size_t *count, sl_member m)
{
    for (size_t i = 0; i < *count; i++) {
        if (members[i].key_len == m.key_len && memcmp(members[i].key, m.key, m.key_len) == 0) {
            members[i] = m;
            return;
        }
    }
    if (*count < MEMBERS_MAX)
        members[(*count)++] = m;
}

/* "0x" + lowercase hex without leading zeros, as "0x%llx" prints it
 * (snprintf costs more than the rest of the metadata together). */
static size_t format_hex(uint64_t v, char out[HEX_MAX])
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = digits[v & 0xF];
        v >>= 4;
    } while (v);
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < n; i++)
        out[2 + i] = tmp[n - 1 - i];
    out[2 + n] = '\0';
    return 2 + n;
}

static sl_value meta_value(const sl_event_meta *m, char hex[HEX_MAX])
{
    switch ((sl_meta_kind)m->kind) {
    case SL_META_INT:
        return sl_value_int(m->v.i);
    case SL_META_UINT_HEX:
        return sl_value_strn(hex, format_hex(m->v.u, hex));
    case SL_META_STATIC_STR:
        return sl_value_str(m->v.s);
    case SL_META_BOOL:
        return sl_value_bool(m->v.b);
    case SL_META_NULL:
    default:
        return sl_value_null();
    }
}

/* Phase events (shim/core/phase_stack.c) travel with their path as the
 * context and scope_id, parent_scope_id and sequence as flat metadata: the
 * fixed-size event holds no nested or copied metadata. The record nests them
 * the way Python's projection reads them (stage, phase.* correlation):
 * metadata.phase_scope = {name, path: [levels...], scope_id, parent_scope_id,
 * sequence}, name being the innermost level. */
#define PHASE_LEVELS_MAX (SL_EVENT_CONTEXT_MAX / 2)
#define PHASE_SCOPE_MEMBERS 5

typedef struct phase_scope_parts {
    sl_value levels[PHASE_LEVELS_MAX];
    sl_member scope[PHASE_SCOPE_MEMBERS];
} phase_scope_parts;

static bool take_member(sl_member *members, size_t *count, const char *key, sl_value *out)
{
    size_t key_len = strlen(key);
    for (size_t i = 0; i < *count; i++) {
        if (members[i].key_len == key_len && memcmp(members[i].key, key, key_len) == 0) {
            *out = members[i].value;
            memmove(&members[i], &members[i + 1], (*count - i - 1) * sizeof *members);
            (*count)--;
            return true;
        }
    }
    return false;
}

static void fold_phase_scope(const char *path, sl_member *members, size_t *count, phase_scope_parts *parts)
{
    sl_value scope_id, parent, sequence;
    if (!path || !take_member(members, count, "scope_id", &scope_id))
        return; /* not a phase event of ours: its metadata stays as it is */
    if (!take_member(members, count, "parent_scope_id", &parent))
        parent = sl_value_null();
    if (!take_member(members, count, "sequence", &sequence))
        sequence = sl_value_null();
    size_t n = 0;
    const char *start = path;
    for (const char *p = path;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        if (n < PHASE_LEVELS_MAX)
            parts->levels[n++] = sl_value_strn(start, (size_t)(p - start));
        if (*p == '\0')
            break;
        start = p + 1;
    }
    size_t k = 0;
    parts->scope[k++] = sl_member_of("name", n ? parts->levels[n - 1] : sl_value_strn(path, strlen(path)));
    parts->scope[k++] = sl_member_of("path", sl_value_array(parts->levels, n));
    parts->scope[k++] = sl_member_of("scope_id", scope_id);
    parts->scope[k++] = sl_member_of("parent_scope_id", parent);
    parts->scope[k++] = sl_member_of("sequence", sequence);
    put_member(members, count, sl_member_of("phase_scope", sl_value_object(parts->scope, k)));
}

static sl_opt_i64 opt(bool present, int64_t v)
{
    sl_opt_i64 o = {present, v};
    return o;
}

sl_event_line_status sl_event_append_line(const sl_event *ev, const sl_session_info *session,
                                          const sl_event_extras *extras, sl_buf *out, sl_error *err)
{
    sl_member members[MEMBERS_MAX];
    char hex[SL_EVENT_META_MAX][HEX_MAX];
    size_t n = 0;
    unsigned meta_count = ev->meta_count <= SL_EVENT_META_MAX ? ev->meta_count : SL_EVENT_META_MAX;
    for (unsigned i = 0; i < meta_count; i++)
        if (ev->meta[i].key)
            put_member(members, &n, sl_member_of(ev->meta[i].key, meta_value(&ev->meta[i], hex[i])));
    if (extras) {
        for (size_t i = 0; i < extras->count && i < SL_EXTRA_META_MAX; i++)
            put_member(members, &n, extras->members[i]);
        if (extras->with_dropped)
            put_member(members, &n,
                       sl_member_of(SL_DROPPED_EVENTS_KEY, sl_value_int((int64_t)(extras->dropped_total & INT64_MAX))));
    }

    const char *event_type = sl_event_type_name((sl_event_type)ev->type);
    const char *collector = sl_collector_name((sl_collector)ev->collector);
    if (!event_type || !collector) {
        sl_fail(err, "event type %u or collector %u is not one the pipeline knows", ev->type, ev->collector);
        return SL_LINE_INVALID;
    }
    /* The context array may hold a label cut short by the producer; it is
     * always NUL-terminated within the array (event.c), but a hand-built
     * event may not be: never read past it. */
    char context[SL_EVENT_CONTEXT_MAX];
    const char *context_ptr = NULL;
    if (ev->flags & SL_EVENT_F_HAS_CONTEXT) {
        size_t len = strnlen(ev->context, SL_EVENT_CONTEXT_MAX - 1);
        memcpy(context, ev->context, len);
        context[len] = '\0';
        context_ptr = context;
    } else if ((ev->flags & SL_EVENT_F_CONTEXT_REF) && ev->context_ref) {
        size_t len = sl_event_context_len(ev->context_ref);
        memcpy(context, ev->context_ref, len);
        context[len] = '\0';
        context_ptr = context;
    }

    phase_scope_parts phase_parts;
    if (ev->type == SL_EVENT_PHASE_ENTER || ev->type == SL_EVENT_PHASE_EXIT)
        fold_phase_scope(context_ptr, members, &n, &phase_parts);

    sl_record r = {
        .session_id = session->session_id,
        .timestamp_ns = ev->timestamp_ns,
        .event_type = event_type,
        .collector = collector,
        .sampling_interval_ms = session->sampling_interval_ms,
        .pid = session->pid,
        .host = session->host,
        .job_id = session->has_job_id ? session->job_id : NULL,
        .rank = session->rank,
        .local_rank = session->local_rank,
        .world_size = session->world_size,
        .device_id = ev->device_id,
        .allocator_allocated_bytes = ev->allocated_bytes,
        .allocator_reserved_bytes = ev->reserved_bytes,
        .allocator_active_bytes = opt(false, 0),
        .allocator_inactive_bytes = opt(false, 0),
        .allocator_change_bytes = ev->change_bytes,
        .device_used_bytes = ev->device_used_bytes,
        .device_free_bytes = opt(ev->flags & SL_EVENT_F_HAS_FREE, ev->device_free_bytes),
        .device_total_bytes = opt(ev->flags & SL_EVENT_F_HAS_TOTAL, ev->device_total_bytes),
        .context = context_ptr,
        .metadata = sl_value_object(members, n),
    };
    /* One set of views serves the validator and the encoder. */
    sl_value fields[SL_F_COUNT];
    sl_record_fields(&r, fields);
    if (!sl_validate_fields(fields, NULL, 0, err))
        return SL_LINE_INVALID;

    /* Encode straight into the buffer; a line that does not fit tells how
     * much it needs, and is encoded again after growing. */
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t room = out->cap > out->len ? out->cap - out->len : 0;
        size_t len = 0;
        sl_encode_status st = sl_encode_fields_line(fields, room ? out->data + out->len : NULL, room, &len);
        if (st == SL_ENCODE_OK) {
            out->len += len;
            return SL_LINE_OK;
        }
        if (st != SL_ENCODE_TRUNCATED) {
            sl_fail(err, "the encoder refused the record (too deep or too many members)");
            return SL_LINE_INVALID;
        }
        if (!sl_buf_reserve(out, len + 1))
            return SL_LINE_NOMEM;
    }
    return SL_LINE_NOMEM;
}
