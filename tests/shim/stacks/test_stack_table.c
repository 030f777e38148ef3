/* The intern table and the writer's per-segment definitions (shim/stacks),
 * in-process. Criterion runs each test in its own process: each maps its
 * own table. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <link.h>
#include <pthread.h>
#include <unistd.h>
#include <string.h>

#include "stack_blob.h"
#include "stack_table.h"
#include "stacks.h"

/* A blob of n native frames (addresses base, base+1, ...) and one Python frame. */
static size_t make_blob(unsigned char *b, uint64_t base, unsigned n, const char *file, const char *fn, int32_t line)
{
    sl_blob_header h = {1, (uint16_t)n, 0, 0};
    sl_blob_put_header(b, &h);
    size_t len = SL_BLOB_HEADER;
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = base + i;
        memcpy(b + len, &a, 8);
        len += 8;
    }
    uint16_t fl = (uint16_t)strlen(file), nl = (uint16_t)strlen(fn);
    memcpy(b + len, &line, 4);
    memcpy(b + len + 4, &fl, 2);
    memcpy(b + len + 6, &nl, 2);
    memcpy(b + len + 8, file, fl);
    memcpy(b + len + 8 + fl, fn, nl);
    return len + 8 + fl + nl;
}

Test(stack_table, same_bytes_same_id)
{
    cr_assert(sl_stack_table_init(16));
    unsigned char a[256], b[256];
    size_t la = make_blob(a, 0x1000, 3, "train.py", "forward", 41);
    size_t lb = make_blob(b, 0x1000, 3, "train.py", "forward", 42);
    uint32_t id1, id2, id3;
    bool added;
    cr_assert_eq(sl_stack_table_intern(a, la, &id1, &added), SL_INTERN_OK);
    cr_assert(added);
    cr_assert_eq(sl_stack_table_intern(a, la, &id2, &added), SL_INTERN_OK);
    cr_assert(!added);
    cr_assert_eq(id1, id2);
    cr_assert_eq(sl_stack_table_intern(b, lb, &id3, &added), SL_INTERN_OK);
    cr_assert(added && id3 != id1, "another line is another stack");
    const unsigned char *got;
    size_t len;
    cr_assert(sl_stack_table_get(id1, &got, &len));
    cr_assert(len == la && memcmp(got, a, la) == 0);
    cr_assert(!sl_stack_table_get(0, &got, &len));
    cr_assert_eq(sl_stack_table_interned(), 2);
}

Test(stack_table, full_is_counted)
{
    cr_assert(sl_stack_table_init(2));
    unsigned char b[256];
    uint32_t id;
    bool added;
    for (unsigned i = 0; i < 2; i++)
        cr_assert_eq(sl_stack_table_intern(b, make_blob(b, 0x1000 * (i + 1), 2, "f.py", "g", 1), &id, &added),
                     SL_INTERN_OK);
    for (unsigned i = 2; i < 5; i++)
        cr_assert_eq(sl_stack_table_intern(b, make_blob(b, 0x1000 * (i + 1), 2, "f.py", "g", 1), &id, &added),
                     SL_INTERN_FULL);
    /* A known stack still resolves when the table is full. */
    cr_assert_eq(sl_stack_table_intern(b, make_blob(b, 0x1000, 2, "f.py", "g", 1), &id, &added), SL_INTERN_OK);
    cr_assert_eq(sl_stack_table_interned(), 2);
    cr_assert_eq(sl_stack_table_full_count(), 3);
}

#define THREADS 8
#define STACKS 64
static void *intern_many(void *arg)
{
    uint32_t *ids = arg;
    unsigned char b[256];
    for (int round = 0; round < 200; round++) {
        for (unsigned s = 0; s < STACKS; s++) {
            size_t len = make_blob(b, 0x10000 + 16 * s, 4, "t.py", "worker", (int32_t)s);
            bool added;
            if (sl_stack_table_intern(b, len, &ids[s], &added) != SL_INTERN_OK)
                ids[s] = 0;
            const unsigned char *got;
            size_t got_len;
            if (!sl_stack_table_get(ids[s], &got, &got_len) || got_len != len || memcmp(got, b, len) != 0)
                ids[s] = 0; /* an id that does not name these bytes */
        }
    }
    return NULL;
}

Test(stack_table, concurrent_interns_resolve)
{
    cr_assert(sl_stack_table_init(1024));
    pthread_t t[THREADS];
    static uint32_t ids[THREADS][STACKS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, intern_many, ids[i]);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        for (int s = 0; s < STACKS; s++)
            cr_assert_neq(ids[i][s], 0, "thread %d stack %d", i, s);
    /* A racing insert may give a stack a second id, never more than one per thread. */
    cr_assert(sl_stack_table_interned() >= STACKS && sl_stack_table_interned() <= STACKS * THREADS);
}

static const sl_member *member(const sl_value *obj, const char *key)
{
    for (size_t i = 0; i < obj->u.object.count; i++)
        if (obj->u.object.members[i].key_len == strlen(key) && memcmp(obj->u.object.members[i].key, key, strlen(key)) == 0)
            return &obj->u.object.members[i];
    return NULL;
}

static int bias_of(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uintptr_t *)data = info->dlpi_addr; /* the first entry is the program */
    return 1;
}

Test(stack_definitions, once_per_segment)
{
    cr_assert(sl_stack_table_init(16));
    unsigned char b[256];
    uint64_t here = (uint64_t)(uintptr_t)&make_blob + 8; /* a "return address" inside this program */
    size_t len = make_blob(b, here, 1, "train.py", "forward", 41);
    uint32_t id;
    bool added;
    cr_assert_eq(sl_stack_table_intern(b, len, &id, &added), SL_INTERN_OK);
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    sl_event_meta_int(&ev, SL_STACK_ID_KEY, id);
    sl_member def;
    cr_assert(sl_stacks_definition(&ev, 1, &def), "first record of segment 1");
    cr_assert(def.key_len == 5 && memcmp(def.key, "stack", 5) == 0);
    const sl_member *py = member(&def.value, "python");
    cr_assert(py && py->value.u.array.count == 1);
    const sl_value *frame = &py->value.u.array.items[0];
    cr_assert_eq(member(frame, "line")->value.u.integer, 41);
    cr_assert(strncmp(member(frame, "function")->value.u.string.ptr, "forward", 7) == 0);
    const sl_member *native = member(&def.value, "native");
    cr_assert(native && native->value.u.array.count == 1);
    const sl_value *nf = &native->value.u.array.items[0];
    uintptr_t bias = 0;
    dl_iterate_phdr(bias_of, &bias);
    cr_assert_eq((uint64_t)member(nf, "offset")->value.u.integer, here - bias);
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const sl_value *module = &member(nf, "module")->value;
    cr_assert(module->u.string.len == strlen(exe) && memcmp(module->u.string.ptr, exe, strlen(exe)) == 0);
    cr_assert_null(member(&def.value, "truncated"));

    cr_assert(!sl_stacks_definition(&ev, 1, &def), "segment 1 has it");
    cr_assert(sl_stacks_definition(&ev, 2, &def), "segment 2 defines it again");
    cr_assert(!sl_stacks_definition(&ev, 2, &def));
    sl_event bare;
    memset(&bare, 0, sizeof bare);
    cr_assert(!sl_stacks_definition(&bare, 3, &def), "no stack_id: nothing to define");
}
