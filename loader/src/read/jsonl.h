/* A pull reader over one JSONL file (jsonl.c). */
#ifndef STORMLOG_LOADER_JSONL_H
#define STORMLOG_LOADER_JSONL_H

#include "internal.h"

typedef struct sl_jsonl_reader {
    int fd;
    const char *path;      /* borrowed; as named in messages */
    char *buf;
    size_t cap, len, start;
    size_t max_line_bytes;
    long line_no;
    bool eof, done;
    bool vanished;         /* open failed because the file no longer exists */
    bool line_error;       /* the last -1 was about one line, now behind us */
    long torn_line;        /* > 0: that last line had no break and did not parse: dropped */
    json_tokener *tok;
} sl_jsonl_reader;

SL_HIDDEN bool sl_jsonl_open(sl_jsonl_reader *r, const char *path, size_t max_line_bytes,
                             bool allow_symlink, sl_fail_info *f);
/* 1: *ev filled (strings in ctx->alloc's arena); 0: end; -1: error in f. */
SL_HIDDEN int sl_jsonl_next(sl_jsonl_reader *r, const sl_convert_ctx *ctx, stormlog_event *ev,
                            sl_fail_info *f);
SL_HIDDEN void sl_jsonl_close(sl_jsonl_reader *r);
/* After -1: go on with the next line when the error was about one line
 * (validation lists every problem); false when reading cannot go on. */
SL_HIDDEN bool sl_jsonl_skip_bad_line(sl_jsonl_reader *r);

#endif
