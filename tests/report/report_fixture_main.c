/* report_fixture: write a test recording from the command line, for the
 * browser test and for measuring large reports by hand.
 *
 *   report_fixture single DIR [STEPS [ALLOCS_PER_STEP]]
 *   report_fixture job DIR RANKS HOT_RANK STEPS
 *
 * Prints the number of events written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static int usage(void)
{
    fprintf(stderr, "usage: report_fixture single DIR [STEPS [ALLOCS_PER_STEP]]\n"
                    "       report_fixture job DIR RANKS HOT_RANK STEPS\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "single") == 0) {
        fixture_opts o = fixture_defaults();
        if (argc >= 4)
            o.steps = strtoul(argv[3], NULL, 10);
        if (argc >= 5)
            o.allocs_per_step = strtoul(argv[4], NULL, 10);
        if (o.steps == 0)
            return usage();
        o.spike_step = o.steps / 3;
        fixture_truth t;
        if (!fixture_write_sink(argv[2], &o, &t)) {
            perror(argv[2]);
            return 1;
        }
        printf("%zu\n", t.events);
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "job") == 0) {
        int ranks = atoi(argv[3]), hot = atoi(argv[4]);
        size_t steps = strtoul(argv[5], NULL, 10);
        if (ranks < 1 || ranks > 4096 || steps == 0)
            return usage();
        fixture_truth *t = calloc((size_t)ranks, sizeof *t);
        if (!t || !fixture_write_job(argv[2], ranks, hot, steps, t)) {
            perror(argv[2]);
            free(t);
            return 1;
        }
        size_t events = 0;
        for (int r = 0; r < ranks; r++)
            events += t[r].events;
        printf("%zu\n", events);
        free(t);
        return 0;
    }
    return usage();
}
