/* The stack definitions of one session. The shim writes a definition
 * (metadata.stack) with the first record of each segment that uses an id,
 * so any record's copy will do; the first one read is kept. A definition of
 * the wrong shape keeps what it can: frames that are not objects, members
 * of the wrong type are left out, never guessed. */
#include <stdlib.h>
#include <string.h>

#include "../report.h"
#include "callsite.h"

static char *string_member(json_object *obj, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return strdup(json_object_get_string(v));
}

static bool int_member(json_object *obj, const char *key, int64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

static void frame_clear(cs_frame *f)
{
    free(f->function);
    free(f->file);
    free(f->module);
    free(f->build_id);
}

static bool read_frame(json_object *obj, bool python, cs_frame *f)
{
    memset(f, 0, sizeof *f);
    f->python = python;
    if (python) {
        f->function = string_member(obj, "function");
        f->file = string_member(obj, "file");
        f->has_line = int_member(obj, "line", &f->line);
        return true;
    }
    f->module = string_member(obj, "module");
    f->build_id = string_member(obj, "build_id");
    f->has_offset = int_member(obj, "offset", &f->offset);
    return true;
}

static size_t list_length(json_object *def, const char *key, json_object **list)
{
    if (!json_object_object_get_ex(def, key, list) || !json_object_is_type(*list, json_type_array))
        return 0;
    return json_object_array_length(*list);
}

static bool add_frames(cs_stack *st, json_object *list, size_t n, bool python)
{
    for (size_t i = 0; i < n; i++) {
        json_object *obj = json_object_array_get_idx(list, i);
        if (!json_object_is_type(obj, json_type_object))
            continue;
        if (!read_frame(obj, python, &st->frames[st->frame_count]))
            return false;
        st->frame_count++;
        if (python)
            st->python_count++;
    }
    return true;
}

static bool read_stack(json_object *def, int64_t id, cs_stack *st)
{
    memset(st, 0, sizeof *st);
    st->id = id;
    json_object *py = NULL, *native = NULL, *v;
    size_t np = list_length(def, "python", &py), nn = list_length(def, "native", &native);
    st->truncated = json_object_object_get_ex(def, "truncated", &v) && json_object_is_type(v, json_type_boolean) &&
                    json_object_get_boolean(v);
    if (np + nn == 0)
        return true;
    st->frames = calloc(np + nn, sizeof *st->frames);
    return st->frames && add_frames(st, py, np, true) && add_frames(st, native, nn, false);
}

static int by_id(const void *a, const void *b)
{
    int64_t x = ((const cs_stack *)a)->id, y = ((const cs_stack *)b)->id;
    return (x > y) - (x < y);
}

const cs_stack *cs_table_find(const cs_table *t, int64_t id)
{
    cs_stack key = {.id = id};
    return t->count ? bsearch(&key, t->stacks, t->count, sizeof key, by_id) : NULL;
}

static void stack_clear(cs_stack *st)
{
    for (size_t i = 0; i < st->frame_count; i++)
        frame_clear(&st->frames[i]);
    free(st->frames);
}

static int by_id_then_order(const void *a, const void *b)
{
    const cs_stack *x = a, *y = b;
    if (x->id != y->id)
        return (x->id > y->id) - (x->id < y->id);
    return (x->order > y->order) - (x->order < y->order);
}

/* Definitions arrive unsorted; sorted and folded to the first read of each id. */
static void sort_and_fold(cs_table *t)
{
    if (t->count > 1)
        qsort(t->stacks, t->count, sizeof *t->stacks, by_id_then_order);
    size_t kept = 0;
    for (size_t i = 0; i < t->count; i++) {
        if (kept > 0 && t->stacks[kept - 1].id == t->stacks[i].id) {
            stack_clear(&t->stacks[i]);
            continue;
        }
        t->stacks[kept++] = t->stacks[i];
    }
    t->count = kept;
}

static bool has_member(const stormlog_event *ev, const char *key)
{
    size_t len;
    const char *text = stormlog_event_metadata_text(ev, &len), *val;
    size_t vlen;
    return meta_find(text, len, key, &val, &vlen) != META_ABSENT;
}

static void read_mode(cs_table *t, json_object *meta)
{
    json_object *stacks, *mode;
    if (json_object_object_get_ex(meta, "stacks", &stacks) && json_object_object_get_ex(stacks, "mode", &mode) &&
        json_object_is_type(mode, json_type_string))
        snprintf(t->mode, sizeof t->mode, "%s", json_object_get_string(mode));
}

bool cs_event_table_full(const stormlog_event *ev)
{
    return meta_event_string_is(ev, "stack_status", "table_full");
}

static bool read_event(cs_table *t, const stormlog_event *ev)
{
    json_object *meta = stormlog_event_metadata_json(ev);
    if (!meta)
        return false;
    json_object *def;
    int64_t id;
    const char *status = cli_meta_string(meta, "stack_status");
    bool ok = true;
    if (cli_meta_int(meta, "stack_id", &id)) {
        t->refs++;
        if (json_object_object_get_ex(meta, "stack", &def) && json_object_is_type(def, json_type_object)) {
            if (t->count == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 64;
                cs_stack *grown = realloc(t->stacks, cap * sizeof *grown);
                ok = grown != NULL;
                if (ok) {
                    t->stacks = grown;
                    t->cap = cap;
                }
            }
            if (ok) {
                ok = read_stack(def, id, &t->stacks[t->count]);
                t->stacks[t->count].order = t->count;
                t->count++; /* a half-read stack is freed with the table */
            }
        }
    } else if (status && strcmp(status, "table_full") == 0) {
        t->table_full++;
    }
    json_object_put(meta);
    return ok;
}

bool cs_table_build(cs_table *t, const stormlog_session *s)
{
    memset(t, 0, sizeof *t);
    size_t n = stormlog_session_event_count(s);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        const char *type = stormlog_event_type(ev);
        if (strcmp(type, "stop") == 0 && has_member(ev, "stacks")) {
            json_object *meta = stormlog_event_metadata_json(ev);
            if (meta)
                read_mode(t, meta);
            json_object_put(meta);
            continue;
        }
        if (strcmp(type, "allocation") != 0 && strcmp(type, "error") != 0)
            continue;
        /* Only definitions need a parse; most records carry just the id. */
        uint64_t id;
        if (has_member(ev, "stack")) {
            ok = read_event(t, ev);
        } else if (meta_event_u64(ev, "stack_id", &id)) {
            t->refs++;
        } else if (cs_event_table_full(ev)) {
            t->table_full++;
        }
    }
    sort_and_fold(t);
    if (!ok)
        return false;
    /* References to ids no record defines (their segment was pruned without
     * a later one repeating it, or a writer lost it). */
    for (size_t i = 0; i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        const char *type = stormlog_event_type(ev);
        if (strcmp(type, "allocation") != 0 && strcmp(type, "error") != 0)
            continue;
        uint64_t id;
        if (meta_event_u64(ev, "stack_id", &id) && !cs_table_find(t, (int64_t)id))
            t->undefined_refs++;
    }
    return true;
}

void cs_table_free(cs_table *t)
{
    for (size_t i = 0; i < t->count; i++)
        stack_clear(&t->stacks[i]);
    free(t->stacks);
    memset(t, 0, sizeof *t);
}
