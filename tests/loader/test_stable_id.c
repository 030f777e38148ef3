/* Stable legacy session ids: every vector of uuid5_vectors.json (computed by
 * Python's uuid.uuid5 over "::".join(str(p) ...)), parts converted with the
 * loader's own str() of JSON values. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static json_object *read_vectors(void)
{
    const char *shared = getenv("STORMLOG_SHARED_DIR");
    cr_assert(shared, "STORMLOG_SHARED_DIR is not set");
    char path[4096];
    snprintf(path, sizeof path, "%s/conformance/uuid5_vectors.json", shared);
    if (access(path, R_OK) != 0)
        cr_skip_test("the shared contract is not at %s (put ../shared beside the checkout)", shared);
    size_t len;
    sl_fail_info f;
    sl_fail_init(&f);
    char *text = sl_read_whole_file(path, &len, &f);
    cr_assert(text, "%s", f.message);
    json_tokener *tok = sl_json_tokener_new();
    const char *why;
    size_t where;
    json_object *doc = sl_json_parse(tok, text, len, &why, &where);
    cr_assert(!why, "%s", why);
    json_tokener_free(tok);
    free(text);
    return doc;
}

Test(stable_id, python_uuid5_vectors)
{
    json_object *doc = read_vectors();
    size_t n = json_object_array_length(doc);
    cr_assert_eq(n, 28);
    for (size_t i = 0; i < n; i++) {
        json_object *vec = json_object_array_get_idx(doc, i);
        json_object *parts = json_object_object_get(vec, "parts");
        const char *want = json_object_get_string(json_object_object_get(vec, "id"));
        size_t np = json_object_array_length(parts);
        char **strs = calloc(np + 1, sizeof *strs);
        for (size_t k = 0; k < np; k++) {
            json_object *p = json_object_array_get_idx(parts, k);
            strs[k] = p ? sl_py_str(p) : NULL; /* None parts are left out */
        }
        char got[44];
        stormlog_stable_legacy_id((const char *const *)strs, np, got);
        cr_expect_str_eq(got, want, "vector %zu (%s)", i,
                         json_object_get_string(json_object_object_get(vec, "payload")));
        for (size_t k = 0; k < np; k++)
            free(strs[k]);
        free(strs);
    }
    json_object_put(doc);
}

Test(stable_id, python_str_of_values)
{
    json_tokener *tok = sl_json_tokener_new();
    static const char *const cases[][2] = {
        {"1e-05", "1e-05"}, {"1.0", "1.0"}, {"true", "True"}, {"-0.0", "-0.0"},
        {"123456789012345678901234567890", "123456789012345678901234567890"},
        {"[1, \"a\", null]", "[1, 'a', None]"}, {"{\"k\": \"it's\"}", "{'k': \"it's\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *why;
        size_t where;
        json_object *v = sl_json_parse(tok, cases[i][0], strlen(cases[i][0]), &why, &where);
        cr_assert(!why, "%s: %s", cases[i][0], why);
        char *s = sl_py_str(v);
        cr_expect_str_eq(s, cases[i][1]);
        free(s);
        json_object_put(v);
    }
    json_tokener_free(tok);
}
