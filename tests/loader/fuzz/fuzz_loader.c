/* libFuzzer target over the loader's readers. The first byte picks one:
 *   0: one JSON document -> telemetry_event_from_record (the record reader)
 *   1: JSONL file -> every line read and converted (torn tail, blank lines)
 *   2: sink manifest -> read leniently
 *   3: JSON payload file -> records located and converted (events_key paths)
 * Files are memfds read through /proc/self/fd, so the real file code runs.
 * Any input must end in success or an error with a message: never a crash,
 * a leak or a hang. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "jsoninput.h"
#include "jsonl.h"

static int memfd_with(const uint8_t *data, size_t size, char path[64])
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return -1;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

static void check_fail(const sl_fail_info *f)
{
    if (!f->set || f->message[0] == '\0')
        abort(); /* a rejection without a message */
}

static void fuzz_record(const uint8_t *data, size_t size, bool permissive)
{
    json_tokener *tok = sl_json_tokener_new();
    const char *why;
    size_t where;
    json_object *obj = sl_json_parse(tok, (const char *)data, size, &why, &where);
    json_tokener_free(tok);
    if (why)
        return;
    sl_arena arena;
    sl_arena_init(&arena);
    sl_event_alloc al = {.arena = &arena};
    sl_convert_ctx ctx = {permissive, NULL, &al, NULL, 0};
    stormlog_event ev;
    sl_fail_info f;
    sl_fail_init(&f);
    if (sl_event_from_record(obj, &ctx, &ev, &f)) {
        json_object *dict = stormlog_event_json(&ev);
        json_object_put(dict);
        char id[43];
        (void)stormlog_event_record_id(&ev, id);
    } else {
        check_fail(&f);
    }
    sl_arena_free(&arena);
    json_object_put(obj);
}

static void fuzz_jsonl(const char *path)
{
    sl_jsonl_reader r;
    sl_fail_info f;
    sl_fail_init(&f);
    if (!sl_jsonl_open(&r, path, 1 << 20, true, &f))
        return;
    sl_arena arena;
    sl_arena_init(&arena);
    sl_event_alloc al = {.arena = &arena};
    sl_convert_ctx ctx = {true, "fuzz-session", &al, NULL, 0};
    stormlog_event ev;
    int rc;
    while ((rc = sl_jsonl_next(&r, &ctx, &ev, &f)) == 1)
        ;
    if (rc < 0)
        check_fail(&f);
    sl_jsonl_close(&r);
    sl_arena_free(&arena);
}

static void fuzz_json_payload(const char *path)
{
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    stormlog_options *opts = stormlog_options_new();
    (void)stormlog_options_set_events_key(opts, (getpid() & 1) ? NULL : "records");
    if (stormlog_load(path, opts, &rec, &err) == STORMLOG_OK) {
        stormlog_recording_free(rec);
    } else {
        if (!err || !stormlog_error_message(err)[0])
            abort();
        stormlog_error_free(err);
    }
    stormlog_options_free(opts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] & 3;
    data++;
    size--;
    if (mode == 0) {
        fuzz_record(data, size, true);
        fuzz_record(data, size, false);
        return 0;
    }
    char path[64];
    int fd = memfd_with(data, size, path);
    if (fd < 0)
        return 0;
    if (mode == 1)
        fuzz_jsonl(path);
    else if (mode == 2)
        sl_manifest_free(sl_manifest_read(path));
    else
        fuzz_json_payload(path);
    close(fd);
    return 0;
}
