/* For code on the dlsym hook's path: it runs before sanitiser interceptors
 * exist (a constructor ahead of ours, a sanitiser's own start-up) and while
 * other libraries hold their locks, so it is neither instrumented nor
 * inlined into code that is. */
#ifndef STORMLOG_SHIM_UNINSTRUMENTED_H
#define STORMLOG_SHIM_UNINSTRUMENTED_H

#include <stdbool.h>

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#define SL_UNINSTRUMENTED __attribute__((no_sanitize("address", "thread", "undefined"), noinline))
#else
#define SL_UNINSTRUMENTED __attribute__((noinline))
#endif

/* strcmp(a, b) == 0 without libc. */
bool sl_same_name(const char *a, const char *b) __attribute__((visibility("hidden")));

#endif
