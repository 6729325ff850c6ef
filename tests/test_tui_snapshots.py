"""How the dashboard looks: each pane at 80x24 and 120x40, each theme, results, errors and help.

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and
look at the SVGs (``tests/__snapshots__/``) before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from test_tui_support import make_app, ready, settle, tui_env  # noqa: F401
from textual.pilot import Pilot
from textual.widgets import Input

from pt_tui.app.config import Config, LoadedConfig
from pt_tui.app.widgets.budget_pane import BudgetPane

WIDE = (120, 40)
SMALL = (80, 24)

Compare = Callable[..., bool]


def steps(*keys: str, query: str | None = None) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await ready(pilot)
        if query is not None:
            await pilot.press("2")
            box = pilot.app.screen.query_one("#query-input", Input)
            box.value = query
            box.cursor_position = len(query)
            await pilot.press("enter")
            await settle(pilot)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)
        await still(pilot)

    return run_before


async def still(pilot: Pilot[None]) -> None:
    """Tables size their columns on a later refresh: wait until two frames in a row agree."""
    previous = ""
    for _ in range(20):
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.05)
        frame = pilot.app.export_screenshot()
        if frame == previous:
            return
        previous = frame


def test_wide_all_four_panes(snap_compare: Compare) -> None:
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=steps())


@pytest.mark.parametrize("theme", ["light", "high-contrast", "monochrome"])
def test_themes(snap_compare: Compare, theme: str) -> None:
    app = make_app(config=LoadedConfig(Config(theme=theme)))
    assert snap_compare(app, terminal_size=WIDE, run_before=steps(query="callers Entity.describe"))


@pytest.mark.parametrize(("key", "pane"), [("1", "graph"), ("2", "query"), ("3", "plugins"), ("4", "budget")])
def test_small_terminal_one_pane_at_a_time(snap_compare: Compare, key: str, pane: str) -> None:
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps(key))


def test_graph_entity_details_and_neighbourhood(snap_compare: Compare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        app: Any = await ready(pilot)
        (node,) = app.engine.isg.by_qualname("shop.models.Entity.describe")
        app.screen.query_one("#graph").focus_entity(node.id)
        await settle(pilot)
        # the budget pane refreshes on a 1 s timer: refresh it now so the frame does not depend on
        # whether a tick fell inside the test
        app.screen.query_one(BudgetPane).refresh_stats()
        await still(pilot)

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_query_results(snap_compare: Compare) -> None:
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=steps(query="callers Entity.describe"))


def test_query_error_with_caret(snap_compare: Compare) -> None:
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps(query="callers describe --dept 2"))


def test_help_screen(snap_compare: Compare) -> None:
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=steps("question_mark"))


def test_budget_monitor_cpu_per_plugin_small(snap_compare: Compare) -> None:
    """A plugin's calls with CPU measured: its row shows CPU per call and share of wall at 80x24."""

    async def run_before(pilot: Pilot[None]) -> None:
        app: Any = await ready(pilot)
        tracker = app.plugin_session.tracker
        for wall, cpu in ((300.0, 120.0), (900.0, 150.0), (1500.0, 160.0)):
            tracker.record("fan-in", "fan-in", wall, tier="wasm", budget_us=500, cpu_us=cpu)
        await pilot.press("4")
        pane = app.screen.query_one(BudgetPane)
        pane.refresh_stats()
        table = pane.query_one("#budget-table")
        table.move_cursor(row=next(i for i, s in enumerate(pane.stats) if s.plugin == "fan-in"))
        await settle(pilot)
        await still(pilot)

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=run_before)
