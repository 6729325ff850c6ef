"""The manager: hot-swap under load, rollback, failed swaps, state hand-over, graph updates."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from query_graphs import shop

from pt_tui.core.diff import GraphDiff
from pt_tui.core.isg import ISG
from pt_tui.core.model import Node
from pt_tui.core.query.errors import VerbFailed
from pt_tui.core.query.registry import VERBS
from pt_tui.core.query.run import run_query
from pt_tui.core.query.verbs import register_builtins
from pt_tui.sandbox.errors import ManifestError, PluginError
from pt_tui.sandbox.manager import ManagerConfig, PluginManager, State
from pt_tui.sandbox.tracker import EventKind, Tracker
from pt_tui.sandbox.trust import AllowAll

PLUGINS = Path(__file__).resolve().parent.parent / "plugins" / "python"


def _version(tmp_path: Path, source: str, version: str, *, marker: str = "", broken: bool = False) -> Path:
    """A copy of a plugin folder at another version; ``marker`` is appended to every row's detail."""
    folder = tmp_path / f"{source}-{version}"
    shutil.copytree(PLUGINS / source, folder)
    toml = folder / "plugin.toml"
    toml.write_text(toml.read_text().replace('version = "1.0.0"', f'version = "{version}"', 1))
    if marker:
        module = next(p for p in folder.glob("*.py"))
        text = module.read_text().replace(
            'detail=f"in {fan_in}, out {fan_out}"', f'detail=f"in {{fan_in}} {marker}"'
        )
        module.write_text(text)
    if broken:
        next(p for p in folder.glob("*.py")).write_text("raise ImportError('this version is broken')\n")
    return folder


@pytest.fixture
def graph() -> tuple[ISG, dict[str, Node]]:
    register_builtins()
    return shop()


@pytest.fixture
def manager(graph: tuple[ISG, dict[str, Node]]) -> Iterator[PluginManager]:
    m = PluginManager(graph[0], Tracker(), None, AllowAll(), ManagerConfig(calibrate=False))
    yield m
    m.close()


def test_hot_swap_under_load_fails_no_query(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]], tmp_path: Path
) -> None:
    isg, _ = graph
    manager.config.quarantine_after = 0  # this test is about atomic switching, not about budgets
    v1 = _version(tmp_path, "hotspots", "1.0.0", marker="v1")
    v2 = _version(tmp_path, "hotspots", "2.0.0", marker="v2")
    manager.add(v1, dev=True)
    stop = threading.Event()
    failures: list[str] = []
    seen: set[str] = set()
    counts = [0] * 6

    def query(n: int) -> None:
        while not stop.is_set():
            try:
                result = run_query(isg, "hotspots --top 3")
                seen.update(r.detail.split()[-1] for r in result.rows)
                assert len(result.rows) == 3
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            counts[n] += 1

    threads = [threading.Thread(target=query, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    try:
        for i in range(50):
            manager.swap("hotspots", v2 if i % 2 == 0 else v1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert sum(counts) > 50 and seen == {"v1", "v2"}
    swaps = [e for e in manager.tracker.recent_events() if e.kind == EventKind.SWAPPED]
    assert len(swaps) == 50
    assert manager.get("hotspots").version == "1.0.0"


def test_failed_swap_leaves_the_old_version_running(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]], tmp_path: Path
) -> None:
    isg, _ = graph
    manager.add(PLUGINS / "hotspots", dev=True)
    before = run_query(isg, "hotspots").rows
    broken = _version(tmp_path, "hotspots", "9.0.0", broken=True)
    with pytest.raises(PluginError, match="this version is broken"):
        manager.swap("hotspots", broken)
    bad_manifest = tmp_path / "bad"
    shutil.copytree(PLUGINS / "hotspots", bad_manifest)
    (bad_manifest / "plugin.toml").write_text('name = "hotspots"\nversion = "nope"\n')
    with pytest.raises(ManifestError):
        manager.swap("hotspots", bad_manifest)
    other = _version(tmp_path, "largest", "3.0.0")
    with pytest.raises(PluginError, match="not 'hotspots'"):
        manager.swap("hotspots", other)
    assert manager.get("hotspots").version == "1.0.0" and manager.get("hotspots").state is State.ACTIVE
    assert run_query(isg, "hotspots").rows == before
    kinds = [e.kind for e in manager.tracker.recent_events()]
    assert kinds.count(EventKind.SWAP_FAILED) == 3


def test_rollback(manager: PluginManager, graph: tuple[ISG, dict[str, Node]], tmp_path: Path) -> None:
    isg, _ = graph
    manager.add(_version(tmp_path, "hotspots", "1.0.0", marker="v1"), dev=True)
    with pytest.raises(PluginError, match="no previous version"):
        manager.rollback("hotspots")
    manager.swap("hotspots", _version(tmp_path, "hotspots", "2.0.0", marker="v2"))
    assert run_query(isg, "hotspots").rows[0].detail.endswith("v2")
    manager.rollback("hotspots")
    assert manager.get("hotspots").version == "1.0.0"
    assert run_query(isg, "hotspots").rows[0].detail.endswith("v1")
    manager.rollback("hotspots")  # and forward again
    assert manager.get("hotspots").version == "2.0.0"
    assert EventKind.ROLLED_BACK in [e.kind for e in manager.tracker.recent_events()]


def test_swap_hands_state_over(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]], tmp_path: Path
) -> None:
    isg, _ = graph
    manager.add(PLUGINS / "dead-code", dev=True)
    run_query(isg, "dead-code")  # fills the whole-graph cache
    old = manager.get("dead-code").active
    assert old is not None and old.plugin.instance._cache
    new = manager.swap("dead-code", _version(tmp_path, "dead-code", "1.1.0"))
    assert new.plugin.instance._cache is old.plugin.instance._cache


