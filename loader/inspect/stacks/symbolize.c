/* Native frames to function, file and line with elfutils' libdwfl, when the
 * recording is read: the shim only wrote module path + offset + build-id.
 *
 * Each module is reported alone at bias 0 (its own virtual addresses, which
 * is what the recorded offsets are), opened once, and used only when its
 * NT_GNU_BUILD_ID is the recorded one: a rebuilt library at the same path
 * would give wrong names. Separate debug files are found the standard way
 * (/usr/lib/debug/.build-id, .gnu_debuglink). An offset is a return
 * address: the call is at offset - 1. */
#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "callsite.h"

typedef struct sym_module {
    char *path, *build_id; /* the recorded ones (build_id may be NULL) */
    Dwfl *dwfl;            /* NULL: unusable */
    Dwfl_Module *mod;
    const char *why;       /* unusable: the reason (static) */
} sym_module;

struct cs_symbolizer {
    sym_module *mods;
    size_t count, cap;
};

static char *debuginfo_path = NULL;
static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

cs_symbolizer *cs_symbolizer_new(void)
{
    return calloc(1, sizeof(cs_symbolizer));
}

void cs_symbolizer_free(cs_symbolizer *sym)
{
    if (!sym)
        return;
    for (size_t i = 0; i < sym->count; i++) {
        if (sym->mods[i].dwfl)
            dwfl_end(sym->mods[i].dwfl);
        free(sym->mods[i].path);
        free(sym->mods[i].build_id);
    }
    free(sym->mods);
    free(sym);
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The module's build-id as lowercase hex, or "" when it has none. */
static void build_id_hex(Dwfl_Module *mod, char *out, size_t cap)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    Dwarf_Addr bias;
    out[0] = '\0';
    if (!dwfl_module_getelf(mod, &bias))
        return;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    for (int i = 0; i < n && (size_t)(2 * i + 2) < cap; i++)
        snprintf(out + 2 * i, 3, "%02x", bits[i]);
}

static void open_module(sym_module *m)
{
    /* Only a regular file: a FIFO or device named by a recording would block
     * or be read as something it is not. */
    struct stat st;
    if (stat(m->path, &st) != 0) {
        m->why = "no such file here";
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        m->why = "not a regular file";
        return;
    }
    Dwfl *dwfl = dwfl_begin(&offline_callbacks);
    if (!dwfl) {
        m->why = "out of memory";
        return;
    }
    dwfl_report_begin(dwfl);
    Dwfl_Module *mod = dwfl_report_elf(dwfl, m->path, m->path, -1, 0, true);
    dwfl_report_end(dwfl, NULL, NULL);
    if (!mod) {
        dwfl_end(dwfl);
        m->why = "not an ELF file";
        return;
    }
    char hex[256];
    build_id_hex(mod, hex, sizeof hex);
    if (!same_text(m->build_id, hex[0] ? hex : NULL)) {
        dwfl_end(dwfl);
        m->why = m->build_id ? "its build-id differs from the recorded one" : "the recording has no build-id for it";
        return;
    }
    m->dwfl = dwfl;
    m->mod = mod;
}

static sym_module *module_for(cs_symbolizer *sym, const char *path, const char *build_id)
{
    for (size_t i = 0; i < sym->count; i++)
        if (strcmp(sym->mods[i].path, path) == 0 && same_text(sym->mods[i].build_id, build_id))
            return &sym->mods[i];
    if (sym->count == sym->cap) {
        size_t cap = sym->cap ? sym->cap * 2 : 16;
        sym_module *grown = realloc(sym->mods, cap * sizeof *grown);
        if (!grown)
            return NULL;
        sym->mods = grown;
        sym->cap = cap;
    }
    sym_module *m = &sym->mods[sym->count];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    m->build_id = build_id ? strdup(build_id) : NULL;
    if (!m->path || (build_id && !m->build_id)) {
        free(m->path);
        free(m->build_id);
        return NULL;
    }
    sym->count++;
    open_module(m);
    return m;
}

/* C++ names demangled by the C++ runtime's own __cxa_demangle, found at run
 * time: no link to libstdc++, and mangled names stay as they are where it is
 * absent. */
typedef char *(*demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);
static demangle_fn demangler;
static pthread_once_t demangler_once = PTHREAD_ONCE_INIT;

static void find_demangler(void)
{
    void *lib = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
    if (lib)
        *(void **)&demangler = dlsym(lib, "__cxa_demangle");
}

/* The function's name for people: versions dropped ("__libc_start_main@@GLIBC_2.34"), C++ demangled. */
static char *display_name(const char *name)
{
    char *plain = strndup(name, strcspn(name, "@"));
    if (!plain || strncmp(plain, "_Z", 2) != 0)
        return plain;
    pthread_once(&demangler_once, find_demangler);
    int status = -1;
    char *readable = demangler ? demangler(plain, NULL, NULL, &status) : NULL;
    if (!readable || status != 0) {
        free(readable);
        return plain;
    }
    free(plain);
    return readable;
}

static void resolve(sym_module *m, cs_frame *f)
{
    if (f->offset <= 0)
        return;
    Dwarf_Addr addr = (Dwarf_Addr)f->offset - 1;
    GElf_Off off;
    GElf_Sym s;
    const char *name = dwfl_module_addrinfo(m->mod, addr, &off, &s, NULL, NULL, NULL);
    if (name && !f->function)
        f->function = display_name(name);
    Dwfl_Line *line = dwfl_module_getsrc(m->mod, addr);
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (file && !f->file) {
        f->file = strdup(file);
        f->has_line = f->file && lineno > 0;
        f->line = lineno;
    }
}

void cs_symbolize_table(cs_symbolizer *sym, cs_table *t)
{
    for (size_t i = 0; i < t->count; i++) {
        cs_stack *st = &t->stacks[i];
        for (size_t k = st->python_count; k < st->frame_count; k++) {
            cs_frame *f = &st->frames[k];
            if (f->python || !f->module || !f->has_offset)
                continue;
            sym_module *m = module_for(sym, f->module, f->build_id);
            if (m && m->dwfl)
                resolve(m, f);
        }
    }
}

size_t cs_symbolizer_unusable_count(const cs_symbolizer *sym)
{
    size_t n = 0;
    for (size_t i = 0; i < sym->count; i++)
        n += sym->mods[i].dwfl == NULL;
    return n;
}

const char *cs_symbolizer_unusable(const cs_symbolizer *sym, size_t i, const char **why)
{
    for (size_t k = 0; k < sym->count; k++) {
        if (sym->mods[k].dwfl)
            continue;
        if (i-- == 0) {
            *why = sym->mods[k].why;
            return sym->mods[k].path;
        }
    }
    return NULL;
}
