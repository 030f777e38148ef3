/* JSON (not JSONL) inputs (jsoninput.c). */
#ifndef STORMLOG_LOADER_JSONINPUT_H
#define STORMLOG_LOADER_JSONINPUT_H

#include "internal.h"

/* Read and parse the whole file. */
SL_HIDDEN bool sl_json_input_parse(const char *path, json_object **doc_out, sl_fail_info *f);
/* Where the records are: *list_out borrowed from doc (an array, or the
 * record itself when *single). */
SL_HIDDEN bool sl_json_input_records(json_object *doc, const char *events_key,
                                     json_object **list_out, bool *single, sl_fail_info *f);
/* Every element must be an object (checked before any conversion, as the reference). */
SL_HIDDEN bool sl_json_input_check_elements(json_object *list, bool single, sl_fail_info *f);

#endif
