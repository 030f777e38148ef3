/* Python text helpers (pytext.c). */
#ifndef STORMLOG_LOADER_PYTEXT_H
#define STORMLOG_LOADER_PYTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

SL_HIDDEN bool sl_py_isspace(uint32_t cp);
SL_HIDDEN void sl_py_strip(const char **s, size_t *len);
SL_HIDDEN bool sl_py_is_blank(const char *s, size_t len);
/* The first line break str.splitlines() knows in s[0..len): \n, \r, \v, \f,
 * \x1c-\x1e, U+0085, U+2028, U+2029 (whole UTF-8 sequences only). Returns its
 * offset (len when none) and its length in *brk_len. */
SL_HIDDEN size_t sl_py_line_break(const char *s, size_t len, size_t *brk_len);
SL_HIDDEN uint32_t sl_utf8_decode(const char *s, size_t len, size_t *adv);

#endif
