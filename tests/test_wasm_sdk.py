"""The C and Rust SDK examples: wasm and host builds of one source answer like a Python reference.

The committed ``.wasm`` files are always tested; the host ``.so`` builds exist after ``make plugins``
(which needs clang / Debian's cargo) and are skipped with a reason otherwise. The C example is also
rebuilt from source here (when clang can target wasm32) to check the committed bytes match it.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
from query_graphs import shop

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node, NodeKind
from pt_tui.sandbox import wasm
from pt_tui.sandbox.api import Capability, QueryRequest
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.tiers import shared_lib
from pt_tui.sandbox.wasm import AbiPlugin

REPO = Path(__file__).resolve().parent.parent
HOTSPOTS = REPO / "plugins" / "c" / "hotspots"
DEAD_CODE = REPO / "plugins" / "rust" / "dead-code"
READ = frozenset({Capability.GRAPH_READ})


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def json_graph() -> ISG:
    root = Path(sysconfig.get_paths()["stdlib"]) / "json"
    if not root.is_dir():
        pytest.skip("the standard library's json package is not here")
    engine = Engine(root, workers=1)
    engine.index()
    return engine.isg


def builds(folder: Path) -> list[AbiPlugin]:
    """The wasm build, plus the host build when ``make plugins`` made it."""
    manifest = load_manifest(folder)
    plugins = [wasm.load(manifest, folder, granted=READ)]
    assert manifest.artifact.native is not None
    if (folder / manifest.artifact.native).is_file():
        plugins.append(shared_lib.load(manifest, folder, granted=READ))
    return plugins


def hotspots_reference(isg: ISG, limit: int, min_heat: int = 1) -> list[tuple[Node, int, str]]:
    order = {node_id: i for i, node_id in enumerate(isg.nodes)}
    rows = []
    for node in isg.nodes.values():
        fan_in = len({e.src for e in isg.in_edges(node.id, EdgeKind.CALLS)})
        fan_out = len({e.dst for e in isg.out_edges(node.id, EdgeKind.CALLS)})
        if fan_in + fan_out >= min_heat:
            rows.append((-(fan_in + fan_out), -fan_in, order[node.id], node, f"in {fan_in}, out {fan_out}"))
    rows.sort(key=lambda r: r[:3])
    return [(r[3], -r[0], r[4]) for r in rows[:limit]]


def dead_reference(isg: ISG) -> list[Node]:
    refs = (EdgeKind.CALLS, EdgeKind.USES, EdgeKind.IMPLEMENTS, EdgeKind.IMPORTS)
    dead = []
    for node in isg.nodes.values():
        name = node.name
        if node.kind in (NodeKind.MODULE, NodeKind.IMPL) or name == "main" or name.startswith("test"):
            continue
        if name.startswith("__") and name.endswith("__"):
            continue
        if not any(isg.in_edges(node.id, k) for k in refs):
            dead.append(node)
    return dead


@pytest.mark.parametrize("graph", ["shop", "json"])
def test_hotspots_matches_the_reference(graph: str, request: pytest.FixtureRequest) -> None:
    isg = shop()[0] if graph == "shop" else request.getfixturevalue("json_graph")
    want = hotspots_reference(isg, 10)
    for plugin in builds(HOTSPOTS):
        out = plugin.execute_query(QueryRequest(verb="hotspots", limit=10), isg)
        assert [(r.node, r.distance, r.detail) for r in out.rows] == want, plugin.tier
        assert all(r.via == "CALLS" for r in out.rows)
        assert out.notes == [f"showing the top 10 of {len(hotspots_reference(isg, 1 << 30))}"]


def test_hotspots_whole_graph_scan_with_min_and_small_limits(json_graph: ISG) -> None:
    """The whole-graph scan (four nodes a step, then the tail) against the reference, for several
    ``min`` and ``limit`` values (a limit of 0 still counts what qualifies)."""
    isg = json_graph
    for plugin in builds(HOTSPOTS):
        for min_heat, limit in [(3, 5), (1, 1), (0, 7), (10_000, 3), (2, 0)]:
            req = QueryRequest(verb="hotspots", limit=limit, args={"min": min_heat})
            out = plugin.execute_query(req, isg)
            every = hotspots_reference(isg, 1 << 30, min_heat)
            got = [(r.node, r.distance, r.detail) for r in out.rows]
            assert got == every[:limit], (plugin.tier, min_heat, limit)
            more = [f"showing the top {limit} of {len(every)}"] if len(every) > limit else []
            assert out.notes == more, (plugin.tier, min_heat, limit)


def test_hotspots_of_the_input_and_the_min_option() -> None:
    isg, n = shop()
    inputs = (n["log"].id, n["io"].id, n["main"].id)
    for plugin in builds(HOTSPOTS):
        out = plugin.execute_query(QueryRequest(verb="hotspots", inputs=inputs, args={"min": 0}), isg)
        assert [(r.node, r.distance) for r in out.rows] == [(n["main"], 2), (n["log"], 1), (n["io"], 0)]
        out = plugin.execute_query(QueryRequest(verb="hotspots", inputs=inputs, args={"min": 2}), isg)
        assert [r.node for r in out.rows] == [n["main"]]


@pytest.mark.parametrize("graph", ["shop", "json"])
def test_dead_code_matches_the_reference(graph: str, request: pytest.FixtureRequest) -> None:
    isg = shop()[0] if graph == "shop" else request.getfixturevalue("json_graph")
    want = dead_reference(isg)
    assert want
    for plugin in builds(DEAD_CODE):
        out = plugin.execute_query(QueryRequest(verb="dead-code", limit=10_000), isg)
        assert [r.node for r in out.rows] == want, plugin.tier
        assert all(r.distance is None and r.via == "dead" for r in out.rows)
        limited = plugin.execute_query(QueryRequest(verb="dead-code", limit=1), isg)
        assert [r.node for r in limited.rows] == want[:1]
        more = ["more unreferenced entities exist: raise the limit to see them"]
        assert limited.notes == (more if len(want) > 1 else [])


def test_dead_code_kind_filter_and_inputs() -> None:
    isg, n = shop()
    for plugin in builds(DEAD_CODE):
        out = plugin.execute_query(QueryRequest(verb="dead-code", args={"kind": ("class",)}), isg)
        assert [r.node for r in out.rows] == [n["Book"]]
        out = plugin.execute_query(QueryRequest(verb="dead-code", inputs=(n["Book"].id, n["log"].id)), isg)
        assert [r.node for r in out.rows] == [n["Book"]]


def test_native_builds_are_present_after_make_plugins() -> None:
    for folder in (HOTSPOTS, DEAD_CODE):
        native = load_manifest(folder).artifact.native
        assert native is not None
        if not (folder / native).is_file():
            pytest.skip(f"{folder.name}: {native} not built (make plugins; needs clang / Debian's cargo)")
        assert [p.tier for p in builds(folder)] == ["wasm", "native"]


def test_committed_c_wasm_is_built_from_its_source(tmp_path: Path) -> None:
    clang = shutil.which("clang")
    if clang is None or shutil.which("wasm-ld") is None:
        pytest.skip("needs clang and lld (apt-get install clang lld)")
    out = tmp_path / "hotspots.wasm"
    flags = ["--target=wasm32", "-nostdlib", "-mbulk-memory", "-msimd128", "-O2", "-Wall", "-Wextra"]
    flags += ["-Werror", "-Wl,--no-entry", "-Wl,--strip-all", f"-I{REPO / 'sdk' / 'c'}"]
    subprocess.run([clang, *flags, str(HOTSPOTS / "hotspots.c"), "-o", str(out)], check=True)
    assert out.read_bytes() == (HOTSPOTS / "hotspots.wasm").read_bytes()
