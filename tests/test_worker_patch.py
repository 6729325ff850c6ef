"""Workers get each new graph generation as the engine's diffs, the whole graph only when needed."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_engine_support import indexed_email_copy

from pt_tui.core.engine import Engine
from pt_tui.core.model import EdgeKind
from pt_tui.core.query.run import run_query
from pt_tui.core.query.verbs import register_builtins
from pt_tui.sandbox import protocol as p
from pt_tui.sandbox.api import Capability, PerformanceBudget, QueryRequest
from pt_tui.sandbox.manager import ManagerConfig, PluginManager
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.tracker import Tracker
from pt_tui.sandbox.trust import AllowAll
from pt_tui.sandbox.worker import WORKER_ARGV, WorkerClient, WorkerPlugin, _build_graph, apply_diff, serve

REPO = Path(__file__).resolve().parent.parent
CRASH = REPO / "plugins" / "python" / "worker-crash"
LARGEST = REPO / "plugins" / "python" / "largest"
FAN_IN = REPO / "plugins" / "wat" / "fan-in"

EDITS = [
    ("header.py", lambda s: "\n\n" + s),  # every line moves
    ("header.py", lambda s: s + "\n\ndef extra_helper(x):\n    return decode_header(x)\n"),  # a new def
    ("utils.py", lambda s: s.replace("def parseaddr(", "def parseaddr_renamed(")),  # a rename
    ("base64mime.py", None),  # a deleted file
]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return indexed_email_copy(tmp_path)


def _edit(engine: Engine, name: str, change: object) -> None:
    path = engine.root / name
    if change is None:
        path.unlink()
    else:
        assert callable(change)
        path.write_text(change(path.read_text()))
    engine.update([path])


def test_apply_diff_gives_the_engines_graph(engine: Engine) -> None:
    copy = _build_graph(list(engine.isg.nodes.values()), list(engine.isg.edges()), engine.isg.generation)
    engine.subscribe(lambda diff: apply_diff(copy, diff))
    for name, change in EDITS:
        _edit(engine, name, change)
        assert copy.generation == engine.isg.generation
        assert copy.nodes == engine.isg.nodes
        assert {e.key for e in copy.edges()} == {e.key for e in engine.isg.edges()}
        assert copy.edge_count == engine.isg.edge_count


def test_a_patch_for_another_generation_is_refused() -> None:
    stdin = io.BytesIO(b"".join(p.encode(m) for m in (p.Hello(), p.Patch(base=3, diffs=[]), p.Shutdown())))
    stdout = io.BytesIO()
    assert serve(stdin, stdout) == 0
    stdout.seek(0)
    hello, refused = p.read_frame(stdout), p.read_frame(stdout)
    assert isinstance(hello, p.HelloReply) and "patch" in hello.features
    assert isinstance(refused, p.Failure) and refused.kind == "mismatch"


def test_an_older_worker_without_features_still_decodes() -> None:
    old = p.encode(p.HelloReply(version=1, pid=1, python="3.11"))  # what a pre-patch worker sent
    reply = p.decode(old[4:])
    assert isinstance(reply, p.HelloReply) and reply.features == ()


@pytest.fixture
def manager(engine: Engine) -> Iterator[PluginManager]:
    register_builtins()
    config = ManagerConfig(calibrate=False, quarantine_after=0, worker_slack_ms=2000)
    config.run_in.update({"largest": "worker", "worker-crash": "worker", "fan-in": "worker"})
    m = PluginManager(engine, Tracker(), None, AllowAll(), config)
    yield m
    m.close()


def _worker(manager: PluginManager, name: str) -> WorkerPlugin:
    loaded = manager.get(name).active
    assert loaded is not None and isinstance(loaded.plugin, WorkerPlugin)
    return loaded.plugin


def test_generations_reach_the_worker_as_diffs(engine: Engine, manager: PluginManager) -> None:
    manager.add(CRASH, dev=True)
    manager.add(LARGEST, dev=True)
    with engine.read() as isg:
        pid = run_query(isg, "count-worker").data["pid"]
    worker = _worker(manager, "worker-crash")
    assert worker.last_sync is not None and worker.last_sync[0] == "whole"
    for name, change in EDITS:
        _edit(engine, name, change)
        with engine.read() as isg:
            out = run_query(isg, "count-worker")
            assert out.data == {"pid": pid, "nodes": isg.node_count}
            assert worker.last_sync is not None and worker.last_sync[0] == "patch"
            largest = run_query(isg, "largest --top 5").rows
            assert _worker(manager, "largest").last_sync[0] in ("whole", "patch")  # type: ignore[index]
            manager.config.run_in["largest"] = "process"
        manager.remove("largest")
        manager.add(LARGEST, dev=True)
        with engine.read() as isg:
            assert run_query(isg, "largest --top 5").rows == largest  # the worker saw the same graph
        manager.remove("largest")
        manager.config.run_in["largest"] = "worker"
        manager.add(LARGEST, dev=True)


def test_a_lost_diff_or_a_restart_sends_the_whole_graph(engine: Engine, manager: PluginManager) -> None:
    manager.add(CRASH, dev=True)
    with engine.read() as isg:
        run_query(isg, "count-worker")
    worker = _worker(manager, "worker-crash")
    _edit(engine, *EDITS[0])
    with worker._diffs_lock:
        worker._diffs.clear()  # as if the diff never arrived
    with engine.read() as isg:
        assert run_query(isg, "count-worker").data["nodes"] == isg.node_count
    assert worker.last_sync is not None and worker.last_sync[0] == "whole"
    worker.client.kill()
    _edit(engine, *EDITS[1])
    with engine.read() as isg:
        assert run_query(isg, "count-worker").data["nodes"] == isg.node_count
    assert worker.last_sync[0] == "whole"


def test_a_wasm_plugin_in_a_worker_follows_the_diffs(engine: Engine, manager: PluginManager) -> None:
    manager.add(FAN_IN, dev=True)
    with engine.read() as isg:
        ids = tuple(n.id for n in isg.in_file("utils.py"))[:40]

    def ask() -> list[tuple[str, int | None]]:
        with engine.read() as isg:
            known = tuple(i for i in ids if i in isg.nodes)
            rows = manager.call("fan-in", QueryRequest(verb="fan-in", inputs=known), isg).rows
            expected = {i: len({e.src for e in isg.in_edges(i) if e.kind is EdgeKind.CALLS}) for i in known}
        assert {r.node.id: r.distance for r in rows} == expected
        return [(r.node.id, r.distance) for r in rows]

    ask()
    for name, change in EDITS:
        _edit(engine, name, change)
        ask()
        assert _worker(manager, "fan-in").last_sync[0] == "patch"  # type: ignore[index]


def test_serve_applies_a_patch(engine: Engine) -> None:
    """In process: Graph, then a Patch built from a real diff; the worker's counts follow."""
    isg = engine.isg
    manifest = load_manifest(CRASH)
    diffs: list[object] = []
    engine.subscribe(diffs.append)
    before = p.Graph(generation=isg.generation, nodes=list(isg.nodes.values()), edges=list(isg.edges()))
    base = isg.generation
    _edit(engine, *EDITS[1])
    patch = p.Patch(base=base, diffs=diffs)  # type: ignore[arg-type]
    requests: list[p.Message] = [
        p.Load(
            folder=str(CRASH),
            sha256=manifest.sha256(CRASH),
            granted=(Capability.GRAPH_READ.value,),
            budget=PerformanceBudget(),
        ),
        before,
        patch,
        p.Call(request=QueryRequest(verb="count-worker")),
    ]
    stdout = io.BytesIO()
    assert serve(io.BytesIO(b"".join(p.encode(m) for m in requests)), stdout) == 0
    stdout.seek(0)
    _, first, second, result = (p.read_frame(stdout) for _ in range(4))
    assert isinstance(first, p.GraphOk) and isinstance(second, p.GraphOk)
    assert (second.generation, second.nodes, second.edges) == (
        engine.isg.generation,
        engine.isg.node_count,
        engine.isg.edge_count,
    )
    assert second.nodes > first.nodes
    assert isinstance(result, p.Result) and result.output.data["nodes"] == engine.isg.node_count


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "-m", "pt_tui", "worker"],  # what `pt-tui worker` / `ssh HOST pt-tui worker` run
        list(WORKER_ARGV),  # the lean default
    ],
)
def test_both_worker_entries_serve(argv: list[str]) -> None:
    client = WorkerClient(argv)
    try:
        hello = client.start(60.0)
        assert hello.version == p.PROTOCOL_VERSION and "patch" in hello.features
    finally:
        client.close()
