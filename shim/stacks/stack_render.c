/* Writer thread: metadata.stack, the definition of a stack id, written with
 * the first record of each segment that carries the id (so that a segment
 * left alone by retention still names its stacks). The writer says which
 * segment the line goes to; a change of segment forgets what was defined. */
#include <stdlib.h>
#include <string.h>

#include "stack_blob.h"
#include "module_history.h"
#include "stack_modules.h"
#include "stack_table.h"
#include "stacks.h"

typedef struct render {
    sl_module_frame native[SL_STACKS_DEPTH_MAX];
    sl_member native_fields[SL_STACKS_DEPTH_MAX][3];
    sl_value native_items[SL_STACKS_DEPTH_MAX];
    sl_member python_fields[SL_STACKS_DEPTH_MAX][3];
    sl_value python_items[SL_STACKS_DEPTH_MAX];
    sl_member stack[3];
} render;

static render *r;           /* allocated at the first definition */
static uint64_t *defined;   /* one bit per table entry: defined in `segment` */
static size_t defined_words;
static uint64_t segment_now = UINT64_MAX;

static bool stack_id_of(const sl_event *ev, uint32_t *id)
{
    for (unsigned i = 0; i < ev->meta_count && i < SL_EVENT_META_MAX; i++) {
        const sl_event_meta *m = &ev->meta[i];
        if (m->kind == SL_META_INT && m->key && strcmp(m->key, SL_STACK_ID_KEY) == 0 && m->v.i > 0 &&
            m->v.i <= UINT32_MAX) {
            *id = (uint32_t)m->v.i;
            return true;
        }
    }
    return false;
}

static size_t render_native(const unsigned char *blob, unsigned n, uint32_t generation)
{
    for (unsigned i = 0; i < n; i++)
        r->native[i].address = sl_blob_native(blob, i);
    sl_module_history_resolve(generation, r->native, n);
    for (unsigned i = 0; i < n; i++) {
        sl_module_frame *f = &r->native[i];
        sl_member *m = r->native_fields[i];
        size_t k = 0;
        if (f->found) {
            m[k++] = sl_member_of("module", sl_value_str(f->module));
            m[k++] = sl_member_of("offset", sl_value_int((int64_t)f->offset));
            if (f->build_id[0])
                m[k++] = sl_member_of("build_id", sl_value_str(f->build_id));
        } else {
            m[k++] = sl_member_of("offset", sl_value_int((int64_t)f->address));
        }
        r->native_items[i] = sl_value_object(m, k);
    }
    return n;
}

static size_t render_python(const unsigned char *blob, size_t len, unsigned n, size_t pos)
{
    size_t k = 0;
    sl_blob_py_frame f;
    while (k < n && k < SL_STACKS_DEPTH_MAX && sl_blob_next_py(blob, len, &pos, &f)) {
        sl_member *m = r->python_fields[k];
        m[0] = sl_member_of("file", sl_value_strn(f.file, f.file_len));
        m[1] = sl_member_of("function", sl_value_strn(f.function, f.function_len));
        m[2] = sl_member_of("line", sl_value_int(f.line));
        r->python_items[k] = sl_value_object(m, 3);
        k++;
    }
    return k;
}

void sl_stacks_forget_segments(void)
{
    segment_now = UINT64_MAX; /* the next definition clears the bits */
}

bool sl_stacks_definition(const sl_event *ev, uint64_t segment, sl_member *out)
{
    uint32_t id;
    const unsigned char *blob;
    size_t len;
    if (!stack_id_of(ev, &id) || !sl_stack_table_get(id, &blob, &len) || len < SL_BLOB_HEADER)
        return false;
    if (defined == NULL) {
        defined_words = (sl_stack_table_slots() + 63) / 64;
        defined = calloc(defined_words, sizeof *defined);
        r = calloc(1, sizeof *r);
        if (defined == NULL || r == NULL) {
            free(defined);
            free(r);
            defined = NULL;
            r = NULL;
            return false; /* the records keep their ids; readers say the stack is unknown */
        }
    }
    if (segment != segment_now) {
        memset(defined, 0, defined_words * sizeof *defined);
        segment_now = segment;
    }
    uint64_t bit = UINT64_C(1) << ((id - 1) % 64);
    if (defined[(id - 1) / 64] & bit)
        return false;

    sl_blob_header h = sl_blob_get_header(blob);
    unsigned native = h.native <= SL_STACKS_DEPTH_MAX ? h.native : SL_STACKS_DEPTH_MAX;
    size_t python_at = SL_BLOB_HEADER + 8u * h.native;
    if (python_at > len)
        return false;
    size_t k = 0;
    size_t py = render_python(blob, len, h.python, python_at);
    if (py > 0)
        r->stack[k++] = sl_member_of("python", sl_value_array(r->python_items, py));
    if (native > 0)
        r->stack[k++] = sl_member_of("native", sl_value_array(r->native_items, render_native(blob, native, h.generation)));
    if (h.flags & SL_BLOB_TRUNCATED)
        r->stack[k++] = sl_member_of("truncated", sl_value_bool(true));
    defined[(id - 1) / 64] |= bit;
    *out = sl_member_of("stack", sl_value_object(r->stack, k));
    return true;
}
