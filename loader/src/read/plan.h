/* What an input path means (plan.c): one JSON document, or a list of JSONL
 * files (segments of one or more sinks) with the default session id of each
 * and the manifests whose sessions join the result. */
#ifndef STORMLOG_LOADER_PLAN_H
#define STORMLOG_LOADER_PLAN_H

#include "internal.h"
#include "jsonl.h"

typedef struct sl_plan_segment {
    char *path;          /* as named in messages (Python's Path(root) / name) */
    char *default_id;    /* the manifest's session for it, else the sink's fallback */
    uint32_t origin;     /* index into labels */
    bool allow_symlink;  /* only the input path itself may be a symlink */
} sl_plan_segment;

/* What the plan skipped, for validate to report (load reads on without it). */
typedef enum {
    SL_NOTE_MISSING,     /* listed in the manifest, absent */
    SL_NOTE_NOT_REGULAR, /* a FIFO, device, directory or symlink where a segment should be */
    SL_NOTE_UNSAFE_NAME, /* a manifest filename that would leave the directory */
} sl_plan_note_kind;

typedef struct sl_plan_note {
    sl_plan_note_kind kind;
    char *file;
    char *message;
} sl_plan_note;

typedef struct sl_plan {
    bool is_json;
    char *json_path;         /* is_json: the file */
    char *json_default_id;
    sl_plan_segment *segments;
    size_t segment_count, segment_cap;
    sl_manifest **manifests; /* summaries to merge, in reading order */
    size_t manifest_count;
    char **labels;           /* "artifact:<name>" per sink (one for plain inputs) */
    size_t label_count;
    char **warnings;
    size_t warning_count;
    sl_plan_note *notes;
    size_t note_count;
} sl_plan;

SL_HIDDEN bool sl_plan_build(const char *path, const stormlog_options *opts, sl_plan *plan,
                             sl_fail_info *f);
SL_HIDDEN void sl_plan_free(sl_plan *plan);
/* A warning for stormlog_recording_warning (printf-style); false when out of memory. */
SL_HIDDEN bool sl_plan_warn(sl_plan *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Python's str(Path(p)): no doubled or trailing slashes, no "." parts. */
SL_HIDDEN char *sl_path_normalize(const char *p);

/* Retention may delete a segment between the plan and its opening (load.c):
 * such a segment is skipped and counted, with this warning. */
#define SL_VANISHED_TEXT "it disappeared before it could be read (removed by retention?)"
SL_HIDDEN bool sl_segment_vanished(const sl_plan_segment *seg, const sl_jsonl_reader *r);
SL_HIDDEN void sl_warn_vanished(sl_plan *plan, const sl_plan_segment *seg);
/* Tests only (they link the static library): called by stormlog_load and
 * stormlog_check between planning and reading, to delete a segment in that
 * window deterministically. */
SL_HIDDEN extern void (*sl_test_after_plan)(const sl_plan *plan);

#endif
