"""The WASM host: real answers, every hostile plugin contained, capability gating, thread safety."""

from __future__ import annotations

import threading
from pathlib import Path

import msgspec
import pytest
import wasmtime
from query_graphs import shop

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, EdgeKind, Node
from pt_tui.sandbox import wasm
from pt_tui.sandbox.api import Capability, ContextPlugin, QueryPlugin, QueryRequest
from pt_tui.sandbox.errors import CapabilityRefused, PluginError, PluginViolation, ViolationKind
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.wasm import AbiPlugin

PLUGINS = Path(__file__).resolve().parent.parent / "plugins" / "wat"
ALL = frozenset(c for c in Capability if c.wasm_allowed)
READ = frozenset({Capability.GRAPH_READ})


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def load(folder: Path, granted: frozenset[Capability] = READ, **kw: object) -> AbiPlugin:
    return wasm.load(load_manifest(folder), folder, granted=granted, **kw)  # type: ignore[arg-type]


def fan_in(isg: ISG, node: Node) -> int:
    return len({e.src for e in isg.in_edges(node.id, EdgeKind.CALLS)})


# A module written in the test: the usual bump allocator, then ``body``.
PRELUDE = """
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "pt_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (global.set $heap (i32.add (local.get $p) (local.get $len)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 4)))))
    (local.get $p))
"""


def inline(
    tmp_path: Path,
    body: str,
    *,
    imports: str = "",
    caps: str = '"graph.read"',
    kind: str = "query",
    memory_mb: float = 1.0,
    prelude: str = PRELUDE,
) -> Path:
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    (folder / "p.wasm").write_bytes(wasmtime.wat2wasm(f"(module {imports} {prelude} {body})"))
    kinds = (
        'query_types = [{ name = "t", takes_input = true }]' if kind == "query" else 'context_formats = ["t"]'
    )
    (folder / "plugin.toml").write_text(
        f'name = "t"\nversion = "1.0.0"\ntier = "wasm"\nkind = "{kind}"\nabi_version = 1\n'
        f"capabilities = [{caps}]\n{kinds}\n"
        f'[artifact]\nwasm = "p.wasm"\n[budget]\nmax_query_time_us = 500\nmax_memory_mb = {memory_mb}\n'
    )
    return folder


QUERY = (
    '(func (export "pt_query") (param $req i32) (param i32) (result i64) (local $res i32) (local $size i32)'
)
# Writes the result slot from locals $res / $size, returns 0.
SLOT = """
    (i64.store offset=48 (local.get $req) (i64.extend_i32_u (local.get $res)))
    (i32.store offset=56 (local.get $req) (local.get $size))
    (i64.const 0)"""


def text_result(text_expr: str, len_expr: str) -> str:
    """Instructions building a result whose text is ``len_expr`` bytes copied from ``text_expr``."""
    return f"""
    (local.set $res (i32.const 8192))
    (local.set $size (i32.add (i32.const 32) {len_expr}))
    (i32.store (local.get $res) (i32.const 0x31525450))
    (i64.store offset=4 (local.get $res) (i64.const 0))
    (i32.store offset=12 (local.get $res) (i32.const 32))
    (i32.store offset=16 (local.get $res) (i32.const 32))
    (i32.store offset=20 (local.get $res) {len_expr})
    (i64.store offset=24 (local.get $res) (i64.const 0))
    (memory.copy (i32.add (local.get $res) (i32.const 32)) {text_expr} {len_expr})"""


# -- real answers ---------------------------------------------------------------------------------


def test_fan_in_plugin_answers_like_the_graph() -> None:
    isg, n = shop()
    plugin = load(PLUGINS / "fan-in")
    assert isinstance(plugin, QueryPlugin) and plugin.load_source in ("cache", "compiled")
    assert [q.name for q in plugin.query_types()] == ["fan-in"]
    out = plugin.execute_query(QueryRequest(verb="fan-in", entities={"entity": (n["log"].id,)}), isg)
    assert [(r.node, r.distance, r.via) for r in out.rows] == [(n["log"], 1, "fan-in")]
    nodes = list(n.values())
    out = plugin.execute_query(QueryRequest(verb="fan-in", inputs=tuple(x.id for x in nodes)), isg)
    assert [r.node for r in out.rows] == nodes
    assert [r.distance for r in out.rows] == [fan_in(isg, x) for x in nodes]
    assert max(r.distance or 0 for r in out.rows) == 2  # cli.parse: main and validate


