#define _GNU_SOURCE
#include "sink_reader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch.h"
#include "stormlog/schema/validate.h"

void tmp_dir(char path[4096], const char *tag)
{
    scratch_make(path, tag);
}

void rm_rf(const char *path)
{
    scratch_remove(path);
}

sl_pipeline_config test_config(const char *dir, bool keep_everything)
{
    sl_pipeline_config cfg;
    sl_pipeline_config_defaults(&cfg);
    snprintf(cfg.output_dir, sizeof cfg.output_dir, "%s", dir);
    cfg.quiet = true;
    cfg.shutdown_deadline_ms = 60000;
    if (keep_everything) {
        cfg.retention_files = 100000;
        cfg.retention_bytes = UINT64_C(1) << 40;
    }
    return cfg;
}

uint64_t test_scaled(uint64_t full)
{
    const char *e = getenv("STORMLOG_STRESS_SCALE");
    uint64_t pct = e ? strtoull(e, NULL, 10) : 100;
    uint64_t n = full * pct / 100;
    return n ? n : 1;
}

void test_session(sl_session_info *s, const char *session_id)
{
    memset(s, 0, sizeof *s);
    snprintf(s->session_id, sizeof s->session_id, "%s", session_id);
    snprintf(s->host, sizeof s->host, "testhost");
    s->pid = getpid();
    s->rank = 0;
    s->local_rank = 0;
    s->world_size = 1;
    s->sampling_interval_ms = 0;
}

void test_event(sl_event *ev, int producer, int64_t seq)
{
    memset(ev, 0, sizeof *ev);
    ev->timestamp_ns = 1700000000000000000 + seq;
    ev->device_id = 0;
    ev->type = SL_EVENT_ALLOCATION;
    ev->collector = SL_COLLECTOR_CUDA;
    ev->allocated_bytes = 4096;
    ev->reserved_bytes = 4096;
    ev->change_bytes = 4096;
    sl_event_meta_str(ev, "api", "cudaMalloc");
    sl_event_meta_hex(ev, "ptr", 0x7f0000000000ull + (uint64_t)seq * 4096);
    sl_event_meta_int(ev, "producer", producer);
    sl_event_meta_int(ev, "seq", seq);
}

static sl_value view_of(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null:
        return sl_value_null();
    case json_type_boolean:
        return sl_value_bool(json_object_get_boolean(o));
    case json_type_int:
        return sl_value_int(json_object_get_int64(o));
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

json_object *parse_record_line(const char *line, size_t len, char *why, size_t why_cap)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, line, (int)len);
    bool complete = o && json_tokener_get_error(tok) == json_tokener_success && tok->char_offset == (int)len;
    json_tokener_free(tok);
    if (!complete || json_object_get_type(o) != json_type_object) {
        snprintf(why, why_cap, "not a JSON object: %.200s", line);
        json_object_put(o);
        return NULL;
    }
    sl_value fields[SL_F_COUNT];
    for (int i = 0; i < SL_F_COUNT; i++)
        fields[i] = sl_value_absent();
    sl_value unknown[64];
    size_t unknown_count = 0;
    json_object_object_foreach(o, key, val)
    {
        int f = sl_field_lookup(key, strlen(key));
        if (f >= 0)
            fields[f] = view_of(val);
        else if (unknown_count < 64)
            unknown[unknown_count++] = sl_value_str(key);
    }
    sl_error err;
    if (!sl_validate_fields(fields, unknown, unknown_count, &err)) {
        snprintf(why, why_cap, "invalid record (%s): %.200s", err.message, line);
        json_object_put(o);
        return NULL;
    }
    return o;
}

json_object *read_manifest(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    return json_object_from_file(p);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_segment(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return strncmp(d->d_name, "segment-", 8) == 0 && n > 14 && strcmp(d->d_name + n - 6, ".jsonl") == 0;
}

void scan_sink_dir(const char *dir, const sink_line_visitor *v, sink_scan_result *out)
{
    memset(out, 0, sizeof *out);
    struct dirent **names = NULL;
    int n = scandir(dir, &names, is_segment, by_name);
    bool stop = false;
    for (int i = 0; i < n; i++) {
        out->segments++;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]->d_name);
        FILE *f = fopen(p, "r");
        char *line = NULL;
        size_t cap = 0, line_no = 0;
        ssize_t len;
        while (f && !stop && (len = getline(&line, &cap, f)) > 0) {
            line_no++;
            if (line[len - 1] != '\n') {
                out->torn_tails++;
                break;
            }
            char why[512];
            json_object *rec = parse_record_line(line, (size_t)len - 1, why, sizeof why);
            if (!rec) {
                if (out->invalid_lines++ == 0)
                    snprintf(out->first_error, sizeof out->first_error, "%.60s:%zu: %.400s", names[i]->d_name, line_no, why);
                continue;
            }
            out->lines++;
            if (v && v->line && !v->line(v->ctx, names[i]->d_name, line_no, rec))
                stop = true;
            json_object_put(rec);
        }
        free(line);
        if (f)
            fclose(f);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

bool find_single_sink_dir(const char *root, char out[4096])
{
    char job[4200];
    snprintf(job, sizeof job, "%s/local", root);
    DIR *d = opendir(job);
    if (!d)
        return false;
    struct dirent *de;
    bool found = false;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "rank-", 5) == 0) {
            snprintf(out, 4096, "%.3800s/%.200s", job, de->d_name);
            found = true;
        }
    }
    closedir(d);
    return found;
}

int64_t meta_int(json_object *record, const char *key, int64_t fallback)
{
    json_object *meta, *v;
    if (json_object_object_get_ex(record, "metadata", &meta) && json_object_object_get_ex(meta, key, &v)
        && json_object_get_type(v) == json_type_int)
        return json_object_get_int64(v);
    return fallback;
}
