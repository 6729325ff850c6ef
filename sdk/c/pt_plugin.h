/* pt_plugin.h - the pt-tui plugin SDK for C (ABI v1, header-only). See docs/plugin-abi.md.
 *
 * One source, two builds:
 *   wasm:   clang --target=wasm32 -nostdlib -mbulk-memory -msimd128 -O2 -Wl,--no-entry -Wl,--strip-all
 *           -I sdk/c plugin.c -o plugin.wasm                          (no libc, no imports)
 *   host:   cc -O2 -shared -fPIC -I sdk/c plugin.c -o libplugin.so   (the promoted native build)
 *
 * A plugin includes this header once and defines
 *     int pt_plugin_query(const pt_view *view, const pt_request *req, pt_result *out);
 * (return 0, or call pt_error() and return 1) and, for a context plugin, defines PT_CONTEXT before the
 * include and writes the text with pt_text(). Define PT_COLUMNS (a mask of PT_WANT_* bits) before the
 * include to receive only the columns it reads; the default is all of them.
 *
 * The header defines the exports the host calls: pt_alloc, pt_free, pt_columns and pt_query (or
 * pt_context). Scratch memory for one query: pt_malloc / pt_realloc / pt_release. In the wasm build
 * they use a built-in allocator (a stack for what the host allocates - it frees newest first - and
 * an arena above it, reset at the start of every query), so the module needs no libc and stays a
 * few KB (fast to compile); in the host build they are libc's malloc / realloc / free. Define
 * PT_USE_LIBC to use libc in the wasm build too (then build with --target=wasm32-wasi -mexec-model=
 * reactor -nostartfiles: wasi-libc's malloc adds ~15 KB).
 */
#ifndef PT_PLUGIN_H
#define PT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__) && !defined(PT_USE_LIBC)
#define PT_FREESTANDING 1
/* What the compiler may call: with -mbulk-memory these lower to memory.copy / memory.fill. */
void *memcpy(void *dst, const void *src, size_t n) { __builtin_memcpy(dst, src, n); return dst; }
void *memmove(void *dst, const void *src, size_t n) { __builtin_memmove(dst, src, n); return dst; }
void *memset(void *dst, int c, size_t n) { __builtin_memset(dst, c, n); return dst; }
static inline int pt_memeq(const void *a, const void *b, size_t n) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return 0;
    return 1;
}
static inline size_t pt_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

extern unsigned char __heap_base;
static uintptr_t pt_top_, pt_arena_, pt_last_;

static inline int pt_reserve_(uintptr_t end) {
    uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end <= have) return 1;
    return __builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) != (size_t)-1;
}
static inline void pt_init_(void) {
    if (!pt_top_) pt_top_ = ((uintptr_t)&__heap_base + 7u) & ~(uintptr_t)7u;
}
static inline void *pt_bump_(uintptr_t *top, size_t n) {
    uintptr_t p = (*top + 7u) & ~(uintptr_t)7u, end = p + n;
    if (end < p || !pt_reserve_(end)) return NULL;
    *top = end;
    return (void *)p;
}
/* Scratch memory for this query (all of it is dropped when the next query starts). */
static inline void *pt_malloc(size_t n) {
    void *p = pt_bump_(&pt_arena_, n);
    if (p) pt_last_ = (uintptr_t)p;
    return p;
}
static inline void *pt_realloc(void *old, size_t old_n, size_t n) {
    if (old && (uintptr_t)old == pt_last_) { /* the newest block grows in place */
        if (!pt_reserve_(pt_last_ + n)) return NULL;
        pt_arena_ = pt_last_ + n;
        return old;
    }
    void *p = pt_malloc(n);
    if (p && old) memcpy(p, old, old_n < n ? old_n : n);
    return p;
}
static inline void pt_release(void *p) { (void)p; }
#else
#include <stdlib.h>
#include <string.h>
#define pt_memeq(a, b, n) (memcmp((a), (b), (n)) == 0)
#define pt_strlen strlen
static inline void *pt_malloc(size_t n) { return malloc(n ? n : 1); }
static inline void *pt_realloc(void *old, size_t old_n, size_t n) { (void)old_n; return realloc(old, n); }
static inline void pt_release(void *p) { free(p); }
#endif

