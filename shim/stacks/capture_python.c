/* Only the calling thread's own frames, and only while it holds the GIL:
 * PyThreadState_GetFrame may create a frame object and every call here
 * changes reference counts, which the GIL alone makes safe. A thread that
 * released the GIL around a native call (ctypes.CDLL, an extension's
 * Py_BEGIN_ALLOW_THREADS) gets native frames only: reading its frozen
 * frames without the GIL needs the interpreter's private structures, and
 * taking the GIL in a hook could deadlock (its holder may wait on us).
 *
 * Holding the GIL is checked twice: PyGILState_Check (which answers 1 when
 * its check is disabled, as with sub-interpreters) and the thread state
 * holding the GIL being this thread's own. Declarations are our own: the
 * functions' documented signatures, no struct layout.
 *
 * The walk may create frame objects, and creating a GC-tracked object may
 * start a collection, whose finalizers may run Python code that frees GPU
 * memory: inside our hook, where the re-entry guard would let that free
 * pass uncounted. The collector is paused for the walk (PyGC_Disable, 3.10
 * and later) and resumed after it when it was on; a collection then starts
 * at the program's next allocation, as it would have anyway. */
#include "capture_python.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "stack_blob.h"

typedef void *pyobj;

static struct {
    int (*is_initialized)(void);
    int (*gil_check)(void);
    void *(*this_thread_state)(void);
    void *(*gil_holder)(void);
    pyobj (*get_frame)(void *tstate);
    pyobj (*frame_back)(pyobj frame);
    pyobj (*frame_code)(pyobj frame);
    int (*frame_line)(pyobj frame);
    pyobj (*get_attr)(pyobj o, pyobj name);
    pyobj (*intern)(const char *s);
    const char *(*utf8)(pyobj s, ssize_t *size);
    pyobj (*err_occurred)(void);
    void (*err_clear)(void);
    void (*decref)(pyobj o);
    int (*gc_disable)(void);
    int (*gc_enable)(void);
    void (*incref)(pyobj o);
    void *(*interp_of)(void *tstate);
    void *(*main_interp)(void);
    int (*at_exit)(void (*fn)(void));
    pyobj co_filename; /* interned names, made on the first capture */
    pyobj co_name;
} py;
static bool python_ok;

#define FIND(field, name)                                                                                             \
    do {                                                                                                              \
        *(void **)&py.field = dlsym(RTLD_DEFAULT, name);                                                              \
        if (py.field == NULL)                                                                                         \
            return SL_PYTHON_UNSUPPORTED;                                                                             \
    } while (0)

/* 3.9 brought PyFrame_GetBack/GetCode and PyThreadState_GetFrame, 3.10
 * PyGC_Disable; 3.13 renamed the unchecked thread-state getter. Newer than
 * we know: off. */
static bool supported(const char *version)
{
    char *end;
    long major = strtol(version, &end, 10);
    if (*end != '.')
        return false;
    long minor = strtol(end + 1, &end, 10);
    return major == 3 && minor >= 10 && minor <= 13;
}

sl_python_load_status sl_python_load(const char **version)
{
    const char *(*get_version)(void);
    *(void **)&get_version = dlsym(RTLD_DEFAULT, "Py_GetVersion");
    *version = NULL;
    if (get_version == NULL)
        return SL_PYTHON_ABSENT;
    *version = get_version();
    if (*version == NULL || !supported(*version))
        return SL_PYTHON_UNSUPPORTED;
    FIND(is_initialized, "Py_IsInitialized");
    FIND(gil_check, "PyGILState_Check");
    FIND(this_thread_state, "PyGILState_GetThisThreadState");
    *(void **)&py.gil_holder = dlsym(RTLD_DEFAULT, "PyThreadState_GetUnchecked");
    if (py.gil_holder == NULL)
        FIND(gil_holder, "_PyThreadState_UncheckedGet");
    FIND(get_frame, "PyThreadState_GetFrame");
    FIND(frame_back, "PyFrame_GetBack");
    FIND(frame_code, "PyFrame_GetCode");
    FIND(frame_line, "PyFrame_GetLineNumber");
    FIND(get_attr, "PyObject_GetAttr");
    FIND(intern, "PyUnicode_InternFromString");
    FIND(utf8, "PyUnicode_AsUTF8AndSize");
    FIND(err_occurred, "PyErr_Occurred");
    FIND(err_clear, "PyErr_Clear");
    FIND(decref, "Py_DecRef");
    FIND(gc_disable, "PyGC_Disable");
    FIND(gc_enable, "PyGC_Enable");
    FIND(incref, "Py_IncRef");
    FIND(interp_of, "PyThreadState_GetInterpreter");
    FIND(main_interp, "PyInterpreterState_Main");
    FIND(at_exit, "Py_AtExit");
    python_ok = true;
    return SL_PYTHON_FOUND;
}

/* A str attribute of code as UTF-8, cut to SL_BLOB_NAME_MAX bytes at a
 * character boundary; "" when it cannot be had (the error is cleared: the
 * program never sees one it did not cause). */
