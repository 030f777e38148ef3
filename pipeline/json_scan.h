/* A small JSON reader for one purpose: reading back a sink manifest when a
 * writer reopens a directory. The shim links no JSON library, and the
 * manifest is small, so this builds a plain tree with malloc. Strict RFC 8259
 * (no NaN, no comments, no trailing commas); anything else fails and the
 * caller treats the manifest as absent, as the format says. */
#ifndef STORMLOG_SHIM_PIPELINE_JSON_SCAN_H
#define STORMLOG_SHIM_PIPELINE_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sl_jnode_kind {
    SL_JN_NULL = 0,
    SL_JN_BOOL,
    SL_JN_INT,    /* an integer literal that fits int64 */
    SL_JN_NUMBER, /* any other number (fraction, exponent, too big): value not kept */
    SL_JN_STRING,
    SL_JN_ARRAY,
    SL_JN_OBJECT,
} sl_jnode_kind;

typedef struct sl_jnode {
    sl_jnode_kind kind;
    bool boolean;
    int64_t integer;
    char *str;      /* SL_JN_STRING: decoded UTF-8, NUL-terminated (may contain NUL) */
    size_t str_len;
    char *key;      /* member of an object: its decoded key */
    size_t key_len;
    struct sl_jnode *first_child; /* arrays and objects, in document order */
    struct sl_jnode *next;
} sl_jnode;

#define SL_JSON_SCAN_MAX_DEPTH 32

/* NULL when text is not one JSON value (surrounded by whitespace) or out of memory. */
sl_jnode *sl_json_scan(const char *text, size_t len);
void sl_json_scan_free(sl_jnode *n);
/* The member named key (the last one when repeated, as Python keeps), or NULL. */
const sl_jnode *sl_jnode_member(const sl_jnode *object, const char *key);

#endif
