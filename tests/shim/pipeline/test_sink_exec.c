/* A process image that dies (exec, kill -9) right after lines reached a new
 * segment must leave that segment in the manifest under its session: the
 * next image (same directory) otherwise lists it with session_id null, and
 * tools that group segments by session lose it (issue 12's exec finding). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sink.h"
#include "sink_reader.h"

static char root[4096];
static void setup_root(void) { tmp_dir(root, "sinkexec"); }
static void teardown_root(void) { rm_rf(root); }

static void open_dir_sink(sl_sink *s, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        _exit(90);
    sl_sink_limits limits = {64u << 20, 10000, 8, 512u << 20};
    char why[512];
    if (!sl_sink_open(s, fd, dir, &limits, true, why, sizeof why))
        _exit(91);
}

/* The image dies the moment its first lines are on disk. */
static void die_now(void *ctx, const sl_sink *s, const char *segment, uint64_t events)
{
    (void)ctx, (void)s, (void)segment, (void)events;
    _exit(0);
}

static void first_image(const char *dir)
{
    sl_sink sink;
    open_dir_sink(&sink, dir);
    sl_manifest_session ses = {.session_id = "first-image", .status = "running", .started_at_ns = 10,
                               .host = "h", .pid = 7, .world_size = 1, .source = "stormlog.cuda_shim"};
    if (!sl_sink_begin_session(&sink, &ses))
        _exit(92);
    sink.observer.written = die_now;
    const char *line = "{\"schema_version\": 3}\n";
    size_t done;
    uint64_t done_events;
    sl_sink_append(&sink, line, strlen(line), 1, &done, &done_events);
    _exit(93);
}

Test(sink_exec, a_segment_written_by_an_image_that_died_keeps_its_session, .init = setup_root, .fini = teardown_root)
{
    char dir[8192];
    snprintf(dir, sizeof dir, "%s/d", root);
    cr_assert_eq(mkdir(dir, 0700), 0);
    pid_t pid = fork();
    if (pid == 0)
        first_image(dir);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "first image status %d", status);

    sl_sink next;
    open_dir_sink(&next, dir); /* the new image */
    sl_sink_close(&next, "completed", 99);

    json_object *m = read_manifest(dir);
    cr_assert_not_null(m);
    json_object *segments, *seg, *sid;
    cr_assert(json_object_object_get_ex(m, "segments", &segments));
    cr_assert_eq(json_object_array_length(segments), 1);
    seg = json_object_array_get_idx(segments, 0);
    cr_assert(json_object_object_get_ex(seg, "session_id", &sid));
    cr_assert_not_null(sid, "segment-000001 lost its session");
    cr_assert_str_eq(json_object_get_string(sid), "first-image");
    json_object *count;
    cr_assert(json_object_object_get_ex(seg, "event_count", &count));
    cr_assert_eq(json_object_get_int64(count), 1, "counted from the file");
    json_object_put(m);
}
