"""Source templates of ``pt-tui plugin new`` (kept as strings so they ship inside the package).

``{{NAME}}`` is the plugin name, ``{{IDENT}}`` its identifier form, ``{{CLASS}}`` a class name and
``{{NAME_LEN}}`` the byte length of the name; ``IDENT`` in a file name is replaced too.
"""

# ruff: noqa: E501

from __future__ import annotations

#: The manifest of every WASM scaffold (WAT, C and Rust build the same module).
_WASM_PLUGIN_TOML = """\
name = "{{NAME}}"
version = "0.1.0"
description = "CALLS fan-in of the input entities (a pt-tui plugin scaffold)"
tier = "wasm"
kind = "query"
abi_version = 1
capabilities = ["graph.read"]
query_types = [
  { name = "{{NAME}}", help = "how many entities call each input entity", takes_input = true, feeds = "entity", params = [
    { name = "entity", type = "entity", required = false, help = "the entity (or pipe entities in)" },
  ] },
]

[artifact]
wasm = "{{IDENT}}.wasm"

[budget]
max_query_time_us = 500
max_memory_mb = 2.0
"""

_WAT_IDENT_WAT = """\
;; {{NAME}} (ABI v1, no toolchain): for each input entity, how many entities call it (CALLS fan-in).
;; Input entities: the previous pipeline stage, else the `entity` parameter.
;; One row per input: node = the input, distance = its CALLS fan-in, via = "{{NAME}}".
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "{{NAME}}")
  (global $via_len i32 (i32.const {{NAME_LEN}}))

  ;; A stack allocator: pt_free pops the latest block (the host frees in reverse order).
  (func $reserve (param $end i32) (result i32)
    (local $pages i32)
    (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
        (then (return (i32.const 0))))))
    (i32.const 1))
  (func (export "pt_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (if (i32.eqz (call $reserve (i32.add (local.get $p) (local.get $len)))) (then (return (i32.const 0))))
    (global.set $heap (i32.add (local.get $p) (local.get $len)))
    (local.get $p))
  (func (export "pt_free") (param $p i32) (param $len i32)
    (if (i32.eq (i32.add (local.get $p) (local.get $len)) (global.get $heap))
      (then (global.set $heap (local.get $p)))))
  ;; Only the CALLS in-edges (WANT_IN << 0).
  (func (export "pt_columns") (result i64) (i64.const 0x10000))

  ;; Address of column $id in the view at $view, or 0 when absent.
  (func $column (param $view i32) (param $id i32) (result i32)
    (local $i i32) (local $n i32) (local $e i32)
    (if (i32.eqz (local.get $view)) (then (return (i32.const 0))))
    (local.set $n (i32.load offset=16 (local.get $view)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (i32.add (local.get $view) (i32.const 32)) (i32.shl (local.get $i) (i32.const 4))))
        (if (i32.eq (i32.load (local.get $e)) (local.get $id))
          (then (return (i32.add (local.get $view) (i32.load offset=4 (local.get $e))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func (export "pt_query") (param $req i32) (param $len i32) (result i64)
    (local $view i32) (local $nodes i32) (local $offsets i32) (local $limit i32)
    (local $count i32) (local $list i32) (local $i i32) (local $arg i32) (local $args i32)
    (local $res i32) (local $row i32) (local $node i32) (local $via i32) (local $size i32)
    (local.set $view (i32.load offset=8 (local.get $req)))
    (local.set $limit (i32.load offset=20 (local.get $req)))
    (if (local.get $view) (then (local.set $nodes (i32.load offset=8 (local.get $view)))))
    (local.set $offsets (call $column (local.get $view) (i32.const 0x102)))
    ;; the input list: the previous stage, else the first entity argument
    (if (i32.and (i32.load16_u offset=6 (local.get $req)) (i32.const 1))
      (then
        (local.set $count (i32.load offset=32 (local.get $req)))
        (local.set $list (i32.add (local.get $req) (i32.load offset=36 (local.get $req)))))
      (else
        (local.set $args (i32.load offset=40 (local.get $req)))
        (block $found
          (loop $scan
            (br_if $found (i32.ge_u (local.get $i) (local.get $args)))
            (local.set $arg (i32.add (i32.add (local.get $req) (i32.load offset=44 (local.get $req)))
                                     (i32.mul (local.get $i) (i32.const 24))))
            (if (i32.eq (i32.load offset=8 (local.get $arg)) (i32.const 3))
              (then
                (local.set $count (i32.load offset=12 (local.get $arg)))
                (local.set $list (i32.add (local.get $req) (i32.load offset=16 (local.get $arg))))
                (br $found)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $scan)))))
    (if (i32.gt_u (local.get $count) (local.get $limit)) (then (local.set $count (local.get $limit))))
    ;; the result goes at the top of the heap: header, rows, then the via string
    (local.set $res (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $via (i32.add (i32.const 32) (i32.mul (local.get $count) (i32.const 24))))
    (local.set $size (i32.add (local.get $via) (global.get $via_len)))
    (if (i32.eqz (call $reserve (i32.add (local.get $res) (local.get $size)))) (then unreachable))
    (i32.store (local.get $res) (i32.const 0x31525450))  ;; "PTR1"
    (i32.store offset=4 (local.get $res) (i32.const 0))
    (i32.store offset=8 (local.get $res) (local.get $count))
    (i32.store offset=12 (local.get $res) (i32.const 32))
    (i64.store offset=16 (local.get $res) (i64.const 0))
    (i64.store offset=24 (local.get $res) (i64.const 0))
    (memory.copy (i32.add (local.get $res) (local.get $via)) (i32.const 16) (global.get $via_len))
    (local.set $i (i32.const 0))
    (block $end
      (loop $rows
        (br_if $end (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $node (i32.load (i32.add (local.get $list) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $row (i32.add (i32.add (local.get $res) (i32.const 32)) (i32.mul (local.get $i) (i32.const 24))))
        (i32.store (local.get $row) (local.get $node))
        (i32.store offset=4 (local.get $row)
          (if (result i32) (i32.and (i32.ne (local.get $offsets) (i32.const 0))
                                    (i32.lt_u (local.get $node) (local.get $nodes)))
            (then (i32.sub
              (i32.load offset=4 (i32.add (local.get $offsets) (i32.shl (local.get $node) (i32.const 2))))
              (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $node) (i32.const 2))))))
            (else (i32.const 0x80000000))))
        (i32.store offset=8 (local.get $row) (local.get $via))
        (i32.store offset=12 (local.get $row) (global.get $via_len))
        (i64.store offset=16 (local.get $row) (i64.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    ;; the result slot in the request: address (u64) and length (u32)
    (i64.store offset=48 (local.get $req) (i64.extend_i32_u (local.get $res)))
    (i32.store offset=56 (local.get $req) (local.get $size))
    (i64.const 0))
)
"""

