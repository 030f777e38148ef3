/* The report's pieces on their own: the per-column downsampler against a
 * brute-force reduction, the metadata scanner against json-c, and the
 * phase_scope reader. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

Test(downsample, columns_hold_first_min_max_last_of_their_values)
{
    enum { COLUMNS = 37, VALUES = 5000 };
    ds_series s;
    int64_t t0 = 1000, t1 = 1000 + 987654;
    cr_assert(ds_init(&s, t0, t1, COLUMNS));
    int64_t *ts = malloc(VALUES * sizeof *ts), *val = malloc(VALUES * sizeof *val);
    srand(7);
    int64_t t = t0;
    for (int i = 0; i < VALUES; i++) {
        t += rand() % 400; /* sorted, with repeats */
        if (t > t1)
            t = t1;
        ts[i] = t;
        val[i] = (int64_t)(rand() % 100000) - 50000;
        ds_add(&s, ts[i], val[i]);
    }
    cr_assert_eq(s.values, VALUES);
    for (size_t c = 0; c < COLUMNS; c++) {
        bool seen = false;
        int64_t first = 0, min = 0, max = 0, last = 0;
        for (int i = 0; i < VALUES; i++) {
            if (ds_column_of(&s, ts[i]) != c)
                continue;
            if (!seen)
                first = min = max = val[i];
            seen = true;
            min = val[i] < min ? val[i] : min;
            max = val[i] > max ? val[i] : max;
            last = val[i];
        }
        cr_assert_eq(s.has[c] != 0, seen, "column %zu", c);
        if (!seen)
            continue;
        cr_assert_eq(s.col[c].first, first);
        cr_assert_eq(s.col[c].min, min);
        cr_assert_eq(s.col[c].max, max);
        cr_assert_eq(s.col[c].last, last);
    }
    free(ts);
    free(val);
    ds_free(&s);
}

Test(downsample, the_axis_maps_ends_and_clamps)
{
    ds_series s;
    cr_assert(ds_init(&s, 100, 199, 10));
    cr_assert_eq(ds_column_of(&s, 100), 0);
    cr_assert_eq(ds_column_of(&s, 109), 0);
    cr_assert_eq(ds_column_of(&s, 110), 1);
    cr_assert_eq(ds_column_of(&s, 199), 9);
    cr_assert_eq(ds_column_of(&s, 50), 0, "before the axis: first column");
    cr_assert_eq(ds_column_of(&s, 10000), 9, "after: last column");
    size_t prev = 0;
    for (int64_t t = 100; t <= 199; t++) {
        size_t c = ds_column_of(&s, t);
        cr_assert_geq(c, prev, "monotonic");
        prev = c;
    }
    ds_free(&s);
    /* A span of years in nanoseconds does not overflow. */
    cr_assert(ds_init(&s, 0, INT64_MAX - 1, 4000));
    cr_assert_eq(ds_column_of(&s, INT64_MAX / 2), 1999);
    cr_assert_eq(ds_column_of(&s, INT64_MAX - 1), 3999);
    ds_free(&s);
    cr_assert_not(ds_init(&s, 10, 5, 4), "t1 before t0");
    cr_assert_not(ds_init(&s, 0, 5, 0), "no columns");
}

static void expect_found(const char *text, const char *key, const char *value)
{
    const char *val;
    size_t vlen;
    cr_assert_eq(meta_find(text, strlen(text), key, &val, &vlen), META_FOUND, "%s in %s", key, text);
    cr_assert(vlen == strlen(value) && memcmp(val, value, vlen) == 0, "%s: got %.*s", key, (int)vlen, val);
}

static meta_lookup lookup(const char *text, const char *key)
{
    const char *val;
    size_t vlen;
    return meta_find(text, strlen(text), key, &val, &vlen);
}

