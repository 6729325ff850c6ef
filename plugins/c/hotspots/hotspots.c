/* hotspots: entities ranked by CALLS fan-in + fan-out (C, ABI v1).
 *
 * Candidates: the previous pipeline stage, else the `entity` argument, else every node. Rows: the
 * top `limit` candidates by fan-in + fan-out (ties by fan-in), distance = the sum, detail = "in N, out M".
 * `--min N` drops candidates whose sum is below N (default 1).
 */
#define PT_COLUMNS (PT_WANT_OUT(PT_CALLS) | PT_WANT_IN(PT_CALLS))
#include "pt_plugin.h"

typedef struct { uint32_t node, in, out; } hot_t;

/* x ranks before y: hotter, then more callers, then earlier in the view. */
static int hotter(const hot_t *x, const hot_t *y) {
    uint32_t hx = x->in + x->out, hy = y->in + y->out;
    if (hx != hy) return hx > hy;
    if (x->in != y->in) return x->in > y->in;
    return x->node < y->node;
}

/* A binary heap of the best `k` so far, its root the weakest of them: O(n log k) for the top k. */
static void sift_down(hot_t *h, uint32_t n, uint32_t i) {
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && hotter(&h[m], &h[l])) m = l;
        if (r < n && hotter(&h[m], &h[r])) m = r;
        if (m == i) return;
        hot_t t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

static void sift_up(hot_t *h, uint32_t i) {
    while (i) {
        uint32_t parent = (i - 1) / 2;
        if (!hotter(&h[parent], &h[i])) return;
        hot_t t = h[i]; h[i] = h[parent]; h[parent] = t;
        i = parent;
    }
}

int pt_plugin_query(const pt_view *v, const pt_request *req, pt_result *out) {
    uint32_t count = 0;
    const uint32_t *list = req->inputs;
    if (list) count = req->input_count;
    else list = pt_arg_nodes(req, "entity", &count);
    if (!list) count = v->node_count;
    int64_t min = pt_arg_int(req, "min", 1);
    uint32_t k = req->limit, n = 0, seen = 0;
    hot_t *hot = (hot_t *)pt_malloc(sizeof(hot_t) * (k ? k : 1));
    if (!hot) { pt_error(out, "out of memory"); return 1; }
    /* the CSR offsets, hoisted: stores into the heap could alias them for the compiler */
    const uint32_t *in_off = v->in_off[PT_CALLS], *out_off = v->out_off[PT_CALLS];
    uint32_t weakest = 0; /* heat of the heap's root once the heap is full */
    for (uint32_t i = 0; i < count; i++) {
        hot_t h;
        h.node = list ? list[i] : i;
        if (h.node >= v->node_count) continue;
        h.in = in_off ? in_off[h.node + 1] - in_off[h.node] : 0;
        h.out = out_off ? out_off[h.node + 1] - out_off[h.node] : 0;
        uint32_t heat = h.in + h.out;
        if ((int64_t)heat < min) continue;
        seen++;
        if (n < k) {
            hot[n] = h;
            sift_up(hot, n++);
        } else if (k && heat >= weakest && hotter(&h, &hot[0])) {
            hot[0] = h;
            sift_down(hot, n, 0);
        } else {
            continue;
        }
        if (n == k) weakest = hot[0].in + hot[0].out;
    }
    /* pop the weakest first: fills the array from the back, best first */
    for (uint32_t end = n; end > 1; end--) {
        hot_t t = hot[0]; hot[0] = hot[end - 1]; hot[end - 1] = t;
        sift_down(hot, end - 1, 0);
    }
    if (seen > n) {
        char note[64] = "showing the top ";
        uint32_t len = 16;
        len += pt_fmt_int(note + len, req->limit);
        memcpy(note + len, " of ", 4);
        len += 4;
        len += pt_fmt_int(note + len, seen);
        pt_note(out, note, len);
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
    pt_release(hot);
    return 0;
}