_WAT_MAKEFILE = """\
# WAT needs no toolchain: wasmtime assembles it.
PYTHON ?= python3

{{IDENT}}.wasm: {{IDENT}}.wat
	$(PYTHON) -c "import sys, wasmtime; open(sys.argv[2], 'wb').write(wasmtime.wat2wasm(open(sys.argv[1]).read()))" $< $@

test: {{IDENT}}.wasm
	$(PYTHON) -m pytest -q test_{{IDENT}}.py

.PHONY: test
"""

#: Every scaffold's test: the same verb, whatever the language.
_TEST_IDENT_PY = """\
\"\"\"The scaffold's test: load the plugin through the real pt-tui host and run its verb.\"\"\"

from pathlib import Path

from pt_tui.core.engine import Engine
from pt_tui.sandbox.api import QueryRequest
from pt_tui.sandbox.loader import LoadOptions, load_plugin

HERE = Path(__file__).resolve().parent


def test_counts_the_callers(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def target():\\n    pass\\n\\ndef a():\\n    target()\\n\\ndef b():\\n    target()\\n")
    engine = Engine(tmp_path)
    engine.index()
    (node,) = engine.isg.by_name("target")
    loaded = load_plugin(HERE, grants=None, trust=None, dev=True, options=LoadOptions(calibrate=False))
    try:
        request = QueryRequest(verb="{{NAME}}", entities={"entity": (node.id,)})
        out = loaded.plugin.execute_query(request, engine.isg)
    finally:
        loaded.close()
    assert [(row.node.id, row.distance) for row in out.rows] == [(node.id, 2)]
"""