#if defined(__wasm__)
#define PT_EXPORT_(name) __attribute__((export_name(#name))) __attribute__((used))
#else
#define PT_EXPORT_(name) __attribute__((visibility("default"))) __attribute__((used))
#endif
#define PT_EXPORT(name) PT_EXPORT_(name)

/* -- view columns and masks ------------------------------------------------------------------ */
enum {
    PT_COL_KIND = 1, PT_COL_VISIBILITY = 2, PT_COL_LANGUAGE = 3, PT_COL_NAME = 4, PT_COL_QUALNAME = 5,
    PT_COL_FILE = 6, PT_COL_FILE_PATH = 7, PT_COL_LINES = 8, PT_COL_PARENT = 9, PT_COL_NAME_STRINGS = 15,
    PT_COL_QUALNAME_STRINGS = 16, PT_COL_FILE_STRINGS = 17,
    PT_COL_EDGES = 0x100
};
enum { PT_CALLS = 0, PT_IMPLEMENTS = 1, PT_USES = 2, PT_CONTAINS = 3, PT_IMPORTS = 4 };
enum {
    PT_KIND_MODULE, PT_KIND_FUNCTION, PT_KIND_METHOD, PT_KIND_CLASS, PT_KIND_STRUCT, PT_KIND_ENUM,
    PT_KIND_UNION, PT_KIND_TRAIT, PT_KIND_IMPL, PT_KIND_TYPE_ALIAS, PT_KIND_CONST, PT_KIND_STATIC,
    PT_KIND_MACRO, PT_KIND_LAMBDA
};
#define PT_WANT_KIND ((int64_t)1 << 0)
#define PT_WANT_VISIBILITY ((int64_t)1 << 1)
#define PT_WANT_LANGUAGE ((int64_t)1 << 2)
#define PT_WANT_NAME ((int64_t)1 << 3)
#define PT_WANT_QUALNAME ((int64_t)1 << 4)
#define PT_WANT_FILE ((int64_t)1 << 5)
#define PT_WANT_LINES ((int64_t)1 << 6)
#define PT_WANT_PARENT ((int64_t)1 << 7)
#define PT_WANT_OUT(k) ((int64_t)1 << (8 + (k)))
#define PT_WANT_IN(k) ((int64_t)1 << (16 + (k)))
#define PT_WANT_ALL ((int64_t)0x1F1FFF)
#define PT_NO_NODE 0xFFFFFFFFu
#define PT_NO_DISTANCE INT32_MIN

static inline uint32_t pt_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t pt_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

typedef struct {
    const uint8_t *base;
    uint32_t len, node_count, file_count, column_count;
    const uint8_t *kind, *visibility, *language, *name_strings, *qualname_strings, *file_strings;
    const uint32_t *name, *qualname, *file, *file_path, *lines, *parent;
    const uint32_t *out_off[5], *out_dst[5], *in_off[5], *in_src[5];
} pt_view;

/* The column with this id (NULL if the view lacks it); *count gets its element count. */
static inline const void *pt_view_column(const pt_view *v, uint32_t id, uint32_t *count) {
    for (uint32_t i = 0; v->base && i < v->column_count; i++) {
        const uint8_t *e = v->base + 32 + 16 * i;
        if (pt_u32(e) == id) {
            if (count) *count = pt_u32(e + 12);
            return v->base + pt_u32(e + 4);
        }
    }
    if (count) *count = 0;
    return NULL;
}

