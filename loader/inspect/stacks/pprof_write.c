/* A call-site view as a gzipped pprof profile (profile.proto, encoded by
 * protobuf-c, compressed by zlib): one sample per call site with its live
 * bytes at the moment (inuse_space) and all it allocated in the session
 * (alloc_space); its frames, leaf first, as locations. Native frames keep
 * their module as a mapping (file name, build-id) and their recorded
 * address; Python frames are locations without a mapping. A site without a
 * stack gets one location that says why. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "callsite.h"
#include "pprof.h"
#include "profile.pb-c.h"

typedef Stormlog__Pprof__Profile pb_profile;
typedef Stormlog__Pprof__ValueType pb_value_type;
typedef Stormlog__Pprof__Sample pb_sample;
typedef Stormlog__Pprof__Mapping pb_mapping;
typedef Stormlog__Pprof__Location pb_location;
typedef Stormlog__Pprof__Line pb_line;
typedef Stormlog__Pprof__Function pb_function;

/* Grows *arr (of `size`-byte items) to hold one more; false when out of memory. */
static bool reserve(void **arr, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 64;
    void *grown = realloc(*arr, n * size);
    if (!grown)
        return false;
    *arr = grown;
    *cap = n;
    return true;
}

/* ---- interning: strings, functions, mappings, locations by a text key ---- */

typedef struct key_map {
    char **keys;      /* owned */
    size_t *ids;      /* 1-based ids (0: empty slot) */
    size_t cap, count;
} key_map;

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The id of key, or 0 with *slot set where it goes. */
static size_t key_find(const key_map *m, const char *key, size_t *slot)
{
    size_t mask = m->cap - 1, i = (size_t)hash_text(key) & mask;
    while (m->ids[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & mask;
    *slot = i;
    return m->ids[i];
}

static bool key_grow(key_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256;
    key_map n = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(size_t)), cap, m->count};
    if (!n.keys || !n.ids) {
        free(n.keys);
        free(n.ids);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->ids[i])
            continue;
        size_t slot;
        key_find(&n, m->keys[i], &slot);
        n.keys[slot] = m->keys[i];
        n.ids[slot] = m->ids[i];
    }
    free(m->keys);
    free(m->ids);
    *m = n;
    return true;
}

/* The id of key; a new one (count + 1) when absent, *added set then. 0 when out of memory. */
static size_t key_intern(key_map *m, const char *key, bool *added)
{
    *added = false;
    if ((m->count + 1) * 2 > m->cap && !key_grow(m))
        return 0;
    size_t slot, id = key_find(m, key, &slot);
    if (id)
        return id;
    m->keys[slot] = strdup(key);
    if (!m->keys[slot])
        return 0;
    m->ids[slot] = ++m->count;
    *added = true;
    return m->count;
}

static void key_free(key_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->ids[i])
            free(m->keys[i]);
    free(m->keys);
    free(m->ids);
}

typedef struct builder {
    pb_profile profile;
    key_map strings, functions, mappings, locations;
    size_t string_cap, function_cap, mapping_cap, location_cap, sample_cap;
    bool ok;
} builder;

static int64_t str_id(builder *b, const char *s)
{
    const char *text = s ? s : "";
    bool added;
    size_t id = key_intern(&b->strings, text, &added);
    if (id && added) {
        size_t slot;
        key_find(&b->strings, text, &slot);
        if (!reserve((void **)&b->profile.string_table, &b->string_cap, b->profile.n_string_table, sizeof(char *)))
            id = 0;
        else /* borrowed from the map, which keeps it until the end */
            b->profile.string_table[b->profile.n_string_table++] = b->strings.keys[slot];
    }
    if (!id) {
        b->ok = false;
        return 0;
    }
    return (int64_t)id - 1; /* the table is 0-based and "" went in first */
}

/* The id of the thing named (tag, x, y, n) in m, a new one when *added
 * (a key no two different things share: the parts joined by \x1f). 0, with
 * b->ok false, when out of memory. */
static size_t thing_id(builder *b, key_map *m, const char *tag, const char *x, const char *y, int64_t n, bool *added)
{
    char *key = NULL;
    if (asprintf(&key, "%s\x1f%s\x1f%s\x1f%lld", tag, x ? x : "", y ? y : "", (long long)n) < 0)
        key = NULL;
    size_t id = key ? key_intern(m, key, added) : 0;
    free(key);
    if (!id)
        b->ok = false;
    return id;
}

