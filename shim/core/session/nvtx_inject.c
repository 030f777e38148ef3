/* The shim as an NVTX v3 injection library. With NVTX_INJECTION64_PATH
 * naming libstormlog_shim.so (stormlog-run sets it), a program's first NVTX
 * call loads the shim (already loaded when it is preloaded: the same
 * object) and calls InitializeInjectionNvtx2, which hands NVTX our push /
 * pop / start / end for the default domain and for every other domain.
 * Markers, categories, naming and payloads stay NVTX's no-ops.
 *
 * Range names are copied out of the application's memory during the call
 * (phase_stack.c); a registered string is copied once, when registered,
 * and lives as long as the process, as NVTX's handles do. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "config.h"
#include "nvtx_abi.h"
#include "phase_stack.h"

#define NAME_MAX_BYTES 256 /* a range name is cut here (a path holds 127 bytes anyway) */

/* A registered string: the handle NVTX gives back is a pointer to this.
 * All of them stay on one list: memory a process keeps on purpose, never
 * lost (and never reported as a leak). */
typedef struct registered_string {
    struct registered_string *next;
    size_t len;
    char text[];
} registered_string;

static registered_string *_Atomic registered;

static const char unnamed[] = "(unnamed)";

/* UTF-32 (wchar_t on Linux) to UTF-8; invalid code points become U+FFFD. */
static size_t wide_to_utf8(const wchar_t *w, char *out, size_t cap)
{
    size_t n = 0;
    for (; w && *w; w++) {
        uint32_t c = (uint32_t)*w;
        if (c > 0x10FFFFu || (c >= 0xD800u && c <= 0xDFFFu))
            c = 0xFFFDu;
        char b[4];
        size_t k;
        if (c < 0x80u) {
            b[0] = (char)c;
            k = 1;
        } else if (c < 0x800u) {
            b[0] = (char)(0xC0u | (c >> 6));
            b[1] = (char)(0x80u | (c & 0x3Fu));
            k = 2;
        } else if (c < 0x10000u) {
            b[0] = (char)(0xE0u | (c >> 12));
            b[1] = (char)(0x80u | ((c >> 6) & 0x3Fu));
            b[2] = (char)(0x80u | (c & 0x3Fu));
            k = 3;
        } else {
            b[0] = (char)(0xF0u | (c >> 18));
            b[1] = (char)(0x80u | ((c >> 12) & 0x3Fu));
            b[2] = (char)(0x80u | ((c >> 6) & 0x3Fu));
            b[3] = (char)(0x80u | (c & 0x3Fu));
            k = 4;
        }
        if (n + k > cap)
            break;
        memcpy(out + n, b, k);
        n += k;
    }
    return n;
}

static size_t ascii_len(const char *s)
{
    return s ? strnlen(s, NAME_MAX_BYTES) : 0;
}

/* The range's name from event attributes: text, wide text or a registered
 * string. *name points into buf or into memory that outlives the call. */
static size_t attributes_name(const sl_nvtx_event_attributes *a, char *buf, size_t cap, const char **name)
{
    /* Older, smaller attribute structs end before the message. */
    size_t needed = offsetof(sl_nvtx_event_attributes, message) + sizeof a->message;
    if (a == NULL || a->size < needed)
        goto none;
    switch (a->message_type) {
    case SL_NVTX_MESSAGE_ASCII:
        if (!a->message.ascii)
            goto none;
        *name = a->message.ascii;
        return ascii_len(a->message.ascii);
    case SL_NVTX_MESSAGE_UNICODE:
        *name = buf;
        return wide_to_utf8(a->message.unicode, buf, cap);
    case SL_NVTX_MESSAGE_REGISTERED:
        if (!a->message.registered)
            goto none;
        *name = ((const registered_string *)a->message.registered)->text;
        return ((const registered_string *)a->message.registered)->len;
    default:
        break;
    }
none:
    *name = unnamed;
    return sizeof unnamed - 1;
}

/* ---- the default domain (module CORE) -------------------------------------- */

static int push_a(const char *message)
{
    return message ? sl_phase_push(message, ascii_len(message)) : sl_phase_push(unnamed, sizeof unnamed - 1);
}

static int push_w(const wchar_t *message)
{
    char buf[NAME_MAX_BYTES];
    return sl_phase_push(buf, wide_to_utf8(message, buf, sizeof buf));
}

static int push_ex(const sl_nvtx_event_attributes *attributes)
{
    char buf[NAME_MAX_BYTES];
    const char *name;
    size_t len = attributes_name(attributes, buf, sizeof buf, &name);
    return sl_phase_push(name, len);
}

static int pop(void)
{
    return sl_phase_pop();
}

static uint64_t start_a(const char *message)
{
    return message ? sl_phase_range_start(message, ascii_len(message))
                   : sl_phase_range_start(unnamed, sizeof unnamed - 1);
}

