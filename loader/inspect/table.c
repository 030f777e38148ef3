/* Text tables: cells are collected first so that every column is as wide as
 * its widest cell. Widths count bytes, which is what a terminal shows for
 * the ASCII our tables hold (host names and ids are printed as given,
 * control characters escaped by cli_safe_text). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_table {
    size_t columns;
    size_t rows, cap;
    char **cells; /* rows * columns, row-major */
};

cli_table *cli_table_new(size_t columns)
{
    cli_table *t = calloc(1, sizeof *t);
    if (t)
        t->columns = columns ? columns : 1;
    return t;
}

bool cli_table_row(cli_table *t, const char *const *cells)
{
    if (t->rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **grown = realloc(t->cells, cap * t->columns * sizeof *grown);
        if (!grown)
            return false;
        t->cells = grown;
        t->cap = cap;
    }
    char **row = t->cells + t->rows * t->columns;
    for (size_t c = 0; c < t->columns; c++) {
        /* Escaped on the way in, so that widths count what is printed. */
        row[c] = cli_safe_text(cells[c] ? cells[c] : "", false);
        if (!row[c]) {
            while (c-- > 0)
                free(row[c]);
            return false;
        }
    }
    t->rows++;
    return true;
}

void cli_table_print(const cli_table *t, FILE *out, int indent)
{
    size_t *width = calloc(t->columns, sizeof *width);
    if (!width)
        return;
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->columns; c++) {
            size_t n = strlen(t->cells[r * t->columns + c]);
            if (n > width[c])
                width[c] = n;
        }
    for (size_t r = 0; r < t->rows; r++) {
        char *const *row = t->cells + r * t->columns;
        /* The last non-empty cell ends the line: no trailing blanks. */
        size_t last = t->columns;
        while (last > 0 && row[last - 1][0] == '\0')
            last--;
        fprintf(out, "%*s", indent, "");
        for (size_t c = 0; c < last; c++) {
            if (c + 1 < last)
                fprintf(out, "%-*s  ", (int)width[c], row[c]);
            else
                fputs(row[c], out);
        }
        fputc('\n', out);
    }
    free(width);
}

void cli_table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->rows * t->columns; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
