"""Budgets in the dashboard: the user's config budgets reach the plugin manager (shown and enforced),
and the budget monitor shows CPU per call next to the latencies, at 80x24 too."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from test_tui_support import FROZEN_CPU_PERCENT, FROZEN_TIME, async_test, make_app, ready, settle, tui_env  # noqa: F401
from textual.widgets import DataTable

from pt_tui.app.config import BudgetConfig, Config, LoadedConfig, load_config
from pt_tui.app.services import budget_stats as real_budget_stats  # before tui_env freezes it
from pt_tui.app.widgets.budget_pane import BudgetPane
from pt_tui.app.widgets.plugins_pane import PluginsPane

SPIN_MANIFEST = """\
name = "spinner"
version = "1.0.0"
description = "test fixture: spends 450 us of CPU per call"
tier = "native"
kind = "query"
query_types = [{ name = "spin", help = "spends 450 us of CPU" }]

[artifact]
entry = "spin:Spin"

[budget]
max_query_time_us = 900
"""

SPIN_CODE = """\
import time

from pt_tui.core.query.result import Output


class Spin:
    def execute_query(self, query, isg):
        start = time.thread_time()
        while time.thread_time() - start < 0.00045:  # CPU time: the same on a busy machine
            pass
        return Output(text="spun")
"""


def spinner(folder: Path) -> Path:
    """A dev plugin whose one verb takes 450 us of CPU: within its manifest's 900 us budget, over a
    300 us user budget, and under 3x that (the load-time calibration would refuse it otherwise)."""
    folder.mkdir()
    (folder / "plugin.toml").write_text(SPIN_MANIFEST)
    (folder / "spin.py").write_text(SPIN_CODE)
    return folder


def test_budgets_are_validated_and_unset_fields_do_not_tighten(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[budgets.spinner]\nmax_query_time_us = 0\n")
    errors = load_config(tmp_path).errors
    assert len(errors) == 1 and "budgets.spinner.max_query_time_us" in errors[0]
    (tmp_path / "config.toml").write_text("[budgets.spinner]\nmax_memory_mb = 2.5\n")
    loaded = load_config(tmp_path)
    assert loaded.errors == []
    override = loaded.budget_overrides()["spinner"]
    assert override.max_memory_mb == 2.5
    from pt_tui.sandbox.api import PerformanceBudget
    from pt_tui.sandbox.budget import tighten

    manifest = PerformanceBudget(max_query_time_us=900, max_memory_mb=5.0, max_cpu_percent=100.0)
    assert tighten(manifest, override) == msgspec.structs.replace(manifest, max_memory_mb=2.5)


@async_test
async def test_a_config_budget_tighter_than_the_manifest_is_shown_and_enforced(tmp_path: Path) -> None:
    folder = spinner(tmp_path / "spinner")
    config = LoadedConfig(Config(budgets={"spinner": BudgetConfig(max_query_time_us=300)}))
    app = make_app(config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        session = app.plugin_session
        assert session is not None
        assert session.manager.config.budgets["spinner"].max_query_time_us == 300
        session.manager.add(folder, dev=True)
        pane = app.dashboard.query_one(PluginsPane)
        pane.refresh_plugins()
        await settle(pilot)
        row = next(p for p in pane.plugins if p.name == "spinner")
        assert (row.status, row.budget_us) == ("lazy", 300)  # the user's budget, not the manifest's 900
        app.run_query("spin")
        await settle(pilot)
        row = next(p for p in pane.plugins if p.name == "spinner")
        assert (row.status, row.budget_us) == ("active", 300)  # loaded with it
        stats = session.tracker.stats("spinner", "spin")
        assert stats is not None and stats.count == 1 and stats.budget_us == 300
        assert stats.violations.get("timeout") == 1  # 450 us of CPU > 300 us: enforced
        budget = app.dashboard.query_one(BudgetPane)
        budget.refresh_stats()
        shown = next(s for s in budget.stats if (s.plugin, s.query) == ("spinner", "spin"))
        assert shown.budget_us == 300 and shown.violations == 1


@async_test
async def test_budget_monitor_shows_cpu_per_call_and_share_of_wall() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        session = app.plugin_session
        assert session is not None
        for wall, cpu in ((200.0, 90.0), (600.0, 110.0)):
            session.tracker.record("spinner", "spin", wall, tier="native", budget_us=900, cpu_us=cpu)
        measured = next(s for s in real_budget_stats(session) if s.plugin == "spinner")
        assert measured.cpu_us == pytest.approx(100.0) and measured.cpu_percent == pytest.approx(25.0)
        await pilot.press("4")
        pane = app.dashboard.query_one(BudgetPane)
        pane.refresh_stats()
        await settle(pilot)
        table = pane.query_one("#budget-table", DataTable)
        titles = [str(c.label) for c in table.columns.values()]
        assert titles[:5] == ["plugin", "calls", "p50", "p99", "cpu/call"]
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        spin = next(r for r in rows if r[0] == "spinner spin")
        assert spin[4] == f"{FROZEN_TIME} {FROZEN_CPU_PERCENT:.0f}%"
        assert all(r[4] == "-" for r in rows if r[0].startswith("core"))  # the core tier measures no CPU
        # every column fits the 80-column terminal: nothing to scroll to
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.size.width
        table.move_cursor(row=rows.index(spin))
        await settle(pilot)
        caption = str(pane.query_one("#budget-caption").render())
        assert f"cpu {FROZEN_TIME} {FROZEN_CPU_PERCENT:.0f}% of wall" in caption
