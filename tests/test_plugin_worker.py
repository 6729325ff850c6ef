"""The out-of-process worker: protocol, serving, and crashes or hangs contained by restarts."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from query_graphs import shop

from pt_tui.core.isg import ISG
from pt_tui.core.model import Node
from pt_tui.core.query.errors import VerbFailed
from pt_tui.core.query.run import run_query
from pt_tui.core.query.verbs import register_builtins
from pt_tui.sandbox import protocol as p
from pt_tui.sandbox.api import Capability, PerformanceBudget, QueryRequest
from pt_tui.sandbox.errors import PluginViolation, ViolationKind
from pt_tui.sandbox.manager import ManagerConfig, PluginManager, State
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.tracker import EventKind, Tracker
from pt_tui.sandbox.trust import AllowAll
from pt_tui.sandbox.worker import serve

PLUGINS = Path(__file__).resolve().parent.parent / "plugins" / "python"
CRASH = PLUGINS / "worker-crash"


def test_frames_round_trip() -> None:
    isg, n = shop()
    stream = io.BytesIO()
    messages: list[p.Message] = [
        p.Hello(),
        p.Graph(generation=3, nodes=list(isg.nodes.values()), edges=list(isg.edges())),
        p.Call(request=QueryRequest(verb="x", args={"k": ("function",)}, inputs=(n["price"].id,))),
        p.Failure(kind="trap", detail="boom"),
    ]
    for msg in messages:
        p.write_frame(stream, msg)
    stream.seek(0)
    assert [p.read_frame(stream) for _ in messages] == messages
    assert p.read_frame(stream) is None
    assert stream.getvalue()[:4] == len(p.encode(p.Hello())[4:]).to_bytes(4, "big")


def test_bad_frames() -> None:
    with pytest.raises(p.ProtocolError, match="inside a frame"):
        p.read_frame(io.BytesIO(b"\x00\x00\x00\x10abc"))
    with pytest.raises(p.ProtocolError, match="limit"):
        p.read_frame(io.BytesIO(b"\xff\xff\xff\xff"))
    with pytest.raises(p.ProtocolError, match="undecodable"):
        p.read_frame(io.BytesIO(b"\x00\x00\x00\x01\xc1"))


@settings(max_examples=300)
@given(data=st.binary(max_size=64))
def test_random_bytes_never_crash_the_reader(data: bytes) -> None:
    stream = io.BytesIO(data)
    try:
        while p.read_frame(stream) is not None:
            pass
    except p.ProtocolError:
        pass


def test_serve_in_process() -> None:
    isg, _ = shop()
    manifest = load_manifest(CRASH)
    requests: list[p.Message] = [
        p.Hello(),
        p.Call(request=QueryRequest(verb="count-worker")),  # nothing loaded yet
        p.Load(folder=str(CRASH), sha256="0" * 64, granted=(), budget=PerformanceBudget()),
        p.Load(
            folder=str(CRASH),
            sha256=manifest.sha256(CRASH),
            granted=(Capability.GRAPH_READ.value,),
            budget=manifest.performance_budget(),
        ),
        p.Graph(generation=7, nodes=list(isg.nodes.values()), edges=list(isg.edges())),
        p.Call(request=QueryRequest(verb="count-worker")),
        p.Stats(),
        p.Shutdown(),
    ]
    stdin = io.BytesIO(b"".join(p.encode(m) for m in requests))
    stdout = io.BytesIO()
    assert serve(stdin, stdout) == 0
    stdout.seek(0)
    replies = []
    while (reply := p.read_frame(stdout)) is not None:
        replies.append(reply)
    hello, unloaded, wrong_sha, loaded, graph_ok, result, stats = replies
    assert isinstance(hello, p.HelloReply) and hello.pid == os.getpid()
    assert isinstance(unloaded, p.Failure) and "no plugin" in unloaded.detail
    assert isinstance(wrong_sha, p.Failure) and "not the one the host approved" in wrong_sha.detail
    assert isinstance(loaded, p.Loaded) and loaded.name == "worker-crash"
    assert isinstance(graph_ok, p.GraphOk) and graph_ok.nodes == isg.node_count
    assert isinstance(result, p.Result) and result.output.data["nodes"] == isg.node_count
    assert isinstance(stats, p.StatsReply) and stats.calls == 1 and stats.generation == 7


@pytest.fixture
def graph() -> tuple[ISG, dict[str, Node]]:
    register_builtins()
    return shop()


@pytest.fixture
def manager(graph: tuple[ISG, dict[str, Node]]) -> Iterator[PluginManager]:
    config = ManagerConfig(calibrate=False, quarantine_after=0, worker_slack_ms=400)
    m = PluginManager(graph[0], Tracker(), None, AllowAll(), config)
    yield m
    m.close()


def _violation(exc: pytest.ExceptionInfo[VerbFailed]) -> PluginViolation:
    cause = exc.value.__cause__
    assert isinstance(cause, PluginViolation), cause
    return cause


def test_crash_and_hang_are_contained(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    isg, _ = graph
    manager.discover(CRASH, PLUGINS / "hotspots", dev=True)
    first = run_query(isg, "count-worker")
    pid = first.data["pid"]
    assert pid != os.getpid() and first.data["nodes"] == isg.node_count
    assert run_query(isg, "count-worker").data["pid"] == pid  # the same worker serves again

    with pytest.raises(VerbFailed) as crash:
        run_query(isg, "crash-worker")
    violation = _violation(crash)
    assert violation.kind is ViolationKind.TRAP and "exited (code 3)" in violation.detail
    assert run_query(isg, "hotspots").rows  # in-process plugins keep answering
    restarted = run_query(isg, "count-worker")
    assert restarted.data["pid"] != pid and restarted.data["nodes"] == isg.node_count

    with pytest.raises(VerbFailed) as hang:
        run_query(isg, "hang-worker")
    assert _violation(hang).kind is ViolationKind.TIMEOUT and "killed" in _violation(hang).detail
    assert run_query(isg, "count-worker").data["pid"] not in (pid, restarted.data["pid"])

    events = [e.kind for e in manager.tracker.recent_events()]
    assert events.count(EventKind.WORKER_RESTARTED) == 2
    stats = manager.tracker.stats("worker-crash", "count-worker")
    assert stats is not None and stats.tier == "native/worker" and stats.count == 4


def test_repeated_crashes_quarantine(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    manager.config.quarantine_after = 2
    manager.add(CRASH, dev=True)
    for _ in range(2):
        with pytest.raises(VerbFailed):
            run_query(graph[0], "crash-worker")
    assert manager.get("worker-crash").state is State.QUARANTINED
    with pytest.raises(VerbFailed, match="quarantined"):
        run_query(graph[0], "count-worker")


def test_any_plugin_can_run_in_a_worker(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    isg, _ = graph
    manager.add(PLUGINS / "largest", dev=True)
    in_process = run_query(isg, "largest --top 4").rows
    manager.remove("largest")
    manager.config.run_in["largest"] = "worker"
    manager.add(PLUGINS / "largest", dev=True)
    assert run_query(isg, "largest --top 4").rows == in_process
    assert manager.get("largest").tier == "native/worker"