/* A zeroed message of `size` bytes appended to a list of pointers, or NULL
 * (b->ok false) when out of memory. */
static void *append(builder *b, void ***list, size_t *count, size_t *cap, size_t size)
{
    void *item = calloc(1, size);
    if (!item || !reserve((void **)list, cap, *count, sizeof(void *))) {
        free(item);
        b->ok = false;
        return NULL;
    }
    (*list)[(*count)++] = item;
    return item;
}

static uint64_t function_id(builder *b, const char *name, const char *file)
{
    bool added;
    size_t id = thing_id(b, &b->functions, "fn", name, file, 0, &added);
    pb_function *f = id && added ? append(b, (void ***)&b->profile.function, &b->profile.n_function,
                                          &b->function_cap, sizeof *f)
                                 : NULL;
    if (f) {
        stormlog__pprof__function__init(f);
        f->id = id;
        f->name = str_id(b, name);
        f->system_name = f->name;
        f->filename = str_id(b, file);
    }
    return b->ok ? id : 0;
}

static uint64_t mapping_id(builder *b, const char *module, const char *build_id)
{
    bool added;
    size_t id = thing_id(b, &b->mappings, "map", module, build_id, 0, &added);
    pb_mapping *m = id && added ? append(b, (void ***)&b->profile.mapping, &b->profile.n_mapping,
                                         &b->mapping_cap, sizeof *m)
                                : NULL;
    if (m) {
        stormlog__pprof__mapping__init(m);
        m->id = id;
        m->filename = str_id(b, module);
        m->build_id = str_id(b, build_id);
        /* Addresses are module-relative (the ELF file's own): the whole range. */
        m->memory_limit = UINT64_MAX;
        m->has_functions = true;
        m->has_filenames = true;
        m->has_line_numbers = true;
    }
    return b->ok ? id : 0;
}

/* The location named (tag, x, y, n): at `address` in `mapping` (0: none),
 * in `function` at `line` (function 0: unknown). */
static uint64_t location_id(builder *b, const char *tag, const char *x, const char *y, int64_t n, uint64_t mapping,
                            uint64_t address, uint64_t function, int64_t line)
{
    bool added;
    size_t id = thing_id(b, &b->locations, tag, x, y, n, &added);
    if (!id || !added)
        return id;
    pb_location *l = append(b, (void ***)&b->profile.location, &b->profile.n_location, &b->location_cap, sizeof *l);
    if (!l)
        return 0;
    stormlog__pprof__location__init(l);
    l->id = id;
    l->mapping_id = mapping;
    l->address = address;
    if (!function)
        return id;
    pb_line *ln = calloc(1, sizeof *ln);
    l->line = calloc(1, sizeof *l->line);
    if (!ln || !l->line) {
        free(ln);
        b->ok = false;
        return 0;
    }
    stormlog__pprof__line__init(ln);
    ln->function_id = function;
    ln->line = line;
    l->line[0] = ln;
    l->n_line = 1;
    return id;
}

static uint64_t frame_location(builder *b, const cs_frame *f)
{
    int64_t line = f->has_line ? f->line : 0;
    if (f->python)
        return location_id(b, "py", f->file, f->function, line, 0, 0,
                           function_id(b, f->function ? f->function : "?", f->file), line);
    uint64_t mapping = f->module ? mapping_id(b, f->module, f->build_id) : 0;
    int64_t offset = f->has_offset ? f->offset : 0;
    return location_id(b, "native", f->module, f->build_id, offset, mapping, (uint64_t)offset,
                       f->function ? function_id(b, f->function, f->file) : 0, line);
}

/* A site without frames: one location whose function says why. */
static uint64_t reason_location(builder *b, const cs_site *site)
{
    char *title = cs_site_title(site);
    uint64_t id = title ? location_id(b, "why", title, "", 0, 0, 0, function_id(b, title, ""), 0) : 0;
    if (!title)
        b->ok = false;
    free(title);
    return id;
}

