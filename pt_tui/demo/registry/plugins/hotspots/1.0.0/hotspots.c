/* hotspots: entities ranked by CALLS fan-in + fan-out (C, ABI v1).
 *
 * Candidates: the previous pipeline stage, else the `entity` argument, else every node. Rows: the
 * top `limit` candidates by fan-in + fan-out (ties by fan-in), distance = the sum, detail = "in N, out M".
 * `--min N` drops candidates whose sum is below N (default 1).
 */
#define PT_COLUMNS (PT_WANT_OUT(PT_CALLS) | PT_WANT_IN(PT_CALLS))
#include "pt_plugin.h"

typedef struct { uint32_t node, in, out; } hot_t;

static int by_heat(const void *a, const void *b) {
    const hot_t *x = (const hot_t *)a, *y = (const hot_t *)b;
    uint32_t hx = x->in + x->out, hy = y->in + y->out;
    if (hx != hy) return hx > hy ? -1 : 1;
    if (x->in != y->in) return x->in > y->in ? -1 : 1;
    return x->node < y->node ? -1 : (x->node > y->node);
}

int pt_plugin_query(const pt_view *v, const pt_request *req, pt_result *out) {
    uint32_t count = 0;
    const uint32_t *list = req->inputs;
    if (list) count = req->input_count;
    else list = pt_arg_nodes(req, "entity", &count);
    if (!list) count = v->node_count;
    int64_t min = pt_arg_int(req, "min", 1);
    hot_t *hot = (hot_t *)malloc(sizeof(hot_t) * (count ? count : 1));
    if (!hot) { pt_error(out, "out of memory"); return 1; }
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t node = list ? list[i] : i, in, outs;
        if (node >= v->node_count) continue;
        pt_in(v, PT_CALLS, node, &in);
        pt_out(v, PT_CALLS, node, &outs);
        if ((int64_t)(in + outs) < min) continue;
        hot[n].node = node;
        hot[n].in = in;
        hot[n].out = outs;
        n++;
    }
    qsort(hot, n, sizeof(hot_t), by_heat);
    if (n > req->limit) {
        char note[64] = "showing the top ";
        uint32_t len = 16;
        len += pt_fmt_int(note + len, req->limit);
        memcpy(note + len, " of ", 4);
        len += 4;
        len += pt_fmt_int(note + len, n);
        pt_note(out, note, len);
        n = req->limit;
    }
    for (uint32_t i = 0; i < n; i++) {
        char detail[48] = "in ";
        uint32_t len = 3;
        len += pt_fmt_int(detail + len, hot[i].in);
        memcpy(detail + len, ", out ", 6);
        len += 6;
        len += pt_fmt_int(detail + len, hot[i].out);
        pt_row(out, hot[i].node, (int32_t)(hot[i].in + hot[i].out), "CALLS", 5, detail, len);
    }
    free(hot);
    return 0;
}
