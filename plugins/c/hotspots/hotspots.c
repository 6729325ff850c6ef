/* hotspots: entities ranked by CALLS fan-in + fan-out (C, ABI v1).
 *
 * Candidates: the previous pipeline stage, else the `entity` argument, else every node. Rows: the
 * top `limit` candidates by fan-in + fan-out (ties by fan-in), distance = the sum, detail = "in N, out M".
 * `--min N` drops candidates whose sum is below N (default 1).
 */
#define PT_COLUMNS (PT_WANT_OUT(PT_CALLS) | PT_WANT_IN(PT_CALLS))
#include "pt_plugin.h"

typedef struct { uint32_t node, in, out; } hot_t;

/* Four u32 lanes (GCC / clang vector extensions: wasm simd128 with -msimd128, SSE2 / NEON on the host). */
typedef uint32_t u32x4 __attribute__((vector_size(16)));
static inline u32x4 load4(const uint32_t *p) { u32x4 x; memcpy(&x, p, sizeof x); return x; }
static inline int any4(u32x4 x) {
    uint64_t lo, hi;
    memcpy(&lo, &x, 8);
    memcpy(&hi, (const char *)&x + 8, 8);
    return (lo | hi) != 0;
}

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

/* The top-`k` heap: offer one candidate (heat >= the floor); returns the new floor, the heat a
 * candidate needs from now on (`min` until the heap is full, then the heat of its root). */
typedef struct { hot_t *h; uint32_t n, k, min; } top_t;

static uint32_t offer(top_t *t, uint32_t node, uint32_t in, uint32_t out) {
    hot_t h = {node, in, out};
    if (t->n < t->k) {
        t->h[t->n] = h;
        sift_up(t->h, t->n++);
    } else if (hotter(&h, &t->h[0])) {
        t->h[0] = h;
        sift_down(t->h, t->n, 0);
    }
    return t->n == t->k ? t->h[0].in + t->h[0].out : t->min;
}

int pt_plugin_query(const pt_view *v, const pt_request *req, pt_result *out) {
    uint32_t count = 0;
    const uint32_t *list = req->inputs;
    if (list) count = req->input_count;
    else list = pt_arg_nodes(req, "entity", &count);
    int64_t min = pt_arg_int(req, "min", 1);
    uint32_t k = req->limit, seen = 0;
    top_t top = {(hot_t *)pt_malloc(sizeof(hot_t) * (k ? k : 1)), 0, k, 0};
    if (!top.h) { pt_error(out, "out of memory"); return 1; }
    top.min = min < 1 ? 0 : min > 0xFFFFFFFF ? 0xFFFFFFFF : (uint32_t)min;
    /* A candidate is offered to the heap only if its heat reaches `floor`. Most nodes fail that one
     * well-predicted test, so each scan is a tight loop (counting `seen` is branch-free). */
    uint32_t floor = k ? top.min : 0xFFFFFFFF, least = top.min;
    const uint32_t *in_off = v->in_off[PT_CALLS], *out_off = v->out_off[PT_CALLS];
    if (!list && in_off && out_off) {
        /* The whole graph, four nodes at a time (SIMD in both builds: wasm simd128, SSE2 / NEON natively):
         * node i's degree is off[i + 1] - off[i], so each step reads two overlapping windows of both
         * offset columns; a step whose four heats are all under the floor (nearly every one) ends
         * there, and `seen` is summed lane by lane. */
        const uint32_t nodes = v->node_count;
        u32x4 seen4 = {0, 0, 0, 0}, least4 = {least, least, least, least};
        uint32_t i = 0;
        for (; i + 4 <= nodes; i += 4) {
            u32x4 in = load4(in_off + i + 1) - load4(in_off + i);
            u32x4 outs = load4(out_off + i + 1) - load4(out_off + i);
            u32x4 heat = in + outs, floor4 = {floor, floor, floor, floor};
            seen4 -= (u32x4)(heat >= least4); /* a true lane is all ones: -1 */
            if (!any4((u32x4)(heat >= floor4)) || !k) continue;
            for (uint32_t j = 0; j < 4; j++)
                if (heat[j] >= floor) floor = offer(&top, i + j, in[j], outs[j]);
        }
        seen = seen4[0] + seen4[1] + seen4[2] + seen4[3];
        for (; i < nodes; i++) {
            uint32_t in = in_off[i + 1] - in_off[i], outs = out_off[i + 1] - out_off[i];
            seen += in + outs >= least;
            if (in + outs >= floor && k) floor = offer(&top, i, in, outs);
        }
    } else {
        if (!list) count = v->node_count;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t node = list ? list[i] : i;
            if (node >= v->node_count) continue;
            uint32_t in = in_off ? in_off[node + 1] - in_off[node] : 0;
            uint32_t outs = out_off ? out_off[node + 1] - out_off[node] : 0;
            seen += in + outs >= least;
            if (in + outs >= floor && k) floor = offer(&top, node, in, outs);
        }
    }
    hot_t *hot = top.h;
    uint32_t n = top.n;
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