def test_limit_truncates_and_unknown_ids_are_dropped() -> None:
    isg, n = shop()
    plugin = load(PLUGINS / "fan-in")
    ids = ("no-such-id", n["price"].id, n["log"].id, n["main"].id)
    out = plugin.execute_query(QueryRequest(verb="fan-in", inputs=ids, limit=2), isg)
    assert [r.node for r in out.rows] == [n["price"], n["log"]]


def test_v2_differs_visibly() -> None:
    isg, n = shop()
    v1, v2 = load(PLUGINS / "fan-in"), load(PLUGINS / "fan-in-v2")
    assert (v1.version, v2.version) == ("1.0.0", "2.0.0") and v1.name == v2.name
    req = QueryRequest(verb="fan-in", inputs=(n["log"].id,))
    assert v1.execute_query(req, isg).rows[0].via == "fan-in"
    assert v2.execute_query(req, isg).rows[0].via == "fan-in v2: CALLS in-edges"


def test_new_generation_is_copied_in() -> None:
    isg, n = shop()
    plugin = load(PLUGINS / "fan-in")
    req = QueryRequest(verb="fan-in", inputs=(n["log"].id,))
    assert plugin.execute_query(req, isg).rows[0].distance == 1
    isg.add_edges([Edge(src=n["main"].id, dst=n["log"].id, kind=EdgeKind.CALLS, file="shop/cli.py", line=6)])
    isg.generation += 1
    assert plugin.execute_query(req, isg).rows[0].distance == 2


def test_without_graph_read_no_view_is_written() -> None:
    isg, n = shop()
    plugin = load(PLUGINS / "fan-in", granted=frozenset())
    out = plugin.execute_query(QueryRequest(verb="fan-in", inputs=(n["log"].id,)), isg)
    assert out.rows[0].node == n["log"] and out.rows[0].distance is None


# -- hostile plugins ------------------------------------------------------------------------------

HOSTILE = [
    ("hostile-loop", ViolationKind.TIMEOUT, "out of fuel|deadline"),
    ("hostile-memory", ViolationKind.MEMORY, "memory limit"),
    ("hostile-huge-output", ViolationKind.MALFORMED, "cap"),
    ("hostile-malformed", ViolationKind.MALFORMED, "outside"),
    ("hostile-recursion", ViolationKind.TRAP, "stack overflow"),
    ("hostile-trap", ViolationKind.TRAP, "unreachable"),
]


@pytest.mark.parametrize(("name", "kind", "detail"), HOSTILE)
def test_hostile_plugin_is_contained(name: str, kind: ViolationKind, detail: str) -> None:
    isg, n = shop()
    good = load(PLUGINS / "fan-in")
    bad = load(PLUGINS / name, granted=ALL)
    req = QueryRequest(verb=name, inputs=(n["log"].id,))
    for attempt in range(2):  # the instance is discarded and re-created: same violation again
        with pytest.raises(PluginViolation, match=detail) as caught:
            bad.execute_query(req, isg)
        assert caught.value.kind is kind and caught.value.plugin == name
        assert bad.backend.instances_created == attempt + 1  # type: ignore[attr-defined]
        out = good.execute_query(QueryRequest(verb="fan-in", inputs=(n["log"].id,)), isg)
        assert [(r.node, r.distance) for r in out.rows] == [(n["log"], 1)]


def test_undeclared_import_is_refused_before_instantiation() -> None:
    with pytest.raises(CapabilityRefused, match=r"source\.read.*pt\.source.*not declared") as caught:
        load(PLUGINS / "hostile-capability", granted=ALL)
    assert caught.value.capability == "source.read"


def test_declared_but_ungranted_import_is_refused(tmp_path: Path) -> None:
    folder = inline(
        tmp_path,
        '(func (export "pt_query") (param i32 i32) (result i64) (call $log (i32.const 0) (i32.const 0)) '
        "(i64.const 0))",
        imports='(import "pt" "log" (func $log (param i32 i32)))',
        caps='"graph.read", "log"',
    )
    with pytest.raises(CapabilityRefused, match="not granted"):
        load(folder, granted=READ)


def test_foreign_import_is_refused_by_name_and_nothing_runs(tmp_path: Path) -> None:
    # The start function would trap if the module were ever instantiated.
    folder = inline(
        tmp_path,
        '(func $boom unreachable) (start $boom) (func (export "pt_query") (param i32 i32) (result i64) '
        "(i64.const 0))",
        imports='(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
    )
    with pytest.raises(
        CapabilityRefused, match=r"wasi_snapshot_preview1\.fd_write.*not a pt-tui host function"
    ):
        load(folder, granted=ALL)