def test_swap_changes_the_verbs(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]], tmp_path: Path
) -> None:
    manager.add(PLUGINS / "hotspots", dev=True)
    renamed = _version(tmp_path, "hotspots", "2.0.0")
    toml = renamed / "plugin.toml"
    toml.write_text(toml.read_text().replace('{ name = "hotspots"', '{ name = "fan"'))
    manager.swap("hotspots", renamed)
    assert "fan" in VERBS and "hotspots" not in VERBS
    assert run_query(graph[0], "fan --top 1").rows
    manager.rollback("hotspots")
    assert "hotspots" in VERBS and "fan" not in VERBS


def test_graph_updates_are_forwarded(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    isg, _ = graph
    manager.add(PLUGINS / "hotspots", dev=True)
    run_query(isg, "hotspots")
    loaded = manager.get("hotspots").active
    assert loaded is not None and loaded.plugin.instance._ranked
    manager.on_graph_update(GraphDiff(generation=2))
    assert loaded.plugin.instance._ranked == {}
    stats = manager.tracker.stats("hotspots", "on_graph_update")
    assert stats is not None and stats.count == 1 and stats.budget_us == 12_000


def test_engine_subscription(graph: tuple[ISG, dict[str, Node]]) -> None:
    class FakeEngine:
        def __init__(self, isg: ISG) -> None:
            self.isg = isg
            self.root = None
            self.callbacks: list[object] = []

        def subscribe(self, callback: object) -> object:
            self.callbacks.append(callback)
            return lambda: self.callbacks.remove(callback)

    engine = FakeEngine(graph[0])
    m = PluginManager(engine, Tracker(), None, AllowAll(), ManagerConfig(calibrate=False))
    assert engine.callbacks == [m.on_graph_update] and m.graph() is graph[0]
    m.close()
    assert engine.callbacks == []


def test_discover_records_invalid_plugins(manager: PluginManager, tmp_path: Path) -> None:
    good = _version(tmp_path / "plugins", "largest", "1.0.0")
    bad = tmp_path / "plugins" / "bad"
    bad.mkdir()
    (bad / "plugin.toml").write_text('name = "bad"\nversion = "1.0.0"\ntier = "wasm"\n')
    found = manager.discover(tmp_path / "plugins", dev=True)
    assert [r.name for r in found] == ["largest"] and found[0].folder == good.resolve()
    failed = [s for s in manager.tracker.snapshot().plugins if s.state == "failed"]
    assert failed and "budget" in failed[0].reason


def test_load_failure_is_recorded_and_retried(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]], tmp_path: Path
) -> None:
    folder = _version(tmp_path, "hotspots", "1.0.0")
    module = folder / "hotspots.py"
    good = module.read_text()
    module.write_text("raise RuntimeError('not today')\n")
    manager.add(folder, dev=True)
    with pytest.raises(VerbFailed, match="not today"):
        run_query(graph[0], "hotspots")
    assert manager.get("hotspots").state is State.FAILED
    module.write_text(good)
    assert run_query(graph[0], "hotspots").rows  # the next use tries again
    assert manager.get("hotspots").state is State.ACTIVE


def test_real_engine_updates_reach_plugins(tmp_path: Path) -> None:
    from pt_tui.core.engine import Engine

    register_builtins()
    (tmp_path / "app.py").write_text("def a():\n    return b()\n\n\ndef b():\n    return 1\n")
    engine = Engine(tmp_path)
    engine.index()
    with PluginManager(engine, Tracker(), None, AllowAll(), ManagerConfig(calibrate=False)) as manager:
        manager.add(PLUGINS / "dead-code", dev=True)
        assert [r.node.name for r in run_query(engine.isg, "dead-code").rows] == ["a"]
        (tmp_path / "app.py").write_text(
            "def a():\n    return b()\n\n\ndef b():\n    return 1\n\n\ndef c():\n    pass\n"
        )
        engine.update(["app.py"])
        stats = manager.tracker.stats("dead-code", "on_graph_update")
        assert stats is None  # dead-code has no update hook: its cache is keyed by generation instead
        assert sorted(r.node.name for r in run_query(engine.isg, "dead-code").rows) == ["a", "c"]
        manager.add(PLUGINS / "hotspots", dev=True)
        run_query(engine.isg, "hotspots")
        (tmp_path / "app.py").write_text("def a():\n    return b()\n\n\ndef b():\n    return a()\n")
        engine.update(["app.py"])
        hook = manager.tracker.stats("hotspots", "on_graph_update")
        assert hook is not None and hook.count == 1


WAT = PLUGINS.parent / "wat"


def test_wasm_plugin_loads_composes_and_hot_swaps(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]]
) -> None:
    """The WASM tier through the manager: lazy load with prepare(isg), a pipeline, a live swap to v2."""
    isg, _ = graph
    manager.add(WAT / "fan-in", dev=True)
    first = run_query(isg, "search * --kind method | fan-in")
    assert first.rows and all(row.node.kind.value == "method" for row in first.rows)
    active = manager.get("fan-in").active
    assert active is not None and active.manifest.version == "1.0.0"
    manager.swap("fan-in", WAT / "fan-in-v2")
    swapped = manager.get("fan-in").active
    assert swapped is not None and swapped.manifest.version != "1.0.0"
    second = run_query(isg, "search * --kind method | fan-in")
    assert [r.node.id for r in second.rows] == [r.node.id for r in first.rows]
    assert [r.via for r in second.rows] != [r.via for r in first.rows]  # v2 labels its rows differently
