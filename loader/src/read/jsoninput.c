/* A JSON input (telemetry.py _load_json_records): a top-level list of
 * records, or an object holding the list under events_key / "events", or an
 * object that is itself one record. Each record is converted in order; an
 * error carries the element's index. */
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "jsoninput.h"

static bool looks_like_event_record(json_object *payload)
{
    static const char *const keys[] = {"schema_version", "event_type", "type", "memory_allocated",
                                       "memory_mb", "timestamp", "timestamp_ns"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (sl_has(payload, keys[i]))
            return true;
    return false;
}

bool sl_json_input_parse(const char *path, json_object **doc_out, sl_fail_info *f)
{
    *doc_out = NULL;
    size_t len;
    char *text = sl_read_whole_file(path, &len, f);
    if (!text)
        return false;
    json_tokener *tok = sl_json_tokener_new();
    if (!tok) {
        free(text);
        return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
    }
    const char *why;
    size_t where;
    json_object *doc = sl_json_parse(tok, text, len, &why, &where);
    bool deep = why && json_tokener_get_error(tok) == json_tokener_error_depth;
    json_tokener_free(tok);
    free(text);
    if (why) {
        sl_failf(f, deep ? STORMLOG_E_LIMIT : STORMLOG_E_PARSE, "Malformed JSON in %s: %s (char %zu)",
                 path, why, where);
        sl_fail_where(f, path, 0, -1);
        return false;
    }
    *doc_out = doc;
    return true;
}

bool sl_json_input_records(json_object *doc, const char *events_key, json_object **list_out,
                           bool *single, sl_fail_info *f)
{
    *list_out = NULL;
    *single = false;
    json_type t = json_object_get_type(doc);
    if (t == json_type_array) {
        *list_out = doc;
        return true;
    }
    if (t != json_type_object)
        return sl_failf(f, STORMLOG_E_FORMAT, "Telemetry payload must be a JSON object or array");
    if (events_key) {
        json_object *list = sl_get(doc, events_key, NULL);
        if (json_object_get_type(list) != json_type_array)
            return sl_failf(f, STORMLOG_E_FORMAT,
                            "Top-level key '%s' must contain a list of events", events_key);
        *list_out = list;
        return true;
    }
    json_object *events = sl_get(doc, "events", NULL);
    if (events && json_object_get_type(events) == json_type_array) {
        *list_out = events;
        return true;
    }
    if (looks_like_event_record(doc)) {
        *list_out = doc;
        *single = true;
        return true;
    }
    return sl_failf(f, STORMLOG_E_FORMAT, "JSON payload does not contain telemetry events");
}

bool sl_json_input_check_elements(json_object *list, bool single, sl_fail_info *f)
{
    if (single)
        return true;
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        json_object *rec = json_object_array_get_idx(list, i);
        if (json_object_get_type(rec) != json_type_object) {
            sl_failf(f, STORMLOG_E_FORMAT, "Event at index %zu must be an object", i);
            sl_fail_where(f, NULL, 0, (long)i);
            return false;
        }
    }
    return true;
}
