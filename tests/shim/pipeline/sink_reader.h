/* Test-side reading of a sink directory: what a loader would see. Uses
 * json-c (the tests may; the pipeline may not) and the schema validator, so
 * every line is checked the way the Python loader checks it. */
#ifndef STORMLOG_TESTS_SINK_READER_H
#define STORMLOG_TESTS_SINK_READER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

/* A fresh empty directory under $TMPDIR (or /tmp); path gets it. */
void tmp_dir(char path[4096], const char *tag);
void rm_rf(const char *path);

/* A session with fixed identity, rank 0 of 1, no job. */
/* A pipeline config for tests: output under dir, quiet, and a 60 s shutdown
 * deadline (these tests check exactness, not the deadline: on a loaded 2-core
 * CI machine one fdatasync can outlast the 2 s default). keep_everything also
 * turns retention off, for tests that count every event written. */
sl_pipeline_config test_config(const char *dir, bool keep_everything);
/* full * STORMLOG_STRESS_SCALE / 100 (at least 1): heavy tests run smaller
 * under sanitizers. */
uint64_t test_scaled(uint64_t full);
void test_session(sl_session_info *s, const char *session_id);
/* An allocation event on device 0 with a seq / producer in its metadata. */
void test_event(sl_event *ev, int producer, int64_t seq);

/* Parses one line (without its "\n") and validates it as a v3 record. NULL
 * with a reason when it is not valid. The caller frees with json_object_put. */
json_object *parse_record_line(const char *line, size_t len, char *why, size_t why_cap);

/* The manifest, or NULL when missing/unparsable. */
json_object *read_manifest(const char *dir);

typedef struct sink_line_visitor {
    /* Called for each line in order; return false to stop. */
    bool (*line)(void *ctx, const char *segment, size_t line_no, json_object *record);
    void *ctx;
} sink_line_visitor;

typedef struct sink_scan_result {
    size_t segments;       /* segment-*.jsonl files */
    size_t lines;          /* valid record lines */
    size_t invalid_lines;  /* lines that failed to parse or validate */
    size_t torn_tails;     /* segments whose last line has no "\n" */
    char first_error[512];
} sink_scan_result;

/* Reads every segment-*.jsonl file of dir in name order. */
void scan_sink_dir(const char *dir, const sink_line_visitor *v, sink_scan_result *out);

/* The sink directory of the one process directory under root (root/job/rank-...), or false. */
bool find_single_sink_dir(const char *root, char out[4096]);

/* Integer member of a metadata object, or fallback. */
int64_t meta_int(json_object *record, const char *key, int64_t fallback);

#endif
