/* Python's text rules for severities and collector statuses: str.strip()
 * and str.lower() over full Unicode, then the reference's token rewriting
 * (re on str: \d is Unicode Nd, \w alphanumeric or "_", \s isspace). */
#include "rollups_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/internal.h"
#include "../src/convert/pytext.h"
#include "unicase.h"

typedef struct cps {
    uint32_t *v;
    size_t n, cap;
} cps;

static bool cps_push(cps *c, uint32_t cp)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        uint32_t *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return false;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = cp;
    return true;
}

static bool push_ascii(cps *c, const char *s)
{
    for (; *s; s++)
        if (!cps_push(c, (unsigned char)*s))
            return false;
    return true;
}

static bool is_word(uint32_t cp) { return cp == '_' || sl_unicase_isalnum(cp); }
static bool is_dec(uint32_t cp) { return sl_unicode_isdigit(cp) == 1; }

/* strip + lower into out (code points). */
static bool strip_lower(const char *s, size_t len, cps *out)
{
    sl_py_strip(&s, &len);
    cps raw = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < len;) {
        size_t adv;
        uint32_t cp = sl_utf8_decode(s + i, len - i, &adv);
        i += adv;
        ok = cps_push(&raw, cp);
    }
    for (size_t i = 0; ok && i < raw.n; i++) {
        uint32_t cp = raw.v[i];
        if (cp == 0x130) { /* İ lowers to i + combining dot */
            ok = cps_push(out, 'i') && cps_push(out, 0x307);
            continue;
        }
        if (cp == 0x3A3) { /* final sigma: after a letter and not before one */
            bool after = i > 0 && sl_unicase_isalnum(raw.v[i - 1]);
            bool before = i + 1 < raw.n && sl_unicase_isalnum(raw.v[i + 1]);
            ok = cps_push(out, after && !before ? 0x3C2 : 0x3C3);
            continue;
        }
        if (cp < 0x80)
            ok = cps_push(out, cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        else
            ok = cps_push(out, sl_unicase_lower1(cp));
    }
    free(raw.v);
    return ok;
}

static bool is_hex(uint32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'f') || (cp >= 'A' && cp <= 'F');
}

/* 0x[0-9a-fA-F]+ -> <hex> */
static bool replace_hex(const cps *in, cps *out)
{
    bool ok = true;
    for (size_t i = 0; ok && i < in->n;) {
        if (in->v[i] == '0' && i + 2 < in->n + 0 && in->v[i + 1] == 'x' && is_hex(in->v[i + 2])) {
            size_t j = i + 2;
            while (j < in->n && is_hex(in->v[j]))
                j++;
            ok = push_ascii(out, "<hex>");
            i = j;
            continue;
        }
        ok = cps_push(out, in->v[i++]);
    }
    return ok;
}

/* (?<!\w)\d+(?:\.\d+)?%?(?!\w) -> <num>; returns the match end or 0. Only
 * the longest digit runs can be followed by a non-word character, so the
 * candidates in the regex's order of preference are few. */
static size_t num_match(const cps *t, size_t i)
{
    if (i > 0 && is_word(t->v[i - 1]))
        return 0;
    size_t j = i;
    while (j < t->n && is_dec(t->v[j]))
        j++;
    if (j == i)
        return 0;
    size_t ends[4];
    size_t ne = 0;
    if (j + 1 < t->n && t->v[j] == '.' && is_dec(t->v[j + 1])) {
        size_t k = j + 1;
        while (k < t->n && is_dec(t->v[k]))
            k++;
        if (k < t->n && t->v[k] == '%')
            ends[ne++] = k + 1;
        ends[ne++] = k;
    }
    if (j < t->n && t->v[j] == '%')
        ends[ne++] = j + 1;
    ends[ne++] = j;
    for (size_t c = 0; c < ne; c++)
        if (ends[c] >= t->n || !is_word(t->v[ends[c]]))
            return ends[c];
    return 0;
}

