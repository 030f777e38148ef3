/* A step series reduced to one bucket per pixel column. Ten million events
 * drawn as ten million path segments would make a report nobody can open;
 * drawn as one vertical stroke per column from the column's lowest to its
 * highest value, they cost a few bytes per column and lose no peak. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

bool ds_init(ds_series *s, int64_t t0, int64_t t1, size_t columns)
{
    memset(s, 0, sizeof *s);
    if (columns == 0 || t1 < t0)
        return false;
    s->t0 = t0;
    s->t1 = t1;
    s->columns = columns;
    s->col = malloc(columns * sizeof *s->col);
    s->has = calloc(columns, 1);
    if (!s->col || !s->has) {
        ds_free(s);
        return false;
    }
    return true;
}

void ds_free(ds_series *s)
{
    free(s->col);
    free(s->has);
    memset(s, 0, sizeof *s);
}

size_t ds_column_of(const ds_series *s, int64_t ts)
{
    if (ts <= s->t0)
        return 0;
    if (ts >= s->t1)
        return s->columns - 1;
    /* The span is split into `columns` equal parts, t1 inside the last one.
     * 128-bit arithmetic: a span of days in nanoseconds times a thousand
     * columns overflows 64 bits, and doubles would misplace boundaries. */
    unsigned __int128 offset = (unsigned __int128)(uint64_t)(ts - s->t0);
    unsigned __int128 span = (unsigned __int128)(uint64_t)(s->t1 - s->t0) + 1u;
    size_t c = (size_t)(offset * s->columns / span);
    return c < s->columns ? c : s->columns - 1;
}

void ds_add(ds_series *s, int64_t ts, int64_t value)
{
    size_t c = ds_column_of(s, ts);
    ds_column *col = &s->col[c];
    if (!s->has[c]) {
        s->has[c] = 1;
        col->first = col->min = col->max = col->last = value;
    } else {
        if (value < col->min)
            col->min = value;
        if (value > col->max)
            col->max = value;
        col->last = value;
    }
    s->values++;
}
