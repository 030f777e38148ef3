/* Test helper: load PATH and print, per event, its record id and its v3
 * dictionary, tab-separated, for check_record_ids.py to recompute in Python. */
#include <stdio.h>

#include "stormlog/loader.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: loader_record_ids PATH\n");
        return 2;
    }
    stormlog_recording *rec;
    stormlog_error *err;
    if (stormlog_load(argv[1], NULL, &rec, &err) != STORMLOG_OK) {
        printf("ERROR\t%s\n", stormlog_error_message(err));
        stormlog_error_free(err);
        return 0;
    }
    for (size_t i = 0; i < stormlog_recording_session_count(rec); i++) {
        const stormlog_session *s = stormlog_recording_session(rec, i);
        for (size_t k = 0; k < stormlog_session_event_count(s); k++) {
            const stormlog_event *ev = stormlog_session_event(s, k);
            char id[43];
            if (stormlog_event_record_id(ev, id) != STORMLOG_OK) {
                printf("NOID\n");
                continue;
            }
            json_object *dict = stormlog_event_json(ev);
            printf("%s\t%s\n", id,
                   json_object_to_json_string_ext(dict, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(dict);
        }
    }
    stormlog_recording_free(rec);
    return 0;
}
