/* src/agents/actions.c - the growable list of order requests an agent
 * returns at a decision. Reused across decisions, so it allocates only
 * when an agent asks for more orders than ever before. */
#include <stdlib.h>
#include <string.h>
#include "arena/agent.h"

ar_err ar_actions_push(ar_actions *a, const ar_order_req *r) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        ar_order_req *v = realloc(a->v, cap * sizeof *v);
        if (v == NULL) return AR_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = *r;
    return AR_OK;
}

void ar_actions_clear(ar_actions *a) {
    a->n = 0;
    a->status = 0;
    a->reason = 0;
}

void ar_actions_cleanup(ar_actions *a) {
    free(a->v);
    memset(a, 0, sizeof *a);
}
