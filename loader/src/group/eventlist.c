/* Events in blocks: appending never moves an event, so pointers handed out
 * while loading stay valid, and freeing is one walk over the blocks. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

stormlog_event *sl_event_list_push(sl_event_list *l)
{
    sl_event_block *b = l->tail;
    if (!b || b->count == b->cap) {
        size_t cap = b ? b->cap * 2 : SL_EVENT_BLOCK_MIN;
        if (cap > SL_EVENT_BLOCK_MAX)
            cap = SL_EVENT_BLOCK_MAX;
        sl_event_block *nb = malloc(sizeof *nb + cap * sizeof(stormlog_event));
        if (!nb)
            return NULL;
        nb->next = NULL;
        nb->count = 0;
        nb->cap = cap;
        if (b)
            b->next = nb;
        else
            l->head = nb;
        l->tail = nb;
        b = nb;
    }
    stormlog_event *ev = &b->ev[b->count++];
    memset(ev, 0, sizeof *ev);
    l->count++;
    return ev;
}

void sl_event_list_pop(sl_event_list *l)
{
    if (l->tail && l->tail->count > 0) {
        l->tail->count--;
        l->count--;
    }
}

void sl_event_list_append(sl_event_list *dst, sl_event_list *src)
{
    if (!src->head)
        return;
    if (dst->tail)
        dst->tail->next = src->head;
    else
        dst->head = src->head;
    dst->tail = src->tail;
    dst->count += src->count;
    src->head = src->tail = NULL;
    src->count = 0;
}

void sl_event_list_free(sl_event_list *l)
{
    sl_event_block *b = l->head;
    while (b) {
        sl_event_block *next = b->next;
        free(b);
        b = next;
    }
    l->head = l->tail = NULL;
    l->count = 0;
}
