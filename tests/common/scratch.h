/* Scratch directories for tests: made fresh under $TMPDIR (or /tmp), removed
 * with everything in them. One implementation for every test part. */
#ifndef STORMLOG_TEST_SCRATCH_H
#define STORMLOG_TEST_SCRATCH_H

/* mkdtemp of $TMPDIR/stormlog-<tag>-XXXXXX into path; aborts on failure (a
 * test that cannot make its scratch space cannot say anything). */
void scratch_make(char path[4096], const char *tag);
/* rm -rf path, not following symlinks (tests plant some on purpose). */
void scratch_remove(const char *path);

#endif