static inline void pt_view_open(pt_view *v, const uint8_t *base, uint32_t len) {
    memset(v, 0, sizeof *v);
    if (!base || len < 32 || !pt_memeq(base, "PTGV", 4)) return;
    v->base = base;
    v->len = len;
    v->node_count = pt_u32(base + 8);
    v->file_count = pt_u32(base + 12);
    v->column_count = pt_u32(base + 16);
    v->kind = (const uint8_t *)pt_view_column(v, PT_COL_KIND, NULL);
    v->visibility = (const uint8_t *)pt_view_column(v, PT_COL_VISIBILITY, NULL);
    v->language = (const uint8_t *)pt_view_column(v, PT_COL_LANGUAGE, NULL);
    v->name_strings = (const uint8_t *)pt_view_column(v, PT_COL_NAME_STRINGS, NULL);
    v->qualname_strings = (const uint8_t *)pt_view_column(v, PT_COL_QUALNAME_STRINGS, NULL);
    v->file_strings = (const uint8_t *)pt_view_column(v, PT_COL_FILE_STRINGS, NULL);
    v->name = (const uint32_t *)pt_view_column(v, PT_COL_NAME, NULL);
    v->qualname = (const uint32_t *)pt_view_column(v, PT_COL_QUALNAME, NULL);
    v->file = (const uint32_t *)pt_view_column(v, PT_COL_FILE, NULL);
    v->file_path = (const uint32_t *)pt_view_column(v, PT_COL_FILE_PATH, NULL);
    v->lines = (const uint32_t *)pt_view_column(v, PT_COL_LINES, NULL);
    v->parent = (const uint32_t *)pt_view_column(v, PT_COL_PARENT, NULL);
    for (uint32_t k = 0; k < 5; k++) {
        v->out_off[k] = (const uint32_t *)pt_view_column(v, PT_COL_EDGES + 4 * k, NULL);
        v->out_dst[k] = (const uint32_t *)pt_view_column(v, PT_COL_EDGES + 4 * k + 1, NULL);
        v->in_off[k] = (const uint32_t *)pt_view_column(v, PT_COL_EDGES + 4 * k + 2, NULL);
        v->in_src[k] = (const uint32_t *)pt_view_column(v, PT_COL_EDGES + 4 * k + 3, NULL);
    }
}

static inline int pt_kind(const pt_view *v, uint32_t i) { return v->kind ? v->kind[i] : -1; }
static inline const char *pt_str(const uint8_t *table, const uint32_t *refs, uint32_t i, uint32_t *len) {
    if (!refs || !table) { *len = 0; return ""; }
    *len = refs[2 * i + 1];
    return (const char *)table + refs[2 * i];
}
static inline const char *pt_name(const pt_view *v, uint32_t i, uint32_t *len) {
    return pt_str(v->name_strings, v->name, i, len);
}
static inline const char *pt_qualname(const pt_view *v, uint32_t i, uint32_t *len) {
    return pt_str(v->qualname_strings, v->qualname, i, len);
}
static inline const char *pt_file(const pt_view *v, uint32_t i, uint32_t *len) {
    if (!v->file) { *len = 0; return ""; }
    return pt_str(v->file_strings, v->file_path, v->file[i], len);
}
static inline uint32_t pt_line(const pt_view *v, uint32_t i) { return v->lines ? v->lines[2 * i] : 0; }
static inline uint32_t pt_end_line(const pt_view *v, uint32_t i) { return v->lines ? v->lines[2 * i + 1] : 0; }
/* Distinct targets (out) or sources (in) of node i's edges of kind k; *n gets how many. */
static inline const uint32_t *pt_out(const pt_view *v, int k, uint32_t i, uint32_t *n) {
    if (!v->out_off[k]) { *n = 0; return NULL; }
    *n = v->out_off[k][i + 1] - v->out_off[k][i];
    return v->out_dst[k] + v->out_off[k][i];
}
static inline const uint32_t *pt_in(const pt_view *v, int k, uint32_t i, uint32_t *n) {
    if (!v->in_off[k]) { *n = 0; return NULL; }
    *n = v->in_off[k][i + 1] - v->in_off[k][i];
    return v->in_src[k] + v->in_off[k][i];
}

/* -- the request ------------------------------------------------------------------------------- */
enum { PT_ARG_NONE = 0, PT_ARG_INT = 1, PT_ARG_TEXT = 2, PT_ARG_NODES = 3, PT_ARG_TEXTS = 4 };

typedef struct {
    uint8_t *base;
    uint32_t len, flags, limit;
    const char *verb;
    uint32_t verb_len;
    const uint32_t *inputs; /* NULL for a first pipeline stage */
    uint32_t input_count, arg_count;
    const uint8_t *args;
} pt_request;