Test(meta, finds_top_level_members_and_skips_nested_ones)
{
    const char *text = "{\"a\":{\"ptr\":\"0xdead\",\"x\":[1,{\"ptr\":2}]},\"s\":\"he said \\\"ptr\\\": {\","
                       " \"ptr\" : \"0x10\" , \"n\":-5,\"z\":[\"]\",\"}\"]}";
    expect_found(text, "ptr", "\"0x10\"");
    expect_found(text, "n", "-5");
    expect_found(text, "z", "[\"]\",\"}\"]");
    cr_assert_eq(lookup(text, "x"), META_ABSENT, "x is nested, not top-level");
    cr_assert_eq(lookup("{}", "ptr"), META_ABSENT);
    expect_found("{\"ptr\":1,\"ptr\":2}", "ptr", "2"); /* the last duplicate wins, as in json-c */
}

Test(meta, is_unsure_about_escaped_keys_and_broken_text)
{
    cr_assert_eq(lookup("{\"p\\u0074r\":\"0x1\"}", "ptr"), META_UNSURE);
    cr_assert_eq(lookup("{\"ptr\":", "ptr"), META_UNSURE);
    cr_assert_eq(lookup("[1,2]", "ptr"), META_UNSURE);
    cr_assert_eq(lookup("{\"a\":1 \"b\":2}", "b"), META_UNSURE);
    cr_assert_eq(lookup("{\"a\":{\"b\":1}", "a"), META_UNSURE);
}

static stormlog_event *event_with(const char *context_json, const char *metadata)
{
    char *text = NULL;
    cr_assert(asprintf(&text,
                       "{\"schema_version\":3,\"session_id\":\"s\",\"timestamp_ns\":1,\"event_type\":\"phase_enter\","
                       "\"collector\":\"c\",\"sampling_interval_ms\":0,\"pid\":1,\"host\":\"h\",\"device_id\":0,"
                       "\"allocator_allocated_bytes\":0,\"allocator_reserved_bytes\":0,\"allocator_active_bytes\":null,"
                       "\"allocator_inactive_bytes\":null,\"allocator_change_bytes\":0,\"device_used_bytes\":0,"
                       "\"device_free_bytes\":null,\"device_total_bytes\":null,\"context\":%s,\"metadata\":%s}",
                       context_json, metadata) > 0);
    json_object *record = json_tokener_parse(text);
    cr_assert_not_null(record);
    stormlog_event *ev = NULL;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_event_from_json(record, NULL, NULL, &ev, &err), STORMLOG_OK);
    json_object_put(record);
    free(text);
    return ev;
}

static stormlog_event *event_with_metadata(const char *metadata)
{
    return event_with("null", metadata);
}

Test(meta, pointers_from_hex_strings_integers_and_escaped_text)
{
    uint64_t v = 0;
    stormlog_event *ev = event_with_metadata("{\"ptr\":\"0x7f00001000\"}");
    cr_assert(meta_event_u64(ev, "ptr", &v));
    cr_assert_eq(v, UINT64_C(0x7f00001000));
    stormlog_event_free(ev);
    ev = event_with_metadata("{\"ptr\":4096}");
    cr_assert(meta_event_u64(ev, "ptr", &v));
    cr_assert_eq(v, 4096);
    stormlog_event_free(ev);
    ev = event_with_metadata("{\"p\\u0074r\":\"0x20\"}"); /* json-c decides */
    cr_assert(meta_event_u64(ev, "ptr", &v));
    cr_assert_eq(v, 0x20);
    stormlog_event_free(ev);
    ev = event_with_metadata("{\"ptr\":-1,\"q\":\"zz\",\"r\":1.5,\"s\":{}}");
    cr_assert_not(meta_event_u64(ev, "ptr", &v));
    cr_assert_not(meta_event_u64(ev, "q", &v));
    cr_assert_not(meta_event_u64(ev, "r", &v));
    cr_assert_not(meta_event_u64(ev, "s", &v));
    cr_assert_not(meta_event_u64(ev, "absent", &v));
    stormlog_event_free(ev);
}

