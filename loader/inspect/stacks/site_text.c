/* Frames and call sites as people and scripts read them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report.h"
#include "callsite.h"

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static char *text_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *text_of(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

char *cs_frame_text(const cs_frame *f)
{
    const char *function = f->function ? f->function : "?";
    if (f->python || (f->file && f->has_line)) {
        /* The Python way round for both: the line first, then the function. */
        const char *file = f->file ? f->file : "?";
        if (f->has_line)
            return text_of("%s:%" PRId64 " in %s", f->python ? file : base_name(file), f->line, function);
        return text_of("%s in %s", file, function);
    }
    if (!f->has_offset)
        return text_of("%s", f->module ? f->module : "?");
    if (!f->module)
        return text_of("0x%" PRIx64, (uint64_t)f->offset);
    if (f->function)
        return text_of("%s in %s+0x%" PRIx64, function, base_name(f->module), (uint64_t)f->offset);
    return text_of("%s+0x%" PRIx64, base_name(f->module), (uint64_t)f->offset);
}

char *cs_site_title(const cs_site *site)
{
    switch (site->kind) {
    case CS_SITE_NONE:
        return text_of("no stack recorded");
    case CS_SITE_TABLE_FULL:
        return text_of("stack not recorded: the shim's stack table was full");
    case CS_SITE_UNDEFINED:
        return text_of("unknown call site (stack %" PRId64 " is not defined in the recording)", site->stack_id);
    case CS_SITE_STACK:
        break;
    }
    if (site->stack->frame_count == 0)
        return text_of("empty stack (stack %" PRId64 ")", site->stack_id);
    return cs_frame_text(&site->stack->frames[0]);
}

static void add_string(json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

json_object *cs_frame_json(const cs_frame *f)
{
    json_object *obj = json_object_new_object();
    if (!obj)
        return NULL;
    add_string(obj, "function", f->function);
    add_string(obj, "file", f->file);
    if (f->has_line)
        json_object_object_add(obj, "line", json_object_new_int64(f->line));
    add_string(obj, "module", f->module);
    if (f->has_offset)
        json_object_object_add(obj, "offset", json_object_new_int64(f->offset));
    add_string(obj, "build_id", f->build_id);
    if (f->python)
        json_object_object_add(obj, "python", json_object_new_boolean(true));
    return obj;
}

json_object *cs_site_json(const cs_site *site, bool totals)
{
    static const char *const status[] = {
        [CS_SITE_UNDEFINED] = "undefined", [CS_SITE_NONE] = "none", [CS_SITE_TABLE_FULL] = "table_full"};
    json_object *obj = json_object_new_object(), *frames = json_object_new_array();
    if (!obj || !frames) {
        json_object_put(obj);
        json_object_put(frames);
        return NULL;
    }
    json_object_object_add(obj, "bytes", json_object_new_int64(site->bytes));
    json_object_object_add(obj, "allocations", json_object_new_int64((int64_t)site->allocations));
    if (totals) {
        json_object_object_add(obj, "total_bytes", json_object_new_int64(site->total_bytes));
        json_object_object_add(obj, "total_allocations", json_object_new_int64((int64_t)site->total_allocations));
    }
    if (site->kind == CS_SITE_STACK || site->kind == CS_SITE_UNDEFINED)
        json_object_object_add(obj, "stack_id", json_object_new_int64(site->stack_id));
    if (site->kind != CS_SITE_STACK)
        json_object_object_add(obj, "status", json_object_new_string(status[site->kind]));
    if (site->kind == CS_SITE_STACK && site->stack->truncated)
        json_object_object_add(obj, "truncated", json_object_new_boolean(true));
    for (size_t i = 0; site->stack && i < site->stack->frame_count; i++)
        json_object_array_add(frames, cs_frame_json(&site->stack->frames[i]));
    json_object_object_add(obj, "frames", frames);
    return obj;
}