static inline void pt_request_open(pt_request *r, uint8_t *base, uint32_t len) {
    r->base = base;
    r->len = len;
    r->flags = base[6] | (base[7] << 8);
    r->limit = pt_u32(base + 20);
    r->verb = (const char *)base + pt_u32(base + 24);
    r->verb_len = pt_u32(base + 28);
    r->input_count = pt_u32(base + 32);
    r->inputs = (r->flags & 1) ? (const uint32_t *)(base + pt_u32(base + 36)) : NULL;
    r->arg_count = pt_u32(base + 40);
    r->args = base + pt_u32(base + 44);
}

static inline const uint8_t *pt_arg(const pt_request *r, const char *name, uint32_t type) {
    size_t n = pt_strlen(name);
    for (uint32_t i = 0; i < r->arg_count; i++) {
        const uint8_t *e = r->args + 24 * i;
        if (pt_u32(e + 4) == n && pt_u32(e + 8) == type && pt_memeq(r->base + pt_u32(e), name, n)) return e;
    }
    return NULL;
}
static inline int64_t pt_arg_int(const pt_request *r, const char *name, int64_t fallback) {
    const uint8_t *e = pt_arg(r, name, PT_ARG_INT);
    return e ? (int64_t)pt_u64(e + 16) : fallback;
}
static inline const char *pt_arg_text(const pt_request *r, const char *name, uint32_t *len) {
    const uint8_t *e = pt_arg(r, name, PT_ARG_TEXT);
    *len = e ? pt_u32(e + 20) : 0;
    return e ? (const char *)r->base + pt_u32(e + 16) : NULL;
}
/* The node indices of an entity argument (NULL if absent). */
static inline const uint32_t *pt_arg_nodes(const pt_request *r, const char *name, uint32_t *count) {
    const uint8_t *e = pt_arg(r, name, PT_ARG_NODES);
    *count = e ? pt_u32(e + 12) : 0;
    return e ? (const uint32_t *)(r->base + pt_u32(e + 16)) : NULL;
}

/* -- the result builder ------------------------------------------------------------------------ */
typedef struct { uint32_t node; int32_t distance; uint32_t via[2], detail[2]; } pt_row_t;

typedef struct {
    pt_row_t *rows;
    uint32_t nrows, cap_rows;
    uint32_t notes[64][2];
    uint32_t nnotes, status;
    uint32_t text[2];
    uint8_t *strings;
    uint32_t nstrings, cap_strings;
    int failed; /* out of memory: the query answers with an error */
} pt_result;

static inline int pt_grow(void **p, uint32_t *cap, uint32_t need, uint32_t size) {
    if (need <= *cap) return 1;
    uint32_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *n = pt_realloc(*p, (size_t)*cap * size, (size_t)c * size);
    if (!n) return 0;
    *p = n;
    *cap = c;
    return 1;
}
/* Copy a string into the result; the ref is (offset in the string area + 1, length): 0 is "none". */
static inline void pt_intern(pt_result *out, const char *s, uint32_t len, uint32_t ref[2]) {
    ref[0] = ref[1] = 0;
    if (!len) return;
    if (!pt_grow((void **)&out->strings, &out->cap_strings, out->nstrings + len, 1)) { out->failed = 1; return; }
    memcpy(out->strings + out->nstrings, s, len);
    ref[0] = out->nstrings + 1;
    ref[1] = len;
    out->nstrings += len;
}
static inline void pt_row(pt_result *out, uint32_t node, int32_t distance, const char *via, uint32_t via_len,
                          const char *detail, uint32_t detail_len) {
    if (!pt_grow((void **)&out->rows, &out->cap_rows, out->nrows + 1, sizeof(pt_row_t))) { out->failed = 1; return; }
    pt_row_t *r = &out->rows[out->nrows++];
    r->node = node;
    r->distance = distance;
    pt_intern(out, via, via_len, r->via);
    pt_intern(out, detail, detail_len, r->detail);
}
static inline void pt_text(pt_result *out, const char *s, uint32_t len) { pt_intern(out, s, len, out->text); }
static inline void pt_note(pt_result *out, const char *s, uint32_t len) {
    if (out->nnotes < 64) pt_intern(out, s, len, out->notes[out->nnotes++]);
}
static inline void pt_error(pt_result *out, const char *message) {
    out->status = 1;
    pt_text(out, message, (uint32_t)pt_strlen(message));
}
/* Decimal digits of v into buf (at least 11 bytes); returns the length. */
static inline uint32_t pt_fmt_int(char *buf, int64_t v) {
    char tmp[24];
    uint32_t n = 0, len = 0;
    uint64_t u = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) buf[len++] = '-';
    while (n) buf[len++] = tmp[--n];
    return len;
}

