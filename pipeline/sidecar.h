/* Replacing a sidecar file of the sink directory (rollups.json,
 * lifetime.json) so that a reader only ever sees the old or the new bytes,
 * even across kill -9 or a power cut: a fresh temporary file in the same
 * directory, fsync, rename over the name, fsync of the directory
 * (rollups.md section 8). A failed step removes the temporary file. The
 * directory's fsync is the caller's (sl_sidecar_sync_dir), so that the two
 * sidecars, written one after the other, share one: each fsync is a
 * journal commit, a few hundred microseconds to milliseconds, and a short
 * process pays every one of them at its stop (issue 14). */
#ifndef STORMLOG_SHIM_PIPELINE_SIDECAR_H
#define STORMLOG_SHIM_PIPELINE_SIDECAR_H

#include <stdbool.h>
#include <stddef.h>

#define SL_LIFETIME_FILENAME "lifetime.json"

/* 0, or the errno of the step that failed (the old file is left as it was).
 * The new name is durable once sl_sidecar_sync_dir has run. */
int sl_sidecar_replace(int dirfd, const char *name, const char *data, size_t len);

/* The directory's fsync after one or more sl_sidecar_replace. */
void sl_sidecar_sync_dir(int dirfd);

#endif
