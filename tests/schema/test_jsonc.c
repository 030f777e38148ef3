/* The json-c glue: the shared canonical vectors (Python's own bytes), views
 * for the validator, the huge-integer scan, and the JSON Schema file. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fixtures.h"
#include "stormlog/schema/jsonc.h"

static char *vectors_path(void)
{
    const char *shared = getenv("STORMLOG_SHARED_DIR");
    if (!shared || !*shared)
        return NULL;
    static char path[4096];
    snprintf(path, sizeof path, "%s/conformance/canonical_json.jsonl", shared);
    return path;
}

static struct json_object *parse(const char *text, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    if (e == json_tokener_continue) {
        /* A bare number may go on: the terminating NUL ends it. */
        obj = json_tokener_parse_ex(tok, "", 1);
        e = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);
    cr_assert_eq(e, json_tokener_success, "json-c: %s in %.*s", json_tokener_error_desc(e),
                 (int)len, text);
    return obj;
}

Test(canonical_vectors, all_lines_match_python)
{
    const char *path = vectors_path();
    if (!path)
        cr_skip_test("STORMLOG_SHARED_DIR is not set: no canonical vectors to compare with");
    FILE *f = fopen(path, "r");
    if (!f)
        cr_skip_test("%s not found: no canonical vectors to compare with", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lines = 0, matched = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (n == 1 && line[0] == '\n')
            continue;
        lines++;
        struct json_object *vector = parse(line, (size_t)n);
        struct json_object *input, *canonical;
        cr_assert(json_object_object_get_ex(vector, "input", &input));
        cr_assert(json_object_object_get_ex(vector, "canonical", &canonical));
        struct json_object *value = parse(json_object_get_string(input),
                                          (size_t)json_object_get_string_len(input));
        size_t len = 0;
        char *got = sl_canonical_jsonc(value, &len);
        cr_assert_not_null(got, "line %d: not encodable", lines);
        const char *want = json_object_get_string(canonical);
        size_t want_len = (size_t)json_object_get_string_len(canonical);
        bool same = len == want_len && memcmp(got, want, len) == 0;
        cr_expect(same, "line %d:\n got  %s\n want %s", lines, got, want);
        matched += same;
        free(got);
        json_object_put(value);
        json_object_put(vector);
    }
    free(line);
    fclose(f);
    cr_assert_eq(lines, 29, "expected the 29 vectors, read %d", lines);
    cr_assert_eq(matched, lines, "%d of %d vectors match", matched, lines);
}

/* The shim's typed record must give the exact bytes of vector 1 (plus "\n"). */
Test(canonical_vectors, typed_record_matches_first_vector)
{
    const char *path = vectors_path();
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        cr_skip_test("canonical vectors not available (STORMLOG_SHARED_DIR)");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    fclose(f);
    cr_assert_gt(n, 0);
    struct json_object *vector = parse(line, (size_t)n);
    free(line);
    struct json_object *canonical;
    cr_assert(json_object_object_get_ex(vector, "canonical", &canonical));

    sl_record r;
    fixture_valid_record(&r);
    sl_member meta[] = {sl_member_of("tid", sl_value_int(4243)),
                        sl_member_of("size", sl_value_int(1048576)),
                        sl_member_of("ptr", sl_value_str("0x7f0000000000")),
                        sl_member_of("api", sl_value_str("cudaMalloc"))};
    r.metadata = sl_value_object(meta, 4);
    char buf[4096];
    size_t len;
    cr_assert_eq(sl_encode_record_line(&r, buf, sizeof buf, &len), SL_ENCODE_OK);
    size_t want_len = (size_t)json_object_get_string_len(canonical);
    cr_assert_eq(len, want_len + 1);
    cr_assert(memcmp(buf, json_object_get_string(canonical), want_len) == 0, "got %s", buf);
    cr_assert_eq(buf[want_len], '\n');
    json_object_put(vector);
}

static char *canonical_of(const char *text)
{
    struct json_object *obj = parse(text, strlen(text));
    char *s = sl_canonical_jsonc(obj, NULL);
    json_object_put(obj);
    cr_assert_not_null(s);
    return s;
}

#define ASSERT_CANONICAL(text, want)                                                   \
    do {                                                                               \
        char *got_ = canonical_of(text);                                               \
        cr_assert_str_eq(got_, (want));                                                \
        free(got_);                                                                    \
    } while (0)

