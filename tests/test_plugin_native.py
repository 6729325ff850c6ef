"""Native Python plugins through the manager: useful ones answer, hostile ones are contained."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from query_graphs import GraphBuilder, shop

from pt_tui.core.isg import ISG
from pt_tui.core.model import Node, NodeKind
from pt_tui.core.query.errors import QueryError, VerbFailed
from pt_tui.core.query.registry import VERBS
from pt_tui.core.query.run import run_query
from pt_tui.core.query.verbs import register_builtins
from pt_tui.sandbox.errors import PluginViolation, Quarantined, ViolationKind
from pt_tui.sandbox.manager import ManagerConfig, PluginManager, State
from pt_tui.sandbox.tracker import EventKind, Tracker
from pt_tui.sandbox.trust import AllowAll

PLUGINS = Path(__file__).resolve().parent.parent / "plugins" / "python"


@pytest.fixture
def graph() -> tuple[ISG, dict[str, Node]]:
    register_builtins()
    return shop()


@pytest.fixture
def manager(graph: tuple[ISG, dict[str, Node]]) -> Iterator[PluginManager]:
    config = ManagerConfig(calibrate=False, quarantine_after=3)
    m = PluginManager(graph[0], Tracker(), None, AllowAll(), config)
    yield m
    m.close()


def _violation(exc: pytest.ExceptionInfo[QueryError]) -> PluginViolation:
    assert isinstance(exc.value, VerbFailed)
    cause = exc.value.__cause__
    assert isinstance(cause, PluginViolation), cause
    return cause


def test_dead_code_on_known_graph(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    isg, n = graph
    manager.add(PLUGINS / "dead-code", dev=True)
    result = run_query(isg, "dead-code")
    # describe and Book: nothing calls, uses or implements them; main, dunders and modules are entry points
    assert {r.node.id for r in result.rows} == {n["Entity.describe"].id, n["Book"].id}
    assert all(r.detail == "public: may be API" for r in result.rows)
    assert run_query(isg, "dead-code class").nodes == [n["Book"]]
    assert run_query(isg, "dead-code --scope private").rows == []


def test_composition_callers_then_dead_code(manager: PluginManager) -> None:
    register_builtins()
    b = GraphBuilder()
    mod = b.node(NodeKind.MODULE, "app", "app.py", 1, 50)
    target = b.node(NodeKind.FUNCTION, "app.target", "app.py", 2, 3, parent=mod)
    orphan = b.node(NodeKind.FUNCTION, "app.orphan", "app.py", 5, 6, parent=mod)
    used = b.node(NodeKind.FUNCTION, "app.used", "app.py", 8, 9, parent=mod)
    user = b.node(NodeKind.FUNCTION, "app.main", "app.py", 11, 12, parent=mod)
    b.edge(orphan, target)
    b.edge(used, target)
    b.edge(user, used)
    isg = b.build()
    manager._engine = isg
    manager.install_core()
    try:
        manager.add(PLUGINS / "dead-code", dev=True)
        result = run_query(isg, "callers target | dead-code")
        assert result.nodes == [orphan]
        # each stage was tracked: the built-in verb as core, the plugin as itself
        assert manager.tracker.stats("core", "callers") is not None
        stats = manager.tracker.stats("dead-code", "dead-code")
        assert stats is not None and stats.count == 1
        assert run_query(isg, "callers target | dead-code | callers").rows == []
    finally:
        from pt_tui.sandbox.tiers import core

        core.uninstall()


def test_hotspots_and_largest(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    isg, n = graph
    manager.discover(PLUGINS / "hotspots", PLUGINS / "largest", dev=True)
    top = run_query(isg, "hotspots --top 3")
    # place_order (in 1, out 2), price (in 1, out 2), validate (in 1, out 2), apply_discount (1, 2) ...
    assert len(top.rows) == 3 and top.rows[0].detail.startswith("in ")
    fan_in = run_query(isg, "hotspots --by in --top 2")
    # two calls in each; ties in qualified-name order
    assert fan_in.nodes == [n["cli.parse"], n["log"]]
    assert [r.detail for r in fan_in.rows] == ["in 2, out 0", "in 2, out 0"]
    assert run_query(isg, "hotspots --by sideways").notes
    largest = run_query(isg, "largest function --top 2")
    assert largest.nodes[0] == n["price"]  # lines 10-20
    piped = run_query(isg, "callees place_order | largest")
    assert {r.node.id for r in piped.rows} <= {n["price"].id, n["validate"].id}


def test_mermaid_context_format(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    isg, _ = graph
    manager.add(PLUGINS / "mermaid-context", dev=True)
    result = run_query(isg, "context price --format mermaid")
    assert result.text.startswith("```mermaid") and "shop.orders.place_order" in result.text
    assert result.data["callees"] == ["shop.pricing.apply_discount", "shop.models.Product.__init__"]
    manager.remove("mermaid-context")
    with pytest.raises(QueryError, match="expected one of md, json"):
        run_query(isg, "context price --format mermaid")


def test_lazy_loading(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    record = manager.add(PLUGINS / "hotspots", dev=True)
    assert "hotspots" in VERBS and record.active is None and record.state is State.DISCOVERED
    run_query(graph[0], "hotspots")
    assert record.active is not None and record.state is State.ACTIVE
    kinds = [e.kind for e in manager.tracker.recent_events()]
    assert kinds == [EventKind.DISCOVERED, EventKind.LOADED]
    manager.unload("hotspots")
    assert record.active is None and "hotspots" in VERBS
    run_query(graph[0], "hotspots")  # loads again on use
    manager.disable("hotspots")
    assert "hotspots" not in VERBS
    manager.enable("hotspots")
    assert "hotspots" in VERBS and run_query(graph[0], "hotspots").rows


def test_raising_plugin_is_a_clean_trap_and_others_keep_answering(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]]
) -> None:
    isg, _ = graph
    manager.discover(PLUGINS / "raising", PLUGINS / "hotspots", dev=True)
    with pytest.raises(VerbFailed) as info:
        run_query(isg, "explode")
    violation = _violation(info)
    assert violation.kind is ViolationKind.TRAP and "blew up" in violation.detail
    assert run_query(isg, "hotspots").rows
    assert run_query(isg, "callers price").rows  # built-ins unaffected


def test_repeated_traps_quarantine_visibly(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]]
) -> None:
    isg, _ = graph
    manager.discover(PLUGINS / "raising", PLUGINS / "hotspots", dev=True)
    for _ in range(3):
        with pytest.raises(VerbFailed):
            run_query(isg, "explode")
    record = manager.get("raising")
    assert record.state is State.QUARANTINED and "3 violations" in record.reason
    with pytest.raises(VerbFailed, match="quarantined") as info:
        run_query(isg, "explode")
    assert isinstance(info.value.__cause__, Quarantined)
    status = manager.tracker.status("raising")
    assert status is not None and status.state == "quarantined"
    assert EventKind.QUARANTINED in [e.kind for e in manager.tracker.recent_events()]
    assert run_query(isg, "hotspots").rows
    manager.release("raising")
    with pytest.raises(VerbFailed) as again:
        run_query(isg, "explode")
    assert _violation(again).kind is ViolationKind.TRAP  # released: it runs (and fails) again


def test_slow_plugin_overruns_are_quarantined(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]]
) -> None:
    isg, _ = graph
    manager.discover(PLUGINS / "slow-native", PLUGINS / "largest", dev=True)
    for _ in range(3):
        assert run_query(isg, "slow --ms 3").text == "finally done"  # late answers still arrive
    record = manager.get("slow-native")
    why = (record.reason, list(record.violations), manager.tracker.stats("slow-native", "slow"))
    assert record.state is State.QUARANTINED and "timeout" in record.reason, why
    stats = manager.tracker.stats("slow-native", "slow")
    assert stats is not None and stats.violations["timeout"] == 3 and stats.max_us >= 3000
    with pytest.raises(VerbFailed, match="quarantined"):
        run_query(isg, "slow")
    assert run_query(isg, "largest").rows


def test_malformed_outputs(manager: PluginManager, graph: tuple[ISG, dict[str, Node]]) -> None:
    isg, _ = graph
    manager.config.quarantine_after = 0  # never: this test counts each kind
    manager.add(PLUGINS / "malformed", dev=True)
    with pytest.raises(VerbFailed) as info:
        run_query(isg, "garbage")
    assert _violation(info).kind is ViolationKind.MALFORMED
    with pytest.raises(VerbFailed) as fake:
        run_query(isg, "garbage --mode fake-node")
    assert "not in the graph" in _violation(fake).detail
    huge = run_query(isg, "garbage --mode huge")
    assert len(huge.rows) == manager.config.result_limit and any("cut to" in note for note in huge.notes)


def test_undeclared_capability_is_refused_by_name(
    manager: PluginManager, graph: tuple[ISG, dict[str, Node]]
) -> None:
    isg, _ = graph
    manager.discover(PLUGINS / "sneaky", PLUGINS / "hotspots", dev=True)
    with pytest.raises(VerbFailed) as info:
        run_query(isg, "sneak")
    violation = _violation(info)
    assert violation.kind is ViolationKind.CAPABILITY and "'fs.read'" in violation.detail
    assert run_query(isg, "hotspots").rows


def test_memory_is_sampled(graph: tuple[ISG, dict[str, Node]]) -> None:
    config = ManagerConfig(calibrate=False, memory_sample_every=2)
    with PluginManager(graph[0], Tracker(), None, AllowAll(), config) as m:
        m.add(PLUGINS / "largest", dev=True)
        for _ in range(4):
            run_query(graph[0], "largest")
        stats = m.tracker.stats("largest", "largest")
        assert stats is not None and stats.memory_samples == 2 and stats.memory_mb_max > 0


def test_verb_conflicts_are_refused(manager: PluginManager, tmp_path: Path) -> None:
    folder = tmp_path / "clash"
    folder.mkdir()
    (folder / "plugin.toml").write_text(
        (PLUGINS / "hotspots" / "plugin.toml")
        .read_text()
        .replace('name = "hotspots"\n', 'name = "clash"\n', 1)
    )
    (folder / "hotspots.py").write_text((PLUGINS / "hotspots" / "hotspots.py").read_text())
    manager.add(PLUGINS / "hotspots", dev=True)
    with pytest.raises(Exception, match="already registered"):
        manager.add(folder, dev=True)
    assert manager.get("clash").state is State.FAILED
    callers = tmp_path / "callers"
    callers.mkdir()
    (callers / "plugin.toml").write_text(
        (folder / "plugin.toml")
        .read_text()
        .replace('name = "clash"', 'name = "callers-clash"')
        .replace('{ name = "hotspots"', '{ name = "callers"')
    )
    (callers / "hotspots.py").write_text("")
    register_builtins()
    with pytest.raises(Exception, match="'callers' is already registered by core"):
        manager.add(callers, dev=True)


def test_memory_bomb_is_measured_and_quarantined(graph: tuple[ISG, dict[str, Node]]) -> None:
    isg, _ = graph
    folder = Path(__file__).resolve().parent / "fixtures" / "plugins_native" / "memory-bomb"
    config = ManagerConfig(calibrate=False, memory_sample_every=1, quarantine_after=2)
    with PluginManager(isg, Tracker(), None, AllowAll(), config) as m:
        m.discover(folder, PLUGINS / "largest", dev=True)
        for _ in range(2):
            assert run_query(isg, "bomb").text  # the memory came back: the answer stands, the overrun counts
        stats = m.tracker.stats("memory-bomb", "bomb")
        assert stats is not None and stats.memory_mb_max >= 40 and stats.violations["memory"] == 2
        assert m.get("memory-bomb").state is State.QUARANTINED and "memory" in m.get("memory-bomb").reason
        assert run_query(isg, "largest").rows