_C_IDENT_C = """\
/* {{NAME}} (pt-tui ABI v1): for each input entity, how many entities call it (CALLS fan-in).
 * Input entities: the previous pipeline stage, else the `entity` parameter. docs/plugin-abi.md
 * describes the request, graph view and result layouts used below. */
#include <stdint.h>

#define COL_CALLS_IN_OFFSETS 0x102u /* CSR offsets of the CALLS in-edges */
#define ARG_NODES 3u
#define FLAG_HAS_INPUTS 1u
#define NO_DISTANCE 0x80000000u

static const char VIA[] = "{{NAME}}";

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

/* A stack allocator over linear memory: the host frees in reverse order. */
extern uint8_t __heap_base;
static uintptr_t heap;

static uint8_t *reserve(uintptr_t at, uint32_t len) {
    uintptr_t end = at + len, have = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) == (__SIZE_TYPE__)-1)
        return 0;
    return (uint8_t *)at;
}

static uintptr_t top(void) {
    if (!heap) heap = (uintptr_t)&__heap_base;
    return (heap + 7u) & ~(uintptr_t)7u;
}

__attribute__((export_name("pt_alloc"))) uint32_t pt_alloc(uint32_t len) {
    uintptr_t p = top();
    if (!reserve(p, len)) return 0;
    heap = p + len;
    return (uint32_t)p;
}

__attribute__((export_name("pt_free"))) void pt_free(uint32_t p, uint32_t len) {
    if ((uintptr_t)p + len == heap) heap = p;
}

/* Only the CALLS in-edges (WANT_IN << 0). */
__attribute__((export_name("pt_columns"))) int64_t pt_columns(void) { return 0x10000; }

static const uint8_t *column(const uint8_t *view, uint32_t id) {
    if (!view) return 0;
    uint32_t n = rd32(view + 16);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = view + 32 + 16 * i;
        if (rd32(e) == id) return view + rd32(e + 4);
    }
    return 0;
}

__attribute__((export_name("pt_query"))) int64_t pt_query(uint32_t req_addr, uint32_t req_len) {
    uint8_t *req = (uint8_t *)(uintptr_t)req_addr;
    const uint8_t *view = (const uint8_t *)(uintptr_t)rd32(req + 8);
    uint32_t limit = rd32(req + 20), nodes = view ? rd32(view + 8) : 0, count = 0;
    const uint8_t *offsets = column(view, COL_CALLS_IN_OFFSETS), *list = 0;
    (void)req_len;
    if ((req[6] | req[7] << 8) & FLAG_HAS_INPUTS) {
        count = rd32(req + 32);
        list = req + rd32(req + 36);
    } else {
        uint32_t nargs = rd32(req + 40);
        const uint8_t *args = req + rd32(req + 44);
        for (uint32_t i = 0; i < nargs; i++) {
            const uint8_t *a = args + 24 * i;
            if (rd32(a + 8) == ARG_NODES) {
                count = rd32(a + 12);
                list = req + rd32(a + 16);
                break;
            }
        }
    }
    if (count > limit) count = limit;
    uint32_t via_len = sizeof VIA - 1, via_off = 32 + 24 * count, size = via_off + via_len;
    uint8_t *res = reserve(top(), size); /* the result sits above the heap: nothing to free */
    if (!res) __builtin_trap();
    wr32(res, 0x31525450u); /* "PTR1" */
    wr32(res + 4, 0);
    wr32(res + 8, count);
    wr32(res + 12, 32);
    wr64(res + 16, 0);
    wr64(res + 24, 0);
    for (uint32_t i = 0; i < via_len; i++) res[via_off + i] = (uint8_t)VIA[i];
    for (uint32_t i = 0; i < count; i++) {
        uint32_t node = rd32(list + 4 * i), fan = NO_DISTANCE;
        uint8_t *row = res + 32 + 24 * i;
        if (offsets && node < nodes) fan = rd32(offsets + 4 * (node + 1)) - rd32(offsets + 4 * node);
        wr32(row, node);
        wr32(row + 4, fan);
        wr32(row + 8, via_off);
        wr32(row + 12, via_len);
        wr64(row + 16, 0);
    }
    wr64(req + 48, (uint64_t)(uintptr_t)res); /* the result slot: address, length */
    wr32(req + 56, size);
    return 0;
}
"""

_C_MAKEFILE = """\
# Build the WASM module with clang (apt-get install clang lld), then test it through pt-tui.
WASM_CC ?= clang
PYTHON ?= python3

{{IDENT}}.wasm: {{IDENT}}.c
	$(WASM_CC) --target=wasm32 -nostdlib -O2 -Wl,--no-entry -o $@ $<

test: {{IDENT}}.wasm
	$(PYTHON) -m pytest -q test_{{IDENT}}.py

.PHONY: test
"""