def test_import_with_the_wrong_type_is_refused(tmp_path: Path) -> None:
    folder = inline(
        tmp_path,
        '(func (export "pt_query") (param i32 i32) (result i64) (i64.const 0))',
        imports='(import "pt" "log" (func (param i64)))',
        caps='"log"',
    )
    with pytest.raises(CapabilityRefused, match=r"pt\.log.*must be a function \(i32, i32\)"):
        load(folder, granted=ALL)


def test_missing_exports_and_invalid_bytes_are_plugin_errors(tmp_path: Path) -> None:
    folder = inline(tmp_path, '(func (export "pt_context") (param i32 i32) (result i64) (i64.const 0))')
    with pytest.raises(PluginError, match="pt_query"):
        load(folder)
    (folder / "p.wasm").write_bytes(b"\0asm garbage")
    with pytest.raises(PluginError, match="not a valid wasm module"):
        load(folder)


def test_memory_minimum_over_the_budget_fails_at_load(tmp_path: Path) -> None:
    big = PRELUDE.replace('(memory (export "memory") 1)', '(memory (export "memory") 64)')  # 4 MiB
    folder = inline(
        tmp_path, '(func (export "pt_query") (param i32 i32) (result i64) (i64.const 0))', prelude=big
    )
    with pytest.raises(PluginViolation) as caught:
        load(folder)
    assert caught.value.kind is ViolationKind.MEMORY


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        # result slot pointing past the end of memory
        (
            "(i64.store offset=48 (local.get $req) (i64.const 0xfff000)) "
            "(i32.store offset=56 (local.get $req) (i32.const 64)) (i64.const 0)",
            "outside the plugin's",
        ),
        # a pt_alloc that answers a misaligned address
        ("(i64.const 0)", "misaligned"),
    ],
)
def test_bad_addresses_are_malformed(tmp_path: Path, body: str, detail: str) -> None:
    prelude = PRELUDE
    if detail == "misaligned":
        prelude = PRELUDE.replace("(local.get $p))", "(i32.add (local.get $p) (i32.const 3)))")
    folder = inline(
        tmp_path,
        f'(func (export "pt_query") (param $req i32) (param i32) (result i64) {body})',
        prelude=prelude,
    )
    isg, n = shop()
    plugin = load(folder)
    with pytest.raises(PluginViolation, match=detail) as caught:
        plugin.execute_query(QueryRequest(verb="t", inputs=(n["log"].id,)), isg)
    assert caught.value.kind is ViolationKind.MALFORMED


def test_plugin_error_status_and_code_are_errors_not_violations(tmp_path: Path) -> None:
    isg, _ = shop()
    body = (
        '(data (i32.const 100) "bad kind")'
        + QUERY
        + text_result("(i32.const 100)", "(i32.const 8)")
        + "(i32.store offset=4 (local.get $res) (i32.const 1))"
        + SLOT
        + ")"
    )
    plugin = load(inline(tmp_path, body))
    with pytest.raises(PluginError, match="bad kind") as caught:
        plugin.execute_query(QueryRequest(verb="t"), isg)
    assert not isinstance(caught.value, PluginViolation)
    plugin = load(inline(tmp_path, '(func (export "pt_query") (param i32 i32) (result i64) (i64.const -3))'))
    with pytest.raises(PluginError, match="code -3") as caught:
        plugin.execute_query(QueryRequest(verb="t"), isg)
    assert not isinstance(caught.value, PluginViolation)


# -- host functions -------------------------------------------------------------------------------


def test_log_and_clock_when_granted(tmp_path: Path) -> None:
    isg, _ = shop()
    body = (
        '(data (i32.const 100) "hello from wasm")' + QUERY + "(call $log (i32.const 100) (i32.const 15))"
        "(if (i64.le_s (call $clock) (i64.const 0)) (then unreachable))"
        "(call $log (i32.const -8) (i32.const 100))"  # out of bounds: ignored, not a crash
         + text_result("(i32.const 100)", "(i32.const 5)") + SLOT + ")"
    )
    imports = (
        '(import "pt" "log" (func $log (param i32 i32)))(import "pt" "clock_ns" (func $clock (result i64)))'
    )
    plugin = load(inline(tmp_path, body, imports=imports, caps='"log", "clock"'), granted=ALL)
    assert plugin.execute_query(QueryRequest(verb="t"), isg).text == "hello"
    assert list(plugin.backend.logs) == ["hello from wasm", ""]  # type: ignore[attr-defined]