#ifdef PT_CONTEXT
#define PT_ENTRY pt_context
#else
#define PT_ENTRY pt_query
#endif
#ifndef PT_COLUMNS
#define PT_COLUMNS PT_WANT_ALL
#endif

int pt_plugin_query(const pt_view *view, const pt_request *req, pt_result *out);

#ifdef PT_FREESTANDING
PT_EXPORT(pt_alloc) void *pt_alloc(uint32_t len) {
    pt_init_();
    return pt_bump_(&pt_top_, len ? len : 1);
}
/* The host frees newest first: popping the top block is all a stack needs. */
PT_EXPORT(pt_free) void pt_free(void *p, uint32_t len) {
    if (p && (uintptr_t)p + (len ? len : 1) == pt_top_) pt_top_ = (uintptr_t)p;
}
static inline void pt_query_begin_(void) {
    pt_init_();
    pt_arena_ = pt_top_;
    pt_last_ = 0;
}
#else
static uint8_t *pt_last_result;
PT_EXPORT(pt_alloc) void *pt_alloc(uint32_t len) { return malloc(len ? len : 1); }
PT_EXPORT(pt_free) void pt_free(void *p, uint32_t len) { (void)len; free(p); }
static inline void pt_query_begin_(void) {
    free(pt_last_result);
    pt_last_result = NULL;
}
#endif
PT_EXPORT(pt_columns) int64_t pt_columns(void) { return PT_COLUMNS; }

static inline uint32_t pt_at(uint32_t base, const uint32_t ref[2], uint32_t *len) {
    *len = ref[1];
    return ref[1] ? base + ref[0] - 1 : 0;
}

PT_EXPORT(PT_ENTRY) int64_t PT_ENTRY(uint8_t *req_base, uint32_t req_len) {
    pt_request req;
    pt_view view;
    pt_result out;
    memset(&out, 0, sizeof out);
    pt_query_begin_();
    pt_request_open(&req, req_base, req_len);
    pt_view_open(&view, (const uint8_t *)(uintptr_t)pt_u64(req_base + 8), pt_u32(req_base + 16));
    pt_plugin_query(&view, &req, &out);
    if (out.failed) {
        out.nrows = out.nnotes = out.nstrings = 0;
        out.failed = 0;
        pt_error(&out, "out of memory");
    }
    uint32_t rows_off = 32, notes_off = rows_off + 24 * out.nrows, base = notes_off + 8 * out.nnotes;
    uint32_t total = base + out.nstrings, len;
    uint8_t *r = (uint8_t *)pt_malloc(total);
    if (!r) return -1;
    uint32_t header[8] = {0x31525450u, out.status, out.nrows, rows_off, 0, 0, out.nnotes, notes_off};
    header[4] = pt_at(base, out.text, &len);
    header[5] = len;
    memcpy(r, header, 32);
    for (uint32_t i = 0; i < out.nrows; i++) {
        uint32_t row[6];
        row[0] = out.rows[i].node;
        memcpy(&row[1], &out.rows[i].distance, 4);
        row[2] = pt_at(base, out.rows[i].via, &row[3]);
        row[4] = pt_at(base, out.rows[i].detail, &row[5]);
        memcpy(r + rows_off + 24 * i, row, 24);
    }
    for (uint32_t i = 0; i < out.nnotes; i++) {
        uint32_t note[2];
        note[0] = pt_at(base, out.notes[i], &note[1]);
        memcpy(r + notes_off + 8 * i, note, 8);
    }
    if (out.nstrings) memcpy(r + base, out.strings, out.nstrings);
#ifndef PT_FREESTANDING
    free(out.rows);
    free(out.strings);
    pt_last_result = r;
#endif
    uint64_t addr = (uint64_t)(uintptr_t)r;
    memcpy(req_base + 48, &addr, 8);
    memcpy(req_base + 56, &total, 4);
    return 0;
}

#endif /* PT_PLUGIN_H */
