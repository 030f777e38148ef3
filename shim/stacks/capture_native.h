/* Native frames of the calling thread: return addresses, the shim's own
 * frames left out. */
#ifndef STORMLOG_SHIM_STACKS_CAPTURE_NATIVE_H
#define STORMLOG_SHIM_STACKS_CAPTURE_NATIVE_H

#include <stdbool.h>
#include <stdint.h>

/* Library constructor only (it calls the dynamic loader): learns where the
 * shim's code lies and makes backtrace() load its unwinder now, so that no
 * hook ever does. false when unwinding would take the loader's lock (no
 * _dl_find_object: glibc before 2.35) or backtrace() returns nothing. */
bool sl_native_load(void) __attribute__((visibility("hidden")));
/* Up to depth return addresses, innermost first; *truncated when the
 * stack went deeper. Lock-free after sl_native_load. */
unsigned sl_native_capture(uint64_t *out, unsigned depth, bool *truncated) __attribute__((visibility("hidden")));

#endif
