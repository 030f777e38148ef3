/* Views of json-c values for the validator. */
#include "stormlog/schema/jsonc.h"

#include <json-c/json.h>

sl_kind sl_value_view_of_jsonc(struct json_object *obj, sl_value *out)
{
    memset(out, 0, sizeof *out);
    switch (json_object_get_type(obj)) {
    case json_type_null:
        out->kind = SL_NULL;
        break;
    case json_type_boolean:
        *out = sl_value_bool(json_object_get_boolean(obj));
        break;
    case json_type_int: {
        int64_t v = json_object_get_int64(obj);
        if (v == INT64_MAX && json_object_get_uint64(obj) > (uint64_t)INT64_MAX)
            out->kind = SL_BIGINT; /* no digits kept: see jsonc.h */
        else
            *out = sl_value_int(v);
        break;
    }
    case json_type_double:
        *out = sl_value_double(json_object_get_double(obj));
        break;
    case json_type_string:
        *out = sl_value_strn(json_object_get_string(obj), (size_t)json_object_get_string_len(obj));
        break;
    case json_type_object:
        *out = sl_value_object(NULL, (size_t)json_object_object_length(obj));
        break;
    case json_type_array:
        *out = sl_value_array(NULL, json_object_array_length(obj));
        break;
    default:
        out->kind = SL_NULL;
        break;
    }
    return out->kind;
}

void sl_fields_of_jsonc(struct json_object *record, sl_value fields[SL_F_COUNT],
                        sl_value *unknown, size_t unknown_cap, size_t *unknown_count)
{
    for (int f = 0; f < SL_F_COUNT; f++)
        fields[f] = sl_value_absent();
    size_t extra = 0;
    if (json_object_get_type(record) == json_type_object) {
        json_object_object_foreach(record, key, value)
        {
            size_t key_len = strlen(key);
            int f = sl_field_lookup(key, key_len);
            if (f >= 0) {
                sl_value_view_of_jsonc(value, &fields[f]);
                continue;
            }
            if (unknown && extra < unknown_cap)
                unknown[extra] = sl_value_strn(key, key_len);
            extra++;
        }
    }
    if (unknown_count)
        *unknown_count = extra;
}
