/* Python frames of the calling thread, through CPython's public C API found
 * at run time (the shim links nothing but libc and runs unchanged where
 * there is no interpreter). */
#ifndef STORMLOG_SHIM_STACKS_CAPTURE_PYTHON_H
#define STORMLOG_SHIM_STACKS_CAPTURE_PYTHON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sl_python_load_status {
    SL_PYTHON_FOUND = 0,
    SL_PYTHON_ABSENT,      /* no interpreter in the process: nothing to say */
    SL_PYTHON_UNSUPPORTED, /* an interpreter we do not support (version, missing function) */
} sl_python_load_status;

/* Library constructor only (dlsym takes the loader's lock). *version gets
 * the interpreter's version string when there is one. */
sl_python_load_status sl_python_load(const char **version) __attribute__((visibility("hidden")));
/* Appends the frames (sl_blob layout, stack_blob.h) at out[0..cap) when this
 * thread holds the GIL; returns the bytes written and sets *frames and
 * *truncated. 0 frames when the thread does not hold the GIL, never ran
 * Python or the interpreter is not running. */
size_t sl_python_capture(unsigned char *out, size_t cap, unsigned depth, unsigned *frames, bool *truncated)
    __attribute__((visibility("hidden")));

#endif
