/* Text from a recording in an HTML page (report.h): markup characters as
 * entities, and bytes no page should show (control bytes, DEL, C1) as
 * U+FFFD. The page, its charts and the call-site tables all write through
 * here. */
#include <string.h>

#include "report.h"

void html_text_n(FILE *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            /* Control bytes (NUL included: JSON allows it in strings), DEL
             * and C1 (U+0080-U+009F) are not text a page can show, and
             * would reach a terminal that prints the page (-o -). */
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                fputs("&#xFFFD;", out);
            else if (c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 &&
                     (unsigned char)text[i + 1] < 0xa0) {
                fputs("&#xFFFD;", out);
                i++;
            } else
                fputc(c, out);
        }
    }
}

void html_text(FILE *out, const char *text)
{
    if (text)
        html_text_n(out, text, strlen(text));
}