Test(jsonc_canonical, json_c_number_forms)
{
    ASSERT_CANONICAL("1.0", "1.0");
    ASSERT_CANONICAL("1e+16", "1e+16");
    ASSERT_CANONICAL("1E16", "1e+16");
    ASSERT_CANONICAL("10000000000000000.0", "1e+16");
    ASSERT_CANONICAL("1.50", "1.5");
    ASSERT_CANONICAL("-0", "0");
    ASSERT_CANONICAL("-0.0", "-0.0");
    ASSERT_CANONICAL("123456789012345678.0", "1.2345678901234568e+17");
    ASSERT_CANONICAL("NaN", "NaN");
    ASSERT_CANONICAL("[Infinity, -Infinity]", "[Infinity, -Infinity]");
    ASSERT_CANONICAL("9223372036854775807", "9223372036854775807");
    ASSERT_CANONICAL("9223372036854775808", "9223372036854775808");
    ASSERT_CANONICAL("18446744073709551615", "18446744073709551615");
    ASSERT_CANONICAL("-9223372036854775808", "-9223372036854775808");
}

Test(jsonc_canonical, strings_and_keys)
{
    ASSERT_CANONICAL("{\"b\": \"\\u00e9\", \"a\": \"\\ud83d\\ude00\", \"\\u0001k\": 1}",
                     "{\"\\u0001k\": 1, \"a\": \"\\ud83d\\ude00\", \"b\": \"\\u00e9\"}");
    ASSERT_CANONICAL("\"\\/\"", "\"/\"");
    ASSERT_CANONICAL("{\"a\": 1, \"a\": 2}", "{\"a\": 2}");
}

/* More members than the core's stack sort takes: Python files can have them. */
Test(jsonc_canonical, many_members_sorted)
{
    struct json_object *obj = json_object_new_object();
    int n = 3 * SL_JSON_MAX_SORTED;
    for (int i = n - 1; i >= 0; i--) {
        char key[16];
        snprintf(key, sizeof key, "k%04d", i);
        json_object_object_add(obj, key, json_object_new_int(i));
    }
    size_t len;
    char *s = sl_canonical_jsonc(obj, &len);
    cr_assert_not_null(s);
    cr_assert_eq(len, strlen(s));
    const char *at = s + 1;
    for (int i = 0; i < n; i++) {
        char want[32];
        int w = snprintf(want, sizeof want, "%s\"k%04d\": %d", i ? ", " : "", i, i);
        cr_assert(strncmp(at, want, (size_t)w) == 0, "member %d at %.40s", i, at);
        at += w;
    }
    cr_assert_str_eq(at, "}");
    free(s);
    json_object_put(obj);
}

Test(jsonc_canonical, large_output_grows_buffer)
{
    struct json_object *arr = json_object_new_array();
    for (int i = 0; i < 2000; i++)
        json_object_array_add(arr, json_object_new_string("0123456789"));
    size_t len;
    char *s = sl_canonical_jsonc(arr, &len);
    cr_assert_not_null(s);
    cr_assert_eq(len, strlen(s));
    cr_assert_eq(len, 2 + 2000 * 12 + 1999 * 2);
    free(s);
    json_object_put(arr);
}

Test(jsonc_view, kinds)
{
    const char *text = "[null, true, 7, 18446744073709551615, 1.0, \"s\\u0000x\", {\"a\": 1}, [1, 2, 3]]";
    struct json_object *doc = parse(text, strlen(text));
    sl_value v;
    cr_assert_eq(sl_value_view_of_jsonc(json_object_array_get_idx(doc, 0), &v), SL_NULL);
    cr_assert_eq(sl_value_view_of_jsonc(json_object_array_get_idx(doc, 1), &v), SL_BOOL);
    cr_assert(v.u.boolean);
    cr_assert_eq(sl_value_view_of_jsonc(json_object_array_get_idx(doc, 2), &v), SL_INT);
    cr_assert_eq(v.u.integer, 7);
    cr_assert_eq(sl_value_view_of_jsonc(json_object_array_get_idx(doc, 3), &v), SL_BIGINT);
    cr_assert_eq(sl_value_view_of_jsonc(json_object_array_get_idx(doc, 4), &v), SL_DOUBLE);
    cr_assert_eq(v.u.number, 1.0);
    cr_assert_eq(sl_value_view_of_jsonc(json_object_array_get_idx(doc, 5), &v), SL_STRING);
    cr_assert_eq(v.u.string.len, 3);
    cr_assert(memcmp(v.u.string.ptr, "s\0x", 3) == 0);
    cr_assert_eq(sl_value_view_of_jsonc(json_object_array_get_idx(doc, 6), &v), SL_OBJECT);
    cr_assert_eq(v.u.object.count, 1);
    cr_assert_eq(sl_value_view_of_jsonc(json_object_array_get_idx(doc, 7), &v), SL_ARRAY);
    cr_assert_eq(v.u.array.count, 3);
    json_object_put(doc);
}

#define RECORD_TEXT                                                                    \
    "{\"schema_version\": 3, \"session_id\": \"s-1\", \"timestamp_ns\": 1, " \
    "\"event_type\": \"sample\", \"collector\": \"c\", \"sampling_interval_ms\": 0, " \
    "\"pid\": %s, \"host\": \"h\", \"device_id\": 0, \"allocator_allocated_bytes\": 0, " \
    "\"allocator_reserved_bytes\": 0, \"allocator_active_bytes\": null, " \
    "\"allocator_inactive_bytes\": null, \"allocator_change_bytes\": 0, " \
    "\"device_used_bytes\": 0, \"device_free_bytes\": null, \"device_total_bytes\": null, " \
    "\"context\": null, \"metadata\": {}%s}"