_RUST_SRC_LIB_RS = """\
//! {{NAME}} (pt-tui ABI v1): for each input entity, how many entities call it (CALLS fan-in).
//! Input entities: the previous pipeline stage, else the `entity` parameter.
#![no_std]

use core::panic::PanicInfo;

const COL_CALLS_IN_OFFSETS: u32 = 0x102;
const ARG_NODES: u32 = 3;
const FLAG_HAS_INPUTS: u16 = 1;
const NO_DISTANCE: u32 = 0x8000_0000;
const VIA: &[u8] = b"{{NAME}}";

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

extern "C" {
    static __heap_base: u8;
}
static mut HEAP: usize = 0;

unsafe fn rd32(p: *const u8) -> u32 {
    (p as *const u32).read_unaligned()
}
unsafe fn wr32(p: *mut u8, v: u32) {
    (p as *mut u32).write_unaligned(v)
}
unsafe fn wr64(p: *mut u8, v: u64) {
    (p as *mut u64).write_unaligned(v)
}

unsafe fn top() -> usize {
    if HEAP == 0 {
        HEAP = &__heap_base as *const u8 as usize;
    }
    (HEAP + 7) & !7
}

unsafe fn reserve(at: usize, len: usize) -> bool {
    let end = at + len;
    let have = core::arch::wasm32::memory_size(0) * 65536;
    end <= have || core::arch::wasm32::memory_grow(0, (end - have + 65535) / 65536) != usize::MAX
}

#[no_mangle]
pub unsafe extern "C" fn pt_alloc(len: u32) -> u32 {
    let p = top();
    if !reserve(p, len as usize) {
        return 0;
    }
    HEAP = p + len as usize;
    p as u32
}

#[no_mangle]
pub unsafe extern "C" fn pt_free(p: u32, len: u32) {
    if p as usize + len as usize == HEAP {
        HEAP = p as usize;
    }
}

/// Only the CALLS in-edges (WANT_IN << 0).
#[no_mangle]
pub extern "C" fn pt_columns() -> i64 {
    0x10000
}

unsafe fn column(view: *const u8, id: u32) -> *const u8 {
    if view.is_null() {
        return core::ptr::null();
    }
    for i in 0..rd32(view.add(16)) as usize {
        let e = view.add(32 + 16 * i);
        if rd32(e) == id {
            return view.add(rd32(e.add(4)) as usize);
        }
    }
    core::ptr::null()
}

#[no_mangle]
pub unsafe extern "C" fn pt_query(req: *mut u8, _len: u32) -> i64 {
    let view = rd32(req.add(8)) as usize as *const u8;
    let limit = rd32(req.add(20));
    let nodes = if view.is_null() { 0 } else { rd32(view.add(8)) };
    let offsets = column(view, COL_CALLS_IN_OFFSETS);
    let (mut count, mut list) = (0u32, core::ptr::null::<u8>());
    if (req.add(6) as *const u16).read_unaligned() & FLAG_HAS_INPUTS != 0 {
        count = rd32(req.add(32));
        list = req.add(rd32(req.add(36)) as usize);
    } else {
        let args = req.add(rd32(req.add(44)) as usize);
        for i in 0..rd32(req.add(40)) as usize {
            let a = args.add(24 * i);
            if rd32(a.add(8)) == ARG_NODES {
                count = rd32(a.add(12));
                list = req.add(rd32(a.add(16)) as usize);
                break;
            }
        }
    }
    count = count.min(limit);
    let via_off = 32 + 24 * count;
    let size = via_off + VIA.len() as u32;
    let res = top(); // the result sits above the heap: nothing to free
    if !reserve(res, size as usize) {
        core::arch::wasm32::unreachable()
    }
    let res = res as *mut u8;
    wr32(res, 0x3152_5450); // "PTR1"
    wr32(res.add(4), 0);
    wr32(res.add(8), count);
    wr32(res.add(12), 32);
    wr64(res.add(16), 0);
    wr64(res.add(24), 0);
    core::ptr::copy_nonoverlapping(VIA.as_ptr(), res.add(via_off as usize), VIA.len());
    for i in 0..count as usize {
        let node = rd32(list.add(4 * i));
        let row = res.add(32 + 24 * i);
        let fan = if !offsets.is_null() && node < nodes {
            rd32(offsets.add(4 * (node as usize + 1))) - rd32(offsets.add(4 * node as usize))
        } else {
            NO_DISTANCE
        };
        wr32(row, node);
        wr32(row.add(4), fan);
        wr32(row.add(8), via_off);
        wr32(row.add(12), VIA.len() as u32);
        wr64(row.add(16), 0);
    }
    wr64(req.add(48), res as usize as u64); // the result slot: address, length
    wr32(req.add(56), size);
    0
}
"""

