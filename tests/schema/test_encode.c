/* The canonical encoder without json-c: escapes, UTF-8 repair, float
 * spellings, writer misuse, truncation. Expected bytes are what Python's
 * json.dumps(..., sort_keys=True) writes for the same value. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include <math.h>
#include <string.h>

#include "stormlog/schema/encode.h"

static char out[4096];

static const char *encode(const sl_value *v)
{
    size_t len = 0;
    memset(out, 0x5a, sizeof out);
    sl_encode_status st = sl_encode_value(v, out, sizeof out, &len);
    cr_assert_eq(st, SL_ENCODE_OK, "status %d", (int)st);
    cr_assert_eq(strlen(out), len);
    return out;
}

static const char *encode_string(const char *s, size_t n)
{
    sl_value v = sl_value_strn(s, n);
    return encode(&v);
}

#define STR(lit) encode_string((lit), sizeof(lit) - 1)

static const char *format(double d)
{
    static char buf[32];
    size_t n = sl_format_double(d, buf);
    cr_assert_eq(strlen(buf), n);
    return buf;
}

Test(encode_string, short_escapes)
{
    cr_assert_str_eq(STR("\"\\/\n\r\t\b\f"), "\"\\\"\\\\/\\n\\r\\t\\b\\f\"");
}

Test(encode_string, other_controls_and_del)
{
    cr_assert_str_eq(STR("\x01\x1f\x7f\x0b"), "\"\\u0001\\u001f\\u007f\\u000b\"");
    cr_assert_str_eq(STR("a\0b"), "\"a\\u0000b\"");
}

Test(encode_string, printable_ascii_as_is)
{
    char all[96];
    for (int c = 0x20; c < 0x7f; c++)
        all[c - 0x20] = (char)c;
    const char *got = encode_string(all, 0x7f - 0x20);
    cr_assert_str_eq(got, "\" !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\"");
}

Test(encode_string, non_ascii_escaped)
{
    cr_assert_str_eq(STR("\xc3\xa9"), "\"\\u00e9\"");
    cr_assert_str_eq(STR("\xc2\x80"), "\"\\u0080\"");
    cr_assert_str_eq(STR("\xe2\x80\x94"), "\"\\u2014\"");
    cr_assert_str_eq(STR("\xef\xbf\xbf"), "\"\\uffff\"");
}

Test(encode_string, surrogate_pairs)
{
    cr_assert_str_eq(STR("\xf0\x9f\x98\x80"), "\"\\ud83d\\ude00\"");
    cr_assert_str_eq(STR("\xf0\x90\x80\x80"), "\"\\ud800\\udc00\"");
    cr_assert_str_eq(STR("\xf4\x8f\xbf\xbf"), "\"\\udbff\\udfff\"");
    /* U+2D800 and U+1DFFF: low 16 bits look like surrogates (json-c 0.16
     * misreads these; Python and we write them as plain pairs). */
    cr_assert_str_eq(STR("\xf0\xad\xa0\x80"), "\"\\ud876\\udc00\"");
    cr_assert_str_eq(STR("\xf0\x9d\xbf\xbf"), "\"\\ud837\\udfff\"");
}

