/* What an input path means (plan.c): one JSON document, or a list of JSONL
 * files (segments of one or more sinks) with the default session id of each
 * and the manifests whose sessions join the result. */
#ifndef STORMLOG_LOADER_PLAN_H
#define STORMLOG_LOADER_PLAN_H

#include "internal.h"

typedef struct sl_plan_segment {
    char *path;          /* as named in messages (Python's Path(root) / name) */
    char *default_id;    /* the manifest's session for it, else the sink's fallback */
    uint32_t origin;     /* index into labels */
    bool allow_symlink;  /* only the input path itself may be a symlink */
} sl_plan_segment;

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
} sl_plan;

SL_HIDDEN bool sl_plan_build(const char *path, const stormlog_options *opts, sl_plan *plan,
                             sl_fail_info *f);
SL_HIDDEN void sl_plan_free(sl_plan *plan);
/* Python's str(Path(p)): no doubled or trailing slashes, no "." parts. */
SL_HIDDEN char *sl_path_normalize(const char *p);

#endif
