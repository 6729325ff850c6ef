"""The core tier: built-in verbs as the ``core`` plugin, every call timed into the tracker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from query_graphs import shop

from pt_tui.core.query.errors import QueryError
from pt_tui.core.query.registry import VERBS
from pt_tui.core.query.run import run_query
from pt_tui.core.query.verbs import BUILTIN, register_builtins
from pt_tui.sandbox.api import QueryPlugin, QueryRequest
from pt_tui.sandbox.tiers import core
from pt_tui.sandbox.tracker import Tracker


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    register_builtins()
    t = Tracker()
    yield t
    core.uninstall()


def test_install_wraps_every_builtin_once(tracker: Tracker) -> None:
    plain = {spec.name: spec.handler for spec in BUILTIN}
    plugin = core.install(tracker)
    core.install(tracker)  # idempotent: re-wrapped, not wrapped twice
    for spec in BUILTIN:
        handler = VERBS[spec.name].handler
        assert handler is not plain[spec.name]
        assert core.untimed(VERBS[spec.name]).handler is plain[spec.name]
    assert isinstance(plugin, QueryPlugin)
    assert {q.name for q in plugin.query_types()} == {s.name for s in BUILTIN}
    core.uninstall()
    assert all(VERBS[s.name].handler is plain[s.name] for s in BUILTIN)


def test_calls_are_tracked(tracker: Tracker) -> None:
    isg, _ = shop()
    core.install(tracker)
    for _ in range(5):
        run_query(isg, "callers price")
    run_query(isg, "callers place_order | callees")
    stats = tracker.stats("core", "callers")
    assert stats is not None and stats.count == 6 and stats.tier == "core" and stats.budget_us == 990
    assert 0 < stats.p50_us <= stats.max_us
    assert 0 < stats.cpu_us_mean <= stats.max_us * 1.5  # thread CPU time is measured too (clock grain)
    callees = tracker.stats("core", "callees")
    assert callees is not None and callees.count == 1
    status = tracker.status("core")
    assert status is not None and status.state == "active"


def test_errors_are_recorded_and_still_raised(tracker: Tracker) -> None:
    isg, _ = shop()
    core.install(tracker)
    with pytest.raises(QueryError):
        run_query(isg, "context nothing_like_this")
    # the unknown entity fails before the verb runs: nothing recorded for it
    assert tracker.stats("core", "context") is None


def test_wrapped_results_equal_plain_ones(tracker: Tracker) -> None:
    isg, _ = shop()
    before = run_query(isg, "callers apply_discount --depth 3").rows
    core.install(tracker)
    assert run_query(isg, "callers apply_discount --depth 3").rows == before


def test_core_plugin_generic_interface(tracker: Tracker) -> None:
    isg, n = shop()
    plugin = core.install(tracker)
    request = QueryRequest(verb="callers", entities={"entity": (n["price"].id,)})
    out = plugin.execute_query(request, isg)
    assert [r.node for r in out.rows] == [n["place_order"]]
    piped = plugin.execute_query(QueryRequest(verb="callees", inputs=(n["main"].id,)), isg)
    assert {r.node.id for r in piped.rows} == {n["place_order"].id, n["cli.parse"].id}
