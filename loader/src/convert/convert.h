/* Helpers shared by the v2/v3 and legacy conversions (record_fields.c). */
#ifndef STORMLOG_LOADER_CONVERT_H
#define STORMLOG_LOADER_CONVERT_H

#include "internal.h"
#include "stormlog/schema/value.h"

/* record.get(key): the member, or NULL for absent and for JSON null alike;
 * *present tells them apart. */
SL_HIDDEN json_object *sl_get(json_object *obj, const char *key, bool *present);
SL_HIDDEN bool sl_has(json_object *obj, const char *key);
/* A validator view of a json-c value. Integers beyond int64 are seen
 * saturated (the checks then read them as Python would, except comparisons
 * between two of them). */
SL_HIDDEN sl_value sl_view(json_object *v);
/* _coerce_int(value, name): a JSON integer (never a bool), exactly. */
SL_HIDDEN bool sl_coerce_int(json_object *v, bool present, const char *name, sl_wint *out,
                             sl_fail_info *f);
/* _coerce_string(value, name, allow_none): NULL result for None. */
SL_HIDDEN bool sl_coerce_string(json_object *v, const char *name, bool allow_none,
                                const char **out, size_t *len, sl_fail_info *f);
/* _resolve_session_id: the record's, else metadata's, non-blank string;
 * else the default; else a stable id from (timestamp_ns|timestamp|"unknown",
 * host|"unknown", pid|-1). Stores into ev->session_id. */
SL_HIDDEN bool sl_resolve_session_id(json_object *record, json_object *metadata,
                                     const sl_convert_ctx *ctx, stormlog_event *ev,
                                     sl_fail_info *f);

#endif
