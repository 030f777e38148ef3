/* A program outside the project using the installed loader. */
#include <stdio.h>

#include <stormlog/loader.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    stormlog_recording *rec;
    stormlog_error *err;
    if (stormlog_load(argv[1], NULL, &rec, &err) != STORMLOG_OK) {
        fprintf(stderr, "%s\n", stormlog_error_message(err));
        stormlog_error_free(err);
        return 1;
    }
    const stormlog_session *s = stormlog_recording_default_session(rec);
    printf("%s %zu\n", s ? stormlog_session_id(s) : "-", stormlog_session_event_count(s));
    stormlog_recording_free(rec);
    return 0;
}