def test_source_reads_the_input_entity(tmp_path: Path) -> None:
    isg, n = shop()
    root = tmp_path / "root"
    (root / "shop").mkdir(parents=True)
    lines = [f"line {i}\n" for i in range(1, 41)]
    (root / "shop" / "pricing.py").write_text("".join(lines))
    # the first input's index -> source into 4096, returned as the text
    body = (
        QUERY + "(local $n i32)"
        "(local.set $n (call $source"
        " (i32.load (i32.add (local.get $req) (i32.load offset=36 (local.get $req))))"
        " (i32.const 4096) (i32.const 2048)))"
        "(if (i32.lt_s (local.get $n) (i32.const 0)) (then (local.set $n (i32.const 0))))"
        + text_result("(i32.const 4096)", "(local.get $n)")
        + SLOT
        + ")"
    )
    imports = '(import "pt" "source" (func $source (param i32 i32 i32) (result i32)))'
    folder = inline(tmp_path, body, imports=imports, caps='"graph.read", "source.read"')
    plugin = load(folder, granted=ALL, root=root)
    out = plugin.execute_query(QueryRequest(verb="t", inputs=(n["log"].id,)), isg)
    assert out.text == "".join(lines[37:40])  # log: lines 38-40
    plugin.root = None
    assert plugin.execute_query(QueryRequest(verb="t", inputs=(n["log"].id,)), isg).text == ""


def test_context_plugin(tmp_path: Path) -> None:
    isg, n = shop()
    body = (
        '(data (i32.const 100) "graph TD")'
        + QUERY.replace("pt_query", "pt_context")
        + "(if (i32.eqz (i32.and (i32.load16_u offset=6 (local.get $req)) (i32.const 2))) (then unreachable))"
        + text_result("(i32.const 100)", "(i32.const 8)")
        + SLOT
        + ")"
    )
    plugin = load(inline(tmp_path, body, kind="context"))
    assert isinstance(plugin, ContextPlugin) and list(plugin.context_formats()) == ["t"]
    context = plugin.generate_context(n["log"], isg)
    assert (context.format, context.text) == ("t", "graph TD")


# -- concurrency ----------------------------------------------------------------------------------


def test_queries_from_many_threads() -> None:
    isg, n = shop()
    plugin = load(PLUGINS / "fan-in")
    hostile = load(PLUGINS / "hostile-trap")
    nodes = list(n.values())
    expected = {x.id: fan_in(isg, x) for x in nodes}
    errors: list[str] = []

    def worker(k: int) -> None:
        for i in range(40):
            batch = nodes[(k + i) % len(nodes) :][:5]
            out = plugin.execute_query(QueryRequest(verb="fan-in", inputs=tuple(x.id for x in batch)), isg)
            got = [(r.node.id, r.distance) for r in out.rows]
            if got != [(x.id, expected[x.id]) for x in batch]:
                errors.append(f"thread {k}: {got}")
            if i % 10 == 0:
                with pytest.raises(PluginViolation):
                    hostile.execute_query(QueryRequest(verb="hostile-trap"), isg)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize(
    ("folder", "verb"),
    [(PLUGINS / "fan-in", "fan-in"), (PLUGINS.parent / "c" / "hotspots", "hotspots"),
     (PLUGINS.parent / "rust" / "dead-code", "dead-code")],
)  # fmt: skip
def test_generation_churn_does_not_leak_plugin_memory(folder: Path, verb: str) -> None:
    isg, n = shop()
    plugin = load(folder)
    nodes = list(n.values())
    plugin.execute_query(QueryRequest(verb=verb, inputs=(n["log"].id,)), isg)
    backend = plugin.backend
    assert isinstance(backend, wasm.host.WasmInstance)
    live = backend._live
    assert live is not None
    before = live.memory.data_len(live.store)
    for i in range(200):  # each generation frees the request and the old view, then copies the new one in
        isg.generation += 1
        inputs = tuple(x.id for x in nodes[: i % len(nodes)])
        out = plugin.execute_query(QueryRequest(verb=verb, inputs=inputs, args={"min": 0}), isg)
        assert verb == "dead-code" or len(out.rows) == len(inputs)
    assert live.memory.data_len(live.store) == before and backend.instances_created == 1


def test_source_reads_stay_inside_the_root(tmp_path: Path) -> None:
    from pt_tui.sandbox.wasm.host import read_source

    _, n = shop()
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.py").write_text("secret\n")
    (root / "ok.py").write_text("a\nb\nc\n")
    (root / "link.py").symlink_to(tmp_path / "secret.py")
    node = n["log"]
    assert read_source(root, msgspec.structs.replace(node, file="ok.py", line=2, end_line=3)) == b"b\nc\n"
    for outside in ("../secret.py", "link.py", str(tmp_path / "secret.py")):
        assert read_source(root, msgspec.structs.replace(node, file=outside, line=1, end_line=1)) is None
    assert read_source(None, node) is None
