/* sink_check: validates every line the shim wrote under one or more
 * directories with the schema's own validator (sl_validate_fields), the same
 * rules the loader applies. Each segment-*.jsonl found (recursively) is read
 * line by line; a line that does not parse, is not an object, or fails
 * validation is reported as FILE:LINE: message.
 *
 *   sink_check [--allow-empty] DIR...
 *
 * Exit status: 0 all lines valid (and at least one line, unless
 * --allow-empty), 1 otherwise, 2 on usage or I/O errors. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stormlog/schema/validate.h"

typedef struct totals {
    long files;
    long lines;
    long invalid;
    int io_errors;
} totals;

/* The validator looks at each field's kind and scalar value; for metadata it
 * needs only the kind, so members are not converted. */
static sl_value view_of(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null:
        return sl_value_null();
    case json_type_boolean:
        return sl_value_bool(json_object_get_boolean(o));
    case json_type_int: {
        errno = 0;
        int64_t i = json_object_get_int64(o);
        if (errno == ERANGE) {
            sl_value v = {.kind = SL_BIGINT};
            return v;
        }
        return sl_value_int(i);
    }
    case json_type_double:
        return sl_value_double(json_object_get_double(o));
    case json_type_string:
        return sl_value_strn(json_object_get_string(o), (size_t)json_object_get_string_len(o));
    case json_type_object:
        return sl_value_object(NULL, (size_t)json_object_object_length(o));
    case json_type_array:
        return sl_value_array(NULL, json_object_array_length(o));
    }
    return sl_value_null();
}

static void check_line(const char *path, long line_no, const char *line, totals *t)
{
    t->lines++;
    json_object *root = json_tokener_parse(line);
    if (root == NULL || !json_object_is_type(root, json_type_object)) {
        printf("%s:%ld: not a JSON object\n", path, line_no);
        t->invalid++;
        json_object_put(root);
        return;
    }
    sl_value fields[SL_F_COUNT];
    for (int i = 0; i < SL_F_COUNT; i++)
        fields[i] = sl_value_absent();
    sl_value unknown[64];
    size_t unknown_count = 0;
    json_object_object_foreach(root, key, value)
    {
        int f = sl_field_lookup(key, strlen(key));
        if (f >= 0)
            fields[f] = view_of(value);
        else if (unknown_count < 64)
            unknown[unknown_count++] = sl_value_strn(key, strlen(key));
    }
    sl_error err;
    if (!sl_validate_fields(fields, unknown, unknown_count, &err)) {
        printf("%s:%ld: %s\n", path, line_no, err.message);
        t->invalid++;
    }
    json_object_put(root);
}

static void check_segment(const char *path, totals *t)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        printf("%s: %s\n", path, strerror(errno));
        t->io_errors++;
        return;
    }
    t->files++;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long line_no = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        line_no++;
        if (line[len - 1] != '\n') {
            /* The shim writes whole lines only: a torn tail is a defect. */
            printf("%s:%ld: line without its newline\n", path, line_no);
            t->invalid++;
            break;
        }
        line[len - 1] = '\0';
        if (line[0] == '\0')
            continue;
        check_line(path, line_no, line, t);
    }
    free(line);
    fclose(f);
}

static void walk(const char *dir, totals *t)
{
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, NULL, alphasort);
    if (n < 0) {
        printf("%s: %s\n", dir, strerror(errno));
        t->io_errors++;
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = entries[i]->d_name;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                walk(path, t);
            else if (strncmp(name, "segment-", 8) == 0 && strlen(name) > 6 &&
                     strcmp(name + strlen(name) - 6, ".jsonl") == 0)
                check_segment(path, t);
        }
        free(entries[i]);
    }
    free(entries);
}

int main(int argc, char **argv)
{
    bool allow_empty = false;
    totals t = {0};
    int dirs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--allow-empty") == 0) {
            allow_empty = true;
            continue;
        }
        walk(argv[i], &t);
        dirs++;
    }
    if (dirs == 0) {
        fprintf(stderr, "usage: %s [--allow-empty] DIR...\n", argv[0]);
        return 2;
    }
    printf("sink_check: %ld lines in %ld segment files, %ld invalid\n", t.lines, t.files, t.invalid);
    if (t.io_errors)
        return 2;
    if (t.invalid != 0 || (t.lines == 0 && !allow_empty))
        return 1;
    return 0;
}