Test(meta, string_members_compared_exactly_escaped_or_not)
{
    stormlog_event *ev = event_with_metadata(
        "{\"reason\":\"out_of_memory\",\"a\":\"out_of_memory_x\",\"b\":\"out\\u005fof_memory\",\"c\":7,"
        "\"d\":[\"out_of_memory\"],\"e\":\"\"}");
    cr_assert(meta_event_string_is(ev, "reason", "out_of_memory"));
    cr_assert_not(meta_event_string_is(ev, "reason", "out_of"));
    cr_assert_not(meta_event_string_is(ev, "a", "out_of_memory"));
    cr_assert(meta_event_string_is(ev, "b", "out_of_memory")); /* json-c decodes the escape */
    cr_assert_not(meta_event_string_is(ev, "c", "7"));
    cr_assert_not(meta_event_string_is(ev, "d", "out_of_memory"));
    cr_assert(meta_event_string_is(ev, "e", ""));
    cr_assert_not(meta_event_string_is(ev, "absent", "out_of_memory"));
    stormlog_event_free(ev);
}

Test(meta, phase_scope_from_path_lists_strings_and_names)
{
    phase_scope_info p;
    stormlog_event *ev = event_with_metadata("{\"phase_scope\":{\"name\":\"forward\",\"path\":[\"train\",\"step\","
                                             "\"forward\"],\"scope_id\":7,\"parent_scope_id\":3,\"sequence\":9},"
                                             "\"thread_id\":42}");
    cr_assert(phase_scope_read(ev, &p));
    cr_assert_str_eq(p.name, "forward");
    cr_assert_str_eq(p.path, "train/step/forward");
    cr_assert_eq(p.depth, 2);
    cr_assert_str_eq(p.scope_key, "7");
    cr_assert(p.has_thread);
    cr_assert_eq(p.thread_id, 42);
    phase_scope_clear(&p);
    stormlog_event_free(ev);

    ev = event_with_metadata("{\"phase_scope\":{\"path\":[\"a\",\"b\"],\"scope_id\":\"x1\"}}");
    cr_assert(phase_scope_read(ev, &p));
    cr_assert_str_eq(p.name, "b", "the last path element names the phase");
    cr_assert_eq(p.depth, 1);
    cr_assert_not(p.has_thread);
    phase_scope_clear(&p);
    stormlog_event_free(ev);

    ev = event_with_metadata("{\"phase_scope\":{\"name\":\"solo\"}}");
    cr_assert(phase_scope_read(ev, &p));
    cr_assert_str_eq(p.path, "solo");
    cr_assert_not(p.has_scope_id);
    phase_scope_clear(&p);
    stormlog_event_free(ev);

    ev = event_with_metadata("{\"phase_scope\":{\"name\":\" \"}}");
    cr_assert_not(phase_scope_read(ev, &p), "a blank name and no path: nothing usable");
    stormlog_event_free(ev);
    ev = event_with_metadata("{\"phase_scope\":[1]}");
    cr_assert_not(phase_scope_read(ev, &p));
    stormlog_event_free(ev);
}

Test(meta, phase_scope_from_flat_keys_and_the_context)
{
    /* What a shim writes when its record writer keeps the phase keys flat. */
    phase_scope_info p;
    stormlog_event *ev = event_with("\"train/step\"", "{\"scope_id\":4,\"parent_scope_id\":1,\"thread_id\":9}");
    cr_assert(phase_scope_read(ev, &p));
    cr_assert_str_eq(p.name, "step");
    cr_assert_str_eq(p.path, "train/step");
    cr_assert_eq(p.depth, 1);
    cr_assert_str_eq(p.scope_key, "4");
    cr_assert_eq(p.thread_id, 9);
    phase_scope_clear(&p);
    stormlog_event_free(ev);
    ev = event_with("null", "{\"scope_id\":4}");
    cr_assert_not(phase_scope_read(ev, &p), "no path anywhere");
    stormlog_event_free(ev);
}
