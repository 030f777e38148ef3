/* Canonical JSON of json-c values: the record id and the conformance
 * vectors hash these bytes. */
#include "stormlog/schema/jsonc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <json-c/json.h>

/* An integer's value: json-c keeps values above INT64_MAX as uint64 and
 * reports them through json_object_get_int64 as INT64_MAX. */
static void write_int(sl_json_writer *w, struct json_object *obj)
{
    /* An integer beyond what json-c holds: the reader kept its decimal
     * digits as the node's userdata (json-c never sets userdata on its own
     * ints), and Python writes such an integer digit for digit. */
    const char *digits_kept = json_object_get_userdata(obj);
    if (digits_kept) {
        sl_jw_raw(w, digits_kept, strlen(digits_kept));
        return;
    }
    int64_t v = json_object_get_int64(obj);
    if (v == INT64_MAX) {
        uint64_t u = json_object_get_uint64(obj);
        if (u > (uint64_t)INT64_MAX) {
            char digits[24];
            int n = snprintf(digits, sizeof digits, "%" PRIu64, u);
            sl_jw_raw(w, digits, (size_t)n);
            return;
        }
    }
    sl_jw_int(w, v);
}

typedef struct member_ref {
    const char *key;
    size_t key_len;
    struct json_object *value;
} member_ref;

static int member_order(const void *a, const void *b)
{
    const member_ref *x = a, *y = b;
    /* Keys come from valid JSON text, so byte order is code point order;
     * a key with invalid UTF-8 sorts by its bytes. */
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Small objects sort on the stack; the loader must also take whatever
 * Python wrote, so larger ones get a heap array (the core's views cap at
 * SL_JSON_MAX_SORTED because the shim must not allocate; this side may). */
#define STACK_MEMBERS 32

static void write_object(sl_json_writer *w, struct json_object *obj)
{
    size_t n = (size_t)json_object_object_length(obj);
    member_ref on_stack[STACK_MEMBERS];
    member_ref *members = on_stack;
    if (n > STACK_MEMBERS) {
        members = malloc(n * sizeof *members);
        if (!members) {
            w->invalid = true;
            return;
        }
    }
    size_t i = 0;
    json_object_object_foreach(obj, key, value)
    {
        if (i == n)
            break;
        members[i].key = key;
        members[i].key_len = strlen(key);
        members[i].value = value;
        i++;
    }
    /* json-c keys are unique (a duplicate replaces the earlier value), so an
     * unstable sort cannot reorder equal keys. */
    qsort(members, i, sizeof members[0], member_order);
    sl_jw_begin_object(w);
    for (size_t k = 0; k < i && !w->invalid; k++) {
        sl_jw_key(w, members[k].key, members[k].key_len);
        sl_jw_jsonc(w, members[k].value);
    }
    sl_jw_end_object(w);
    if (members != on_stack)
        free(members);
}

void sl_jw_jsonc(sl_json_writer *w, struct json_object *obj)
{
    switch (json_object_get_type(obj)) {
    case json_type_null:
        sl_jw_null(w);
        break;
    case json_type_boolean:
        sl_jw_bool(w, json_object_get_boolean(obj));
        break;
    case json_type_int:
        write_int(w, obj);
        break;
    case json_type_double:
        sl_jw_double(w, json_object_get_double(obj));
        break;
    case json_type_string:
        sl_jw_string(w, json_object_get_string(obj), (size_t)json_object_get_string_len(obj));
        break;
    case json_type_object:
        write_object(w, obj);
        break;
    case json_type_array: {
        size_t n = json_object_array_length(obj);
        sl_jw_begin_array(w);
        for (size_t i = 0; i < n && !w->invalid; i++)
            sl_jw_jsonc(w, json_object_array_get_idx(obj, i));
        sl_jw_end_array(w);
        break;
    }
    default:
        w->invalid = true;
        break;
    }
}

char *sl_canonical_jsonc(struct json_object *obj, size_t *len)
{
    /* Most records fit the first guess; the writer reports the exact size
     * when they do not, so a second pass always fits. */
    size_t cap = 1024;
    for (int pass = 0; pass < 2; pass++) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        sl_json_writer w;
        sl_jw_init(&w, buf, cap);
        sl_jw_jsonc(&w, obj);
        size_t needed = 0;
        sl_encode_status status = sl_jw_finish(&w, &needed);
        if (status == SL_ENCODE_OK && needed < cap) {
            if (len)
                *len = needed;
            return buf;
        }
        free(buf);
        if (status == SL_ENCODE_INVALID)
            return NULL;
        cap = needed + 1;
    }
    return NULL;
}