static void add_sample(builder *b, const cs_site *site)
{
    size_t n = site->stack && site->stack->frame_count ? site->stack->frame_count : 1;
    pb_sample *s = calloc(1, sizeof *s);
    uint64_t *ids = calloc(n, sizeof *ids);
    int64_t *values = calloc(2, sizeof *values);
    if (!s || !ids || !values ||
        !reserve((void **)&b->profile.sample, &b->sample_cap, b->profile.n_sample, sizeof s)) {
        free(s);
        free(ids);
        free(values);
        b->ok = false;
        return;
    }
    stormlog__pprof__sample__init(s);
    for (size_t i = 0; i < n; i++)
        ids[i] = site->stack && site->stack->frame_count ? frame_location(b, &site->stack->frames[i])
                                                         : reason_location(b, site);
    values[0] = site->bytes;
    values[1] = site->total_bytes;
    s->location_id = ids;
    s->n_location_id = n;
    s->value = values;
    s->n_value = 2;
    b->profile.sample[b->profile.n_sample++] = s;
}

static void builder_free(builder *b)
{
    pb_profile *p = &b->profile;
    for (size_t i = 0; i < p->n_sample; i++) {
        free(p->sample[i]->location_id);
        free(p->sample[i]->value);
        free(p->sample[i]);
    }
    for (size_t i = 0; i < p->n_location; i++) {
        if (p->location[i]->n_line)
            free(p->location[i]->line[0]);
        free(p->location[i]->line);
        free(p->location[i]);
    }
    for (size_t i = 0; i < p->n_function; i++)
        free(p->function[i]);
    for (size_t i = 0; i < p->n_mapping; i++)
        free(p->mapping[i]);
    for (size_t i = 0; i < p->n_sample_type; i++)
        free(p->sample_type[i]);
    free(p->sample_type);
    free(p->period_type);
    free(p->sample);
    free(p->location);
    free(p->function);
    free(p->mapping);
    free(p->string_table);
    free(p->comment);
    key_free(&b->strings);
    key_free(&b->functions);
    key_free(&b->mappings);
    key_free(&b->locations);
}

static pb_value_type *value_type(builder *b, const char *type, const char *unit)
{
    pb_value_type *v = calloc(1, sizeof *v);
    if (!v) {
        b->ok = false;
        return NULL;
    }
    stormlog__pprof__value_type__init(v);
    v->type = str_id(b, type);
    v->unit = str_id(b, unit);
    return v;
}

/* gzip of the bytes (malloc'd), or NULL. */
static unsigned char *gzip_bytes(const unsigned char *in, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, len) + 32;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

bool pprof_encode(const cs_moment *m, unsigned char **out, size_t *out_len)
{
    builder b = {.ok = true};
    stormlog__pprof__profile__init(&b.profile);
    pb_profile *p = &b.profile;
    str_id(&b, ""); /* string_table[0] */
    p->sample_type = calloc(2, sizeof *p->sample_type);
    if (p->sample_type) {
        p->sample_type[p->n_sample_type++] = value_type(&b, "inuse_space", "bytes");
        p->sample_type[p->n_sample_type++] = value_type(&b, "alloc_space", "bytes");
    }
    p->period_type = value_type(&b, "space", "bytes");
    p->period = 1;
    p->default_sample_type = str_id(&b, "inuse_space");
    size_t n = stormlog_session_event_count(m->session);
    if (n) {
        p->time_nanos = stormlog_event_timestamp_ns(stormlog_session_event(m->session, 0));
        p->duration_nanos = stormlog_event_timestamp_ns(stormlog_session_event(m->session, n - 1)) - p->time_nanos;
    }
    char comment[256];
    snprintf(comment, sizeof comment, "stormlog session %s: inuse_space %s%s", stormlog_session_id(m->session),
             strcmp(m->at, "time") == 0 ? "at the time asked" : "at ", strcmp(m->at, "time") == 0 ? "" : m->at);
    p->comment = calloc(1, sizeof *p->comment);
    if (p->comment) {
        p->comment[0] = str_id(&b, comment);
        p->n_comment = 1;
    }
    b.ok = b.ok && p->sample_type && p->comment;
    for (size_t i = 0; b.ok && i < m->view.site_count; i++)
        add_sample(&b, &m->view.sites[i]);
    bool ok = b.ok;
    *out = NULL;
    if (ok) {
        size_t len = stormlog__pprof__profile__get_packed_size(p);
        unsigned char *raw = malloc(len ? len : 1);
        ok = raw != NULL;
        if (ok) {
            stormlog__pprof__profile__pack(p, raw);
            *out = gzip_bytes(raw, len, out_len);
            ok = *out != NULL;
        }
        free(raw);
    }
    builder_free(&b);
    return ok;
}