static bool replace_num(const cps *in, cps *out)
{
    bool ok = true;
    for (size_t i = 0; ok && i < in->n;) {
        size_t end = is_dec(in->v[i]) ? num_match(in, i) : 0;
        if (end) {
            ok = push_ascii(out, "<num>");
            i = end;
            continue;
        }
        ok = cps_push(out, in->v[i++]);
    }
    return ok;
}

static char *to_utf8(const cps *c, size_t *out_len)
{
    char *s = malloc(c->n * 4 + 1);
    if (!s)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        uint32_t cp = c->v[i];
        if (cp < 0x80) {
            s[n++] = (char)cp;
        } else if (cp < 0x800) {
            s[n++] = (char)(0xC0 | (cp >> 6));
            s[n++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s[n++] = (char)(0xE0 | (cp >> 12));
            s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            s[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            s[n++] = (char)(0xF0 | (cp >> 18));
            s[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            s[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    s[n] = '\0';
    *out_len = n;
    return s;
}

char *rollup_strip_lower(const char *s, size_t len, size_t *out_len)
{
    cps a = {0};
    char *r = strip_lower(s, len, &a) ? to_utf8(&a, out_len) : NULL;
    free(a.v);
    return r;
}

char *rollup_normalize_text(const char *s, size_t len, size_t *out_len)
{
    cps a = {0}, b = {0}, c = {0}, d = {0};
    char *r = NULL;
    if (strip_lower(s, len, &a) && replace_hex(&a, &b) && replace_num(&b, &c)) {
        bool ok = true;
        for (size_t i = 0; ok && i < c.n;) {
            if (sl_py_isspace(c.v[i])) {
                while (i < c.n && sl_py_isspace(c.v[i]))
                    i++;
                ok = cps_push(&d, ' ');
                continue;
            }
            ok = cps_push(&d, c.v[i++]);
        }
        if (ok) {
            if (d.n == 0) {
                cps u = {0};
                if (push_ascii(&u, "unknown"))
                    r = to_utf8(&u, out_len);
                free(u.v);
            } else {
                r = to_utf8(&d, out_len);
            }
        }
    }
    free(a.v);
    free(b.v);
    free(c.v);
    free(d.v);
    return r;
}

static bool keep(char **slot, size_t *cap, char *s)
{
    (void)cap;
    free(*slot);
    *slot = s;
    return s != NULL;
}

static bool str_eq(const char *s, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(s, lit, len) == 0;
}

bool rollup_event_view(const stormlog_event *ev, rollup_text_scratch *sc, sl_rollup_event *out)
{
    memset(out, 0, sizeof *out);
    out->timestamp_ns = stormlog_event_timestamp_ns(ev);
    stormlog_event_int(ev, STORMLOG_RANK, &out->rank);
    stormlog_event_int(ev, STORMLOG_LOCAL_RANK, &out->local_rank);
    stormlog_event_int(ev, STORMLOG_WORLD_SIZE, &out->world_size);
    stormlog_event_int(ev, STORMLOG_DEVICE_ID, &out->device_id);
    stormlog_event_int(ev, STORMLOG_ALLOCATOR_ALLOCATED_BYTES, &out->counter[SL_RC_ALLOCATED]);
    stormlog_event_int(ev, STORMLOG_ALLOCATOR_RESERVED_BYTES, &out->counter[SL_RC_RESERVED]);
    stormlog_event_int(ev, STORMLOG_DEVICE_USED_BYTES, &out->counter[SL_RC_USED]);
    const char *type = stormlog_event_type(ev);
    size_t tlen = strlen(type);
    out->event_type = type;
    out->event_type_len = tlen;
    out->is_sample = str_eq(type, tlen, "sample");
    bool is_error = str_eq(type, tlen, "error");
    if (str_eq(type, tlen, "collector_degraded"))
        out->transition = SL_ROLLUP_DEGRADED;
    else if (str_eq(type, tlen, "collector_recovered"))
        out->transition = SL_ROLLUP_RECOVERED;
    bool type_alert = is_error || str_eq(type, tlen, "warning") || str_eq(type, tlen, "critical");

    /* Most events carry none of the keys that matter: skip parsing them. */
    size_t mlen = 0;
    const char *mtext = stormlog_event_metadata_text(ev, &mlen);
    bool maybe = mtext && (memmem(mtext, mlen, "severity", 8) || memmem(mtext, mlen, "oom_", 4) ||
                           memmem(mtext, mlen, "collector_health_status", 23) || memmem(mtext, mlen, "\\u", 2));
    json_object *meta = maybe ? stormlog_event_metadata_json(ev) : NULL;
    json_object *v;
    const char *sev_text = NULL;
    size_t sev_len = 0;
    bool sev_nonblank = false;
    if (meta && json_object_object_get_ex(meta, "severity", &v) && json_object_is_type(v, json_type_string)) {
        sev_text = json_object_get_string(v);
        sev_len = (size_t)json_object_get_string_len(v);
        sev_nonblank = !sl_py_is_blank(sev_text, sev_len);
    }
    bool ok = true;
    char *norm = NULL;
    size_t norm_len = 0;
    if (sev_nonblank) {
        norm = rollup_normalize_text(sev_text, sev_len, &norm_len);
        ok = norm != NULL;
    }
    bool sev_alert = norm && (str_eq(norm, norm_len, "warning") || str_eq(norm, norm_len, "critical") ||
                              str_eq(norm, norm_len, "error"));
    out->is_alert = type_alert || sev_alert;
    if (out->is_alert) {
        if (norm) {
            ok &= keep(&sc->severity, &sc->severity_cap, norm);
            norm = NULL;
            out->severity = sc->severity;
            out->severity_len = norm_len;
        } else {
            out->severity = is_error || str_eq(type, tlen, "critical") ? "critical"
                            : str_eq(type, tlen, "warning")            ? "warning"
                                                                       : "info";
            out->severity_len = strlen(out->severity);
        }
    }
    free(norm);
    if (meta && is_error) {
        json_object *path = NULL;
        bool has_path = json_object_object_get_ex(meta, "oom_dump_path", &path);
        out->is_oom_marker = has_path || json_object_object_get_ex(meta, "oom_reason", &v);
        if (out->is_oom_marker && has_path && json_object_is_type(path, json_type_string)) {
            const char *p = json_object_get_string(path);
            size_t plen = (size_t)json_object_get_string_len(path);
            if (!sl_py_is_blank(p, plen)) {
                char *copy = malloc(plen + 1);
                ok &= keep(&sc->dump_path, &sc->dump_path_cap, copy);
                if (copy) {
                    memcpy(copy, p, plen);
                    copy[plen] = '\0';
                    out->oom_dump_path = copy;
                    out->oom_dump_path_len = plen;
                }
            }
        }
    }
    if (meta && out->transition == SL_ROLLUP_NO_TRANSITION &&
        json_object_object_get_ex(meta, "collector_health_status", &v) && json_object_is_type(v, json_type_string) &&
        !sl_py_is_blank(json_object_get_string(v), (size_t)json_object_get_string_len(v))) {
        size_t hl = 0;
        char *h = rollup_strip_lower(json_object_get_string(v), (size_t)json_object_get_string_len(v), &hl);
        ok &= keep(&sc->health, &sc->health_cap, h);
        if (h) {
            out->health_status = h;
            out->health_status_len = hl;
        }
    }
    json_object_put(meta);
    return ok;
}

void rollup_text_scratch_free(rollup_text_scratch *sc)
{
    free(sc->severity);
    free(sc->health);
    free(sc->dump_path);
    memset(sc, 0, sizeof *sc);
}