static uint64_t start_w(const wchar_t *message)
{
    char buf[NAME_MAX_BYTES];
    return sl_phase_range_start(buf, wide_to_utf8(message, buf, sizeof buf));
}

static uint64_t start_ex(const sl_nvtx_event_attributes *attributes)
{
    char buf[NAME_MAX_BYTES];
    const char *name;
    size_t len = attributes_name(attributes, buf, sizeof buf, &name);
    return sl_phase_range_start(name, len);
}

static void end(uint64_t id)
{
    sl_phase_range_end(id);
}

/* ---- other domains (module CORE2): one stack per thread for all domains -- */

static int domain_push_ex(const void *domain, const sl_nvtx_event_attributes *attributes)
{
    (void)domain;
    return push_ex(attributes);
}

static int domain_pop(const void *domain)
{
    (void)domain;
    return sl_phase_pop();
}

static uint64_t domain_start_ex(const void *domain, const sl_nvtx_event_attributes *attributes)
{
    (void)domain;
    return start_ex(attributes);
}

static void domain_end(const void *domain, uint64_t id)
{
    (void)domain;
    sl_phase_range_end(id);
}

static const void *register_copy(const char *text, size_t len)
{
    registered_string *r = malloc(sizeof *r + len + 1);
    if (!r)
        return NULL; /* NVTX then passes a NULL handle: "(unnamed)" */
    memcpy(r->text, text, len);
    r->text[len] = '\0';
    r->len = len;
    r->next = atomic_load_explicit(&registered, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&registered, &r->next, r, memory_order_release,
                                                  memory_order_relaxed))
        ;
    return r;
}

static const void *domain_register_a(const void *domain, const char *text)
{
    (void)domain;
    return text ? register_copy(text, ascii_len(text)) : NULL;
}

static const void *domain_register_w(const void *domain, const wchar_t *text)
{
    (void)domain;
    char buf[NAME_MAX_BYTES];
    return text ? register_copy(buf, wide_to_utf8(text, buf, sizeof buf)) : NULL;
}

/* ---- attaching ---------------------------------------------------------------- */

typedef struct slot_fill {
    unsigned id;
    sl_nvtx_fn fn;
} slot_fill;

static void fill(const sl_nvtx_export_callbacks *cb, int module, const slot_fill *fills, size_t count)
{
    sl_nvtx_function_table table = NULL;
    unsigned int size = 0;
    if (!cb->get_module_function_table(module, &table, &size) || !table)
        return;
    for (size_t i = 0; i < count; i++)
        if (fills[i].id < size && table[fills[i].id])
            *table[fills[i].id] = fills[i].fn;
}

#define FN(f) ((sl_nvtx_fn)(void (*)(void))(f))

int InitializeInjectionNvtx2(sl_nvtx_get_export_table get_export_table)
{
    if (!get_export_table || sl_config()->disabled)
        return 0; /* NVTX stays a no-op: nothing of ours runs */
    const sl_nvtx_export_callbacks *cb = get_export_table(SL_NVTX_ETID_CALLBACKS);
    if (!cb || cb->struct_size < sizeof *cb || !cb->get_module_function_table)
        return 0;
    const slot_fill core[] = {
        {SL_NVTX_CORE_RANGE_PUSH_A, FN(push_a)},   {SL_NVTX_CORE_RANGE_PUSH_W, FN(push_w)},
        {SL_NVTX_CORE_RANGE_PUSH_EX, FN(push_ex)}, {SL_NVTX_CORE_RANGE_POP, FN(pop)},
        {SL_NVTX_CORE_RANGE_START_A, FN(start_a)}, {SL_NVTX_CORE_RANGE_START_W, FN(start_w)},
        {SL_NVTX_CORE_RANGE_START_EX, FN(start_ex)}, {SL_NVTX_CORE_RANGE_END, FN(end)},
    };
    const slot_fill core2[] = {
        {SL_NVTX_CORE2_DOMAIN_RANGE_PUSH_EX, FN(domain_push_ex)},
        {SL_NVTX_CORE2_DOMAIN_RANGE_POP, FN(domain_pop)},
        {SL_NVTX_CORE2_DOMAIN_RANGE_START_EX, FN(domain_start_ex)},
        {SL_NVTX_CORE2_DOMAIN_RANGE_END, FN(domain_end)},
        {SL_NVTX_CORE2_DOMAIN_REGISTER_STRING_A, FN(domain_register_a)},
        {SL_NVTX_CORE2_DOMAIN_REGISTER_STRING_W, FN(domain_register_w)},
    };
    sl_phase_enable();
    fill(cb, SL_NVTX_MODULE_CORE, core, sizeof core / sizeof *core);
    fill(cb, SL_NVTX_MODULE_CORE2, core2, sizeof core2 / sizeof *core2);
    return 1;
}