_RUST_CARGO_TOML = """\
[package]
name = "{{IDENT}}"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]
path = "src/lib.rs"

[profile.release]
opt-level = "s"
panic = "abort"
lto = true
"""

_RUST_MAKEFILE = """\
# Debian's rustc can target wasm32 (apt-get install rustc cargo libstd-rust-dev-wasm32 lld);
# call it by absolute path: a rustup toolchain first on PATH may lack the wasm32 target.
CARGO ?= /usr/bin/cargo
RUSTC ?= /usr/bin/rustc
PYTHON ?= python3

{{IDENT}}.wasm: src/lib.rs Cargo.toml
	RUSTC=$(RUSTC) $(CARGO) build --offline --release --target wasm32-unknown-unknown
	cp target/wasm32-unknown-unknown/release/{{IDENT}}.wasm $@

test: {{IDENT}}.wasm
	$(PYTHON) -m pytest -q test_{{IDENT}}.py

.PHONY: test
"""

_PYTHON_PLUGIN_TOML = """\
name = "{{NAME}}"
version = "0.1.0"
description = "CALLS fan-in of the input entities (a pt-tui plugin scaffold)"
tier = "native"
kind = "query"
capabilities = ["graph.read"]
query_types = [
  { name = "{{NAME}}", help = "how many entities call each input entity", takes_input = true, feeds = "entity", params = [
    { name = "entity", type = "entity", required = false, help = "the entity (or pipe entities in)" },
  ] },
]

[artifact]
entry = "{{IDENT}}:{{CLASS}}"

[budget]
max_query_time_us = 500
max_memory_mb = 2.0
"""

_PYTHON_IDENT_PY = """\
\"\"\"{{NAME}}: for each input entity, how many distinct entities call it (its CALLS fan-in).\"\"\"

from __future__ import annotations

from typing import TYPE_CHECKING

from pt_tui.core.model import EdgeKind
from pt_tui.core.query.result import Output, ResultRow

if TYPE_CHECKING:
    from pt_tui.core.isg import ISG
    from pt_tui.sandbox.api import QueryRequest


class {{CLASS}}:
    \"\"\"The manifest declares the verb, budget and capabilities; this class only answers queries.\"\"\"

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        ids = query.inputs if query.inputs is not None else query.entities.get("entity", ())
        rows: list[ResultRow] = []
        for node_id in ids[: query.limit]:
            node = isg.node(node_id)
            if node is None:
                continue
            callers = {edge.src for edge in isg.in_edges(node_id, EdgeKind.CALLS)}
            rows.append(ResultRow(node=node, distance=len(callers), via="{{NAME}}"))
        return Output(rows=rows)
"""

_PYTHON_MAKEFILE = """\
# A Python plugin needs no build; `make test` runs its test through pt-tui.
PYTHON ?= python3

all:

test:
	$(PYTHON) -m pytest -q test_{{IDENT}}.py

.PHONY: all test
"""

TEMPLATES: dict[str, dict[str, str]] = {
    "wat": {
        "plugin.toml": _WASM_PLUGIN_TOML,
        "IDENT.wat": _WAT_IDENT_WAT,
        "Makefile": _WAT_MAKEFILE,
        "test_IDENT.py": _TEST_IDENT_PY,
    },
    "c": {
        "plugin.toml": _WASM_PLUGIN_TOML,
        "IDENT.c": _C_IDENT_C,
        "Makefile": _C_MAKEFILE,
        "test_IDENT.py": _TEST_IDENT_PY,
    },
    "rust": {
        "plugin.toml": _WASM_PLUGIN_TOML,
        "src/lib.rs": _RUST_SRC_LIB_RS,
        "Cargo.toml": _RUST_CARGO_TOML,
        "Makefile": _RUST_MAKEFILE,
        "test_IDENT.py": _TEST_IDENT_PY,
    },
    "python": {
        "plugin.toml": _PYTHON_PLUGIN_TOML,
        "IDENT.py": _PYTHON_IDENT_PY,
        "Makefile": _PYTHON_MAKEFILE,
        "test_IDENT.py": _TEST_IDENT_PY,
    },
}
