/* The bytes of one captured stack, as the table interns them (two captures
 * are the same stack when their bytes are equal):
 *   header   u16 python frame count, u16 native frame count, u8 flags, and
 *            the unload generation the native frames were captured in (24
 *            bits, little-endian; module_history.h): the same addresses in
 *            another generation may be another module's, so another stack
 *   native   u64 return address, innermost first
 *   python   per frame, innermost first: i32 line, u16 file bytes, u16
 *            function bytes, then the file and function bytes (UTF-8, no NUL)
 * Unaligned fields are read and written with memcpy. */
#ifndef STORMLOG_SHIM_STACKS_STACK_BLOB_H
#define STORMLOG_SHIM_STACKS_STACK_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SL_BLOB_HEADER 8u
#define SL_BLOB_TRUNCATED 0x01u
#define SL_BLOB_PY_FRAME_HEADER 8u
#define SL_BLOB_NAME_MAX 255u /* bytes kept of a file or function name */

typedef struct sl_blob_header {
    uint16_t python;
    uint16_t native;
    uint8_t flags;
    uint32_t generation; /* 24 bits */
} sl_blob_header;

static inline void sl_blob_put_header(unsigned char *b, const sl_blob_header *h)
{
    memcpy(b, &h->python, 2);
    memcpy(b + 2, &h->native, 2);
    b[4] = h->flags;
    b[5] = (unsigned char)h->generation;
    b[6] = (unsigned char)(h->generation >> 8);
    b[7] = (unsigned char)(h->generation >> 16);
}

static inline sl_blob_header sl_blob_get_header(const unsigned char *b)
{
    sl_blob_header h;
    memcpy(&h.python, b, 2);
    memcpy(&h.native, b + 2, 2);
    h.flags = b[4];
    h.generation = (uint32_t)b[5] | (uint32_t)b[6] << 8 | (uint32_t)b[7] << 16;
    return h;
}

static inline uint64_t sl_blob_native(const unsigned char *b, unsigned i)
{
    uint64_t a;
    memcpy(&a, b + SL_BLOB_HEADER + 8u * i, 8);
    return a;
}

typedef struct sl_blob_py_frame {
    int32_t line;
    const char *file;
    size_t file_len;
    const char *function;
    size_t function_len;
} sl_blob_py_frame;

/* Reads the python frame at *pos (start: after the native frames) and
 * moves *pos past it; false when the blob ends first. */
static inline bool sl_blob_next_py(const unsigned char *b, size_t len, size_t *pos, sl_blob_py_frame *f)
{
    if (*pos + SL_BLOB_PY_FRAME_HEADER > len)
        return false;
    uint16_t fl, nl;
    memcpy(&f->line, b + *pos, 4);
    memcpy(&fl, b + *pos + 4, 2);
    memcpy(&nl, b + *pos + 6, 2);
    size_t body = *pos + SL_BLOB_PY_FRAME_HEADER;
    if (body + fl + nl > len)
        return false;
    f->file = (const char *)b + body;
    f->file_len = fl;
    f->function = (const char *)b + body + fl;
    f->function_len = nl;
    *pos = body + fl + nl;
    return true;
}

#endif