static const char *validate_text(const char *pid, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text, RECORD_TEXT, pid, extra);
    struct json_object *record = parse(text, strlen(text));
    sl_value fields[SL_F_COUNT];
    sl_value unknown[8];
    size_t unknown_count;
    sl_fields_of_jsonc(record, fields, unknown, 8, &unknown_count);
    const char *e = fixture_fields_error(fields, unknown, unknown_count);
    json_object_put(record);
    return e;
}

Test(jsonc_view, validation_of_parsed_records)
{
    cr_assert_null(validate_text("4242", ""));
    cr_assert_str_eq(validate_text("true", ""), "pid must be an integer");
    cr_assert_str_eq(validate_text("1.0", ""), "pid must be an integer");
    cr_assert_str_eq(validate_text("\"1\"", ""), "pid must be an integer");
    cr_assert_str_eq(validate_text("18446744073709551615", ""), "pid must be an integer");
    cr_assert_str_eq(validate_text("-2", ""), "pid must be >= -1");
    cr_assert_str_eq(validate_text("1", ", \"zz\": 1, \"rank\": null, \"aa\": 2"),
                     "Unknown telemetry fields: aa, zz");
    cr_assert_str_eq(validate_text("1", ", \"rank\": null"), "rank must be an integer");
    cr_assert_null(validate_text("1", ", \"job_id\": null"));
}

Test(jsonc_view, unknown_count_beyond_capacity)
{
    const char *text = "{\"a\": 1, \"b\": 2, \"pid\": 3, \"c\": 4}";
    struct json_object *obj = parse(text, strlen(text));
    sl_value fields[SL_F_COUNT];
    sl_value unknown[2];
    size_t count;
    sl_fields_of_jsonc(obj, fields, unknown, 2, &count);
    cr_assert_eq(count, 3);
    cr_assert_eq(fields[SL_F_PID].kind, SL_INT);
    cr_assert_eq(fields[SL_F_HOST].kind, SL_ABSENT);
    json_object_put(obj);
}

#define HUGE(text) sl_json_text_has_huge_integer((text), strlen(text))

Test(jsonc_scan, huge_integers)
{
    cr_assert_not(HUGE("{\"a\": 18446744073709551615, \"b\": -9223372036854775808}"));
    cr_assert(HUGE("{\"a\": 18446744073709551616}"));
    cr_assert(HUGE("[-9223372036854775809]"));
    cr_assert(HUGE("[1, 2, 99999999999999999999999999]"));
    cr_assert_not(HUGE("[1e400, 99999999999999999999999.5, 1.8446744073709551616e19]"));
    cr_assert_not(HUGE("{\"99999999999999999999999\": \"123456789012345678901234567890\"}"));
    cr_assert_not(HUGE("\"\\\"99999999999999999999999\""));
    cr_assert_not(HUGE("[0, -0, 00000000000000000000000000001]"));
}

Test(schema_file, properties_match_field_names)
{
    struct json_object *schema = json_object_from_file(STORMLOG_SCHEMA_JSON_PATH);
    cr_assert_not_null(schema, "%s is not valid JSON", STORMLOG_SCHEMA_JSON_PATH);
    struct json_object *props, *required, *additional, *dialect;
    cr_assert(json_object_object_get_ex(schema, "$schema", &dialect));
    cr_assert_str_eq(json_object_get_string(dialect), "https://json-schema.org/draft/2020-12/schema");
    cr_assert(json_object_object_get_ex(schema, "properties", &props));
    cr_assert(json_object_object_get_ex(schema, "required", &required));
    cr_assert(json_object_object_get_ex(schema, "additionalProperties", &additional));
    cr_assert(json_object_is_type(additional, json_type_boolean));
    cr_assert_not(json_object_get_boolean(additional));

    cr_assert_eq(json_object_object_length(props), SL_F_COUNT);
    for (int f = 0; f < SL_F_COUNT; f++) {
        struct json_object *p;
        cr_assert(json_object_object_get_ex(props, sl_field_name((sl_field)f), &p),
                  "no property %s", sl_field_name((sl_field)f));
    }
    json_object_object_foreach(props, key, value)
    {
        (void)value;
        cr_assert_geq(sl_field_lookup(key, strlen(key)), 0, "extra property %s", key);
    }
    cr_assert_eq(json_object_array_length(required), SL_F_FIRST_OPTIONAL);
    for (int f = 0; f < SL_F_FIRST_OPTIONAL; f++)
        cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(required, (size_t)f)),
                         sl_field_name((sl_field)f));
    json_object_put(schema);
}