static size_t put_name(pyobj code, pyobj attr, unsigned char *out)
{
    pyobj s = py.get_attr(code, attr);
    if (s == NULL) {
        py.err_clear();
        return 0;
    }
    ssize_t n = 0;
    const char *u = py.utf8(s, &n);
    size_t len = 0;
    if (u == NULL) {
        py.err_clear();
    } else {
        len = (size_t)n;
        if (len > SL_BLOB_NAME_MAX) {
            len = SL_BLOB_NAME_MAX;
            while (len > 0 && ((unsigned char)u[len] & 0xC0) == 0x80)
                len--;
        }
        memcpy(out, u, len);
    }
    py.decref(s);
    return len;
}

/* Reading a code object's two names is most of a frame's cost, so they are
 * kept by code object. An entry holds a reference to its code object, so
 * that the address cannot come to mean another one; entries are taken and
 * replaced only by a thread that holds the main interpreter's GIL (objects
 * of another interpreter are never kept: it may end and free them), and a
 * flag keeps two such threads (interpreters with GILs of their own) from
 * sharing the table at once: the loser reads the names itself. The
 * interpreter's end forgets the entries without touching them (Py_AtExit). */
#define NAME_CACHE 128
typedef struct name_entry {
    pyobj code;
    uint16_t file_len, name_len;
    unsigned char file[SL_BLOB_NAME_MAX];
    unsigned char name[SL_BLOB_NAME_MAX];
} name_entry;
static name_entry names[NAME_CACHE];
static _Atomic bool names_busy;
static bool names_registered; /* forget_names is registered; read and set holding names_busy */

static void forget_names(void)
{
    memset(names, 0, sizeof names);
}

/* The frame's file and function at body; returns their lengths. */
static void put_names(pyobj code, bool cached, unsigned char *body, uint16_t *fl, uint16_t *nl)
{
    if (!cached) {
        *fl = (uint16_t)put_name(code, py.co_filename, body);
        *nl = (uint16_t)put_name(code, py.co_name, body + *fl);
        return;
    }
    name_entry *e = &names[((uintptr_t)code >> 4) % NAME_CACHE];
    if (e->code != code) {
        size_t f = put_name(code, py.co_filename, e->file);
        size_t n = put_name(code, py.co_name, e->name);
        py.incref(code);
        if (e->code != NULL)
            py.decref(e->code);
        e->code = code;
        e->file_len = (uint16_t)f;
        e->name_len = (uint16_t)n;
    }
    memcpy(body, e->file, e->file_len);
    memcpy(body + e->file_len, e->name, e->name_len);
    *fl = e->file_len;
    *nl = e->name_len;
}

size_t sl_python_capture(unsigned char *out, size_t cap, unsigned depth, unsigned *frames, bool *truncated)
{
    *frames = 0;
    *truncated = false;
    if (!python_ok || !py.is_initialized())
        return 0;
    void *self = py.this_thread_state();
    if (self == NULL || !py.gil_check() || py.gil_holder() != self)
        return 0;
    /* An exception being raised or handled in C: calling into the API now
     * could clear or replace it. */
    if (py.err_occurred() != NULL)
        return 0;
    if (py.co_filename == NULL) {
        py.co_filename = py.intern("co_filename");
        py.co_name = py.intern("co_name");
        if (py.co_filename == NULL || py.co_name == NULL) {
            py.err_clear();
            python_ok = false; /* the process keeps what it got: tiny, once */
            return 0;
        }
    }
    bool cached = py.interp_of(self) == py.main_interp() &&
                  !atomic_exchange_explicit(&names_busy, true, memory_order_acquire);
    if (cached && !names_registered && !(names_registered = py.at_exit(forget_names) == 0)) {
        atomic_store_explicit(&names_busy, false, memory_order_release);
        cached = false; /* no way to hear of the interpreter's end: keep nothing */
    }
    size_t used = 0;
    int gc_was_on = py.gc_disable();
    pyobj f = py.get_frame(self);
    while (f != NULL) {
        if (*frames == depth || used + SL_BLOB_PY_FRAME_HEADER + 2 * SL_BLOB_NAME_MAX > cap) {
            *truncated = true;
            py.decref(f);
            break;
        }
        int32_t line = py.frame_line(f);
        pyobj code = py.frame_code(f);
        uint16_t fl = 0, nl = 0;
        unsigned char *body = out + used + SL_BLOB_PY_FRAME_HEADER;
        if (code != NULL) {
            put_names(code, cached, body, &fl, &nl);
            py.decref(code);
        }
        memcpy(out + used, &line, 4);
        memcpy(out + used + 4, &fl, 2);
        memcpy(out + used + 6, &nl, 2);
        used += SL_BLOB_PY_FRAME_HEADER + fl + nl;
        (*frames)++;
        pyobj back = py.frame_back(f);
        py.decref(f);
        f = back;
    }
    if (gc_was_on)
        py.gc_enable();
    if (cached)
        atomic_store_explicit(&names_busy, false, memory_order_release);
    return used;
}