/* bytes.decode("utf-8", "replace"): one U+FFFD per maximal invalid subpart. */
Test(encode_string, invalid_utf8_replaced)
{
    cr_assert_str_eq(STR("\xff"), "\"\\ufffd\"");
    cr_assert_str_eq(STR("a\xc3"), "\"a\\ufffd\"");
    cr_assert_str_eq(STR("\xe2\x82"), "\"\\ufffd\"");
    cr_assert_str_eq(STR("\xe2\x82x"), "\"\\ufffdx\"");
    cr_assert_str_eq(STR("\xf0\x9f\x98"), "\"\\ufffd\"");
    cr_assert_str_eq(STR("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
    cr_assert_str_eq(STR("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
    cr_assert_str_eq(STR("\xe0\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
    cr_assert_str_eq(STR("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    cr_assert_str_eq(STR("\x80\x80"), "\"\\ufffd\\ufffd\"");
    cr_assert_str_eq(STR("\xf8\x88\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

Test(encode_string, no_raw_high_bytes_ever)
{
    char s[256];
    for (int i = 0; i < 256; i++)
        s[i] = (char)(255 - i);
    const char *got = encode_string(s, sizeof s);
    for (const unsigned char *p = (const unsigned char *)got; *p; p++)
        cr_assert(*p >= 0x20 && *p < 0x7f, "raw byte 0x%02x", *p);
}

Test(encode_float, python_repr_spellings)
{
    cr_assert_str_eq(format(1e16), "1e+16");
    cr_assert_str_eq(format(1e15), "1000000000000000.0");
    cr_assert_str_eq(format(1.5e-7), "1.5e-07");
    cr_assert_str_eq(format(-0.0), "-0.0");
    cr_assert_str_eq(format(0.0), "0.0");
    cr_assert_str_eq(format(0.1), "0.1");
    cr_assert_str_eq(format(0.3), "0.3");
    cr_assert_str_eq(format(1e-5), "1e-05");
    cr_assert_str_eq(format(0.0001), "0.0001");
    cr_assert_str_eq(format(123456789012345678.0), "1.2345678901234568e+17");
    cr_assert_str_eq(format(1234567890123456.7), "1234567890123456.8");
    cr_assert_str_eq(format(1e22), "1e+22");
    cr_assert_str_eq(format(1e23), "1e+23");
    cr_assert_str_eq(format(5e-324), "5e-324");
    cr_assert_str_eq(format(1.7976931348623157e308), "1.7976931348623157e+308");
    cr_assert_str_eq(format(9223372036854775808.0), "9.223372036854776e+18");
    cr_assert_str_eq(format(100.0), "100.0");
    cr_assert_str_eq(format(-2.5), "-2.5");
    cr_assert_str_eq(format(NAN), "nan");
    cr_assert_str_eq(format(INFINITY), "inf");
    cr_assert_str_eq(format(-INFINITY), "-inf");
}

Test(encode_float, json_spellings_of_non_finite)
{
    sl_value v = sl_value_double(NAN);
    cr_assert_str_eq(encode(&v), "NaN");
    v = sl_value_double(INFINITY);
    cr_assert_str_eq(encode(&v), "Infinity");
    v = sl_value_double(-INFINITY);
    cr_assert_str_eq(encode(&v), "-Infinity");
    v = sl_value_double(2.0);
    cr_assert_str_eq(encode(&v), "2.0");
}

Test(encode_value, scalars)
{
    sl_value v = sl_value_int(INT64_MIN);
    cr_assert_str_eq(encode(&v), "-9223372036854775808");
    v = sl_value_int(INT64_MAX);
    cr_assert_str_eq(encode(&v), "9223372036854775807");
    v = sl_value_int(0);
    cr_assert_str_eq(encode(&v), "0");
    v = sl_value_bool(true);
    cr_assert_str_eq(encode(&v), "true");
    v = sl_value_bool(false);
    cr_assert_str_eq(encode(&v), "false");
    v = sl_value_null();
    cr_assert_str_eq(encode(&v), "null");
    v = (sl_value){.kind = SL_BIGINT, .u.string = {"18446744073709551616", 20}};
    cr_assert_str_eq(encode(&v), "18446744073709551616");
}

Test(encode_value, objects_sorted_by_code_point)
{
    sl_member inner[] = {sl_member_of("k", sl_value_bool(true)), sl_member_of("f", sl_value_bool(false)),
                         sl_member_of("n", sl_value_null())};
    sl_value items[] = {sl_value_int(1), sl_value_double(2.5), sl_value_object(inner, 3),
                        sl_value_array(NULL, 0)};
    sl_member m[] = {
        sl_member_of("b", sl_value_int(1)),        sl_member_of("a", sl_value_array(items, 4)),
        sl_member_of("B", sl_value_int(3)),        sl_member_of("_", sl_value_int(4)),
        sl_member_of("aa", sl_value_int(5)),       sl_member_of("\xc3\xa9", sl_value_int(6)),
        sl_member_of("\xc3\xa9" "a", sl_value_int(7)), sl_member_of("10", sl_value_int(8)),
        sl_member_of("9", sl_value_int(9)),        sl_member_of("", sl_value_object(NULL, 0)),
        sl_member_of("\xf0\x9f\x98\x80", sl_value_int(10)), sl_member_of("\xef\xbf\xbd", sl_value_int(11)),
    };
    sl_value v = sl_value_object(m, sizeof m / sizeof m[0]);
    cr_assert_str_eq(encode(&v),
                     "{\"\": {}, \"10\": 8, \"9\": 9, \"B\": 3, \"_\": 4, "
                     "\"a\": [1, 2.5, {\"f\": false, \"k\": true, \"n\": null}, []], "
                     "\"aa\": 5, \"b\": 1, \"\\u00e9\": 6, \"\\u00e9a\": 7, \"\\ufffd\": 11, "
                     "\"\\ud83d\\ude00\": 10}");
}

Test(encode_value, duplicate_keys_keep_input_order)
{
    sl_member m[] = {sl_member_of("x", sl_value_int(2)), sl_member_of("a", sl_value_int(0)),
                     sl_member_of("x", sl_value_int(1))};
    sl_value v = sl_value_object(m, 3);
    cr_assert_str_eq(encode(&v), "{\"a\": 0, \"x\": 2, \"x\": 1}");
}

Test(encode_value, invalid_views)
{
    char buf[64];
    size_t len;
    sl_value absent = sl_value_absent();
    cr_assert_eq(sl_encode_value(&absent, buf, sizeof buf, &len), SL_ENCODE_INVALID);
    sl_value bigint = {.kind = SL_BIGINT};
    cr_assert_eq(sl_encode_value(&bigint, buf, sizeof buf, &len), SL_ENCODE_INVALID);
    sl_value not_digits = {.kind = SL_BIGINT, .u.string = {"12a", 3}};
    cr_assert_eq(sl_encode_value(&not_digits, buf, sizeof buf, &len), SL_ENCODE_INVALID);
    sl_value members_missing = sl_value_object(NULL, 2);
    cr_assert_eq(sl_encode_value(&members_missing, buf, sizeof buf, &len), SL_ENCODE_INVALID);
    sl_member m[] = {sl_member_of("a", sl_value_absent())};
    sl_value absent_member = sl_value_object(m, 1);
    cr_assert_eq(sl_encode_value(&absent_member, buf, sizeof buf, &len), SL_ENCODE_INVALID);
}

Test(encode_value, too_many_members)
{
    static sl_member m[SL_JSON_MAX_SORTED + 1];
    static char keys[SL_JSON_MAX_SORTED + 1][8];
    for (int i = 0; i <= SL_JSON_MAX_SORTED; i++) {
        snprintf(keys[i], sizeof keys[i], "%d", i);
        m[i] = sl_member_of(keys[i], sl_value_int(i));
    }
    static char buf[16384];
    size_t len;
    sl_value ok = sl_value_object(m, SL_JSON_MAX_SORTED);
    cr_assert_eq(sl_encode_value(&ok, buf, sizeof buf, &len), SL_ENCODE_OK);
    sl_value too_many = sl_value_object(m, SL_JSON_MAX_SORTED + 1);
    cr_assert_eq(sl_encode_value(&too_many, buf, sizeof buf, &len), SL_ENCODE_INVALID);
}

Test(encode_value, nesting_limit)
{
    sl_value chain[SL_JSON_MAX_DEPTH + 2];
    chain[0] = sl_value_int(1);
    for (int i = 1; i < SL_JSON_MAX_DEPTH + 2; i++)
        chain[i] = sl_value_array(&chain[i - 1], 1);
    char buf[512];
    size_t len;
    cr_assert_eq(sl_encode_value(&chain[SL_JSON_MAX_DEPTH], buf, sizeof buf, &len), SL_ENCODE_OK);
    cr_assert_eq(len, 2 * SL_JSON_MAX_DEPTH + 1);
    cr_assert_eq(sl_encode_value(&chain[SL_JSON_MAX_DEPTH + 1], buf, sizeof buf, &len),
                 SL_ENCODE_INVALID);
}

Test(writer, streaming_calls)
{
    char buf[128];
    sl_json_writer w;
    sl_jw_init(&w, buf, sizeof buf);
    sl_jw_begin_object(&w);
    sl_jw_key(&w, "a", 1);
    sl_jw_begin_array(&w);
    sl_jw_int(&w, -1);
    sl_jw_string(&w, "x", 1);
    sl_jw_raw(&w, "18446744073709551615", 20);
    sl_jw_end_array(&w);
    sl_jw_key(&w, "b", 1);
    sl_jw_begin_object(&w);
    sl_jw_end_object(&w);
    sl_jw_end_object(&w);
    size_t len;
    cr_assert_eq(sl_jw_finish(&w, &len), SL_ENCODE_OK);
    cr_assert_str_eq(buf, "{\"a\": [-1, \"x\", 18446744073709551615], \"b\": {}}");
    cr_assert_eq(len, strlen(buf));
}

static sl_encode_status misuse(int which)
{
    char buf[64];
    sl_json_writer w;
    sl_jw_init(&w, buf, sizeof buf);
    size_t len;
    switch (which) {
    case 0: /* value without a key */
        sl_jw_begin_object(&w);
        sl_jw_int(&w, 1);
        sl_jw_end_object(&w);
        break;
    case 1: /* key outside an object */
        sl_jw_begin_array(&w);
        sl_jw_key(&w, "a", 1);
        sl_jw_end_array(&w);
        break;
    case 2: /* mismatched end */
        sl_jw_begin_object(&w);
        sl_jw_end_array(&w);
        break;
    case 3: /* unclosed */
        sl_jw_begin_array(&w);
        break;
    case 4: /* two top-level values */
        sl_jw_int(&w, 1);
        sl_jw_int(&w, 2);
        break;
    case 5: /* key without a value */
        sl_jw_begin_object(&w);
        sl_jw_key(&w, "a", 1);
        sl_jw_end_object(&w);
        break;
    case 6: /* nothing written */
        break;
    case 7: /* end with nothing open */
        sl_jw_end_object(&w);
        break;
    default: /* empty raw value */
        sl_jw_raw(&w, "", 0);
        break;
    }
    return sl_jw_finish(&w, &len);
}

Test(writer, misuse_is_invalid)
{
    for (int which = 0; which <= 8; which++)
        cr_assert_eq(misuse(which), SL_ENCODE_INVALID, "case %d", which);
}

Test(truncation, reports_needed_size_and_stays_in_bounds)
{
    sl_member m[] = {sl_member_of("key", sl_value_str("\xf0\x9f\x98\x80 value")),
                     sl_member_of("n", sl_value_double(0.1))};
    sl_value v = sl_value_object(m, 2);
    char full[256];
    size_t full_len;
    cr_assert_eq(sl_encode_value(&v, full, sizeof full, &full_len), SL_ENCODE_OK);
    cr_assert_str_eq(full, "{\"key\": \"\\ud83d\\ude00 value\", \"n\": 0.1}");

    for (size_t cap = 0; cap < full_len; cap++) {
        char buf[256];
        memset(buf, '#', sizeof buf);
        size_t len = 0;
        cr_assert_eq(sl_encode_value(&v, buf, cap, &len), SL_ENCODE_TRUNCATED, "cap %zu", cap);
        cr_assert_eq(len, full_len, "cap %zu", cap);
        cr_assert(memcmp(buf, full, cap) == 0, "cap %zu: prefix differs", cap);
        for (size_t i = cap; i < sizeof buf; i++)
            cr_assert_eq(buf[i], '#', "cap %zu: byte %zu written", cap, i);
    }
    /* Exactly full: OK, and no room for the NUL, so none written. */
    char exact[256];
    memset(exact, '#', sizeof exact);
    size_t len;
    cr_assert_eq(sl_encode_value(&v, exact, full_len, &len), SL_ENCODE_OK);
    cr_assert_eq(exact[full_len], '#');
    cr_assert_eq(sl_encode_value(&v, exact, full_len + 1, &len), SL_ENCODE_OK);
    cr_assert_eq(exact[full_len], '\0');
}

Test(truncation, counting_only)
{
    sl_value v = sl_value_str("abc");
    size_t len = 0;
    cr_assert_eq(sl_encode_value(&v, NULL, 0, &len), SL_ENCODE_TRUNCATED);
    cr_assert_eq(len, 5);
}

static void typed_record(sl_record *r, sl_member *meta)
{
    memset(r, 0, sizeof *r);
    r->session_id = "s-1";
    r->timestamp_ns = 1700000000123456789;
    r->event_type = "allocation";
    r->collector = "stormlog.cuda_shim";
    r->pid = 4242;
    r->host = "node7";
    r->world_size = 1;
    r->allocator_allocated_bytes = 1048576;
    r->allocator_reserved_bytes = 1048576;
    r->allocator_change_bytes = 1048576;
    r->device_used_bytes = 1048576;
    r->device_free_bytes = (sl_opt_i64){true, 16000000000};
    r->device_total_bytes = (sl_opt_i64){true, 17179869184};
    meta[0] = sl_member_of("api", sl_value_str("cudaMalloc"));
    meta[1] = sl_member_of("ptr", sl_value_str("0x7f0000000000"));
    meta[2] = sl_member_of("size", sl_value_int(1048576));
    meta[3] = sl_member_of("tid", sl_value_int(4243));
    r->metadata = sl_value_object(meta, 4);
}

Test(record_line, canonical_keys_and_newline)
{
    sl_record r;
    sl_member meta[4];
    typed_record(&r, meta);
    char buf[2048];
    size_t len;
    cr_assert_eq(sl_encode_record_line(&r, buf, sizeof buf, &len), SL_ENCODE_OK);
    cr_assert_str_eq(buf,
        "{\"allocator_active_bytes\": null, \"allocator_allocated_bytes\": 1048576, "
        "\"allocator_change_bytes\": 1048576, \"allocator_inactive_bytes\": null, "
        "\"allocator_reserved_bytes\": 1048576, \"collector\": \"stormlog.cuda_shim\", "
        "\"context\": null, \"device_free_bytes\": 16000000000, \"device_id\": 0, "
        "\"device_total_bytes\": 17179869184, \"device_used_bytes\": 1048576, "
        "\"event_type\": \"allocation\", \"host\": \"node7\", \"job_id\": null, "
        "\"local_rank\": 0, \"metadata\": {\"api\": \"cudaMalloc\", \"ptr\": "
        "\"0x7f0000000000\", \"size\": 1048576, \"tid\": 4243}, \"pid\": 4242, \"rank\": 0, "
        "\"sampling_interval_ms\": 0, \"schema_version\": 3, \"session_id\": \"s-1\", "
        "\"timestamp_ns\": 1700000000123456789, \"world_size\": 1}\n");
    cr_assert_eq(len, strlen(buf));
}

Test(record_line, truncated_and_invalid)
{
    sl_record r;
    sl_member meta[4];
    typed_record(&r, meta);
    char full[2048];
    size_t full_len, len;
    cr_assert_eq(sl_encode_record_line(&r, full, sizeof full, &full_len), SL_ENCODE_OK);
    char small[100];
    memset(small, '#', sizeof small);
    cr_assert_eq(sl_encode_record_line(&r, small, 64, &len), SL_ENCODE_TRUNCATED);
    cr_assert_eq(len, full_len);
    cr_assert(memcmp(small, full, 64) == 0);
    cr_assert_eq(small[64], '#');
    r.metadata = sl_value_absent();
    cr_assert_eq(sl_encode_record_line(&r, full, sizeof full, &len), SL_ENCODE_INVALID);
}

Test(record_line, field_names_round_trip)
{
    for (int f = 0; f < SL_F_COUNT; f++) {
        const char *name = sl_field_name((sl_field)f);
        cr_assert_not_null(name);
        cr_assert_eq(sl_field_lookup(name, strlen(name)), f);
    }
    cr_assert_null(sl_field_name(SL_F_COUNT));
    cr_assert_eq(sl_field_lookup("pi", 2), -1);
    cr_assert_eq(sl_field_lookup("pid\0x", 5), -1);
    cr_assert_eq(sl_field_lookup("session", 7), -1);
}
