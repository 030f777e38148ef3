/* Helpers shared by the schema core's own files; not part of the public API
 * (hidden like everything else in the archive). */
#ifndef STORMLOG_SCHEMA_INTERNAL_H
#define STORMLOG_SCHEMA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stormlog/schema/error.h"

#define SL_REPLACEMENT_CHAR 0xFFFDu

/* Empty the message, then append to it; false once the message is full (it
 * then ends in "..." and err->truncated is set). */
void sl_error_reset(sl_error *err);
bool sl_error_append(sl_error *err, const char *bytes, size_t len);

/* Decode one code point from s[0..len) (len > 0) the way Python's
 * bytes.decode("utf-8", "replace") does: a maximal invalid subpart becomes
 * U+FFFD. Returns the bytes consumed (>= 1). */
size_t sl_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/* What Python's str.strip() removes (str.isspace()). */
bool sl_is_py_space(uint32_t cp);
/* True when s is empty or only Python whitespace: `not s.strip()`. */
bool sl_is_blank(const char *s, size_t len);
/* s without leading and trailing Python whitespace. */
void sl_strip(const char **s, size_t *len);

/* Order of two keys as Python orders str: by code point, with invalid bytes
 * read as U+FFFD. <0, 0, >0 like memcmp. */
int sl_key_compare(const char *a, size_t alen, const char *b, size_t blen);

#endif
