"""The plugins and budget panes wired to the real plugin host, with the bundled demo registry
(offline: a local git repository made in the test's cache dir)."""

from __future__ import annotations

import re

from test_tui_support import async_test, make_app, ready, settle, tui_env  # noqa: F401
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from pt_tui.app.dashboard import DashboardApp
from pt_tui.app.screens.confirm import ConfirmAction
from pt_tui.app.widgets.budget_pane import BudgetPane
from pt_tui.app.widgets.plugins_pane import PluginsPane
from pt_tui.app.widgets.query_console import ResultsTable


def _pane(app: DashboardApp) -> PluginsPane:
    return app.dashboard.query_one(PluginsPane)


def _row(app: DashboardApp, name: str) -> tuple[str, str]:
    """(version, status) of a plugin as the plugins pane lists it."""
    plugin = next(p for p in _pane(app).plugins if p.name == name)
    return plugin.version, plugin.status


async def _ask(pilot: Pilot[None], app: DashboardApp, plugin: str, key: str) -> ConfirmAction:
    """Select ``plugin`` in the plugins pane and press an action key: the confirmation opens."""
    app.show_pane("plugins")
    await settle(pilot)
    assert _pane(app).select(plugin)
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(app.screen, ConfirmAction), [n.message for n in app._notifications]
    return app.screen


async def _confirm(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys, "y")
    await settle(pilot)
    await settle(pilot)


async def _query(pilot: Pilot[None], app: DashboardApp, text: str) -> ResultsTable:
    app.run_query(text)
    await settle(pilot)
    return app.dashboard.query_one(ResultsTable)


def _query_error(app: DashboardApp) -> str:
    return str(app.dashboard.query_one("#query-error", Static).render())


def _notes(app: DashboardApp) -> list[str]:
    return [n.message for n in app._notifications]


@async_test
async def test_demo_registry_plugins_are_listed_as_available() -> None:
    app = make_app(demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        names = {p.name: p for p in _pane(app).plugins}
        assert names["core"].status == "active" and names["core"].tier == "core"
        assert names["fan-in"].status == "available" and names["fan-in"].registry == "demo"
        assert names["fan-in"].capabilities == ("graph.read",)
        assert {"hostile-loop", "hotspots", "dead-code"} <= set(names)


@async_test
async def test_install_v1_use_its_verb_hot_swap_to_v2_and_see_the_swap_logged() -> None:
    app = make_app(demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        confirm = await _ask(pilot, app, "fan-in", "i")
        lines = "\n".join(confirm.plan.lines)
        assert "asks for: graph.read" in lines and "reviews (wasm)" in lines  # what matters, first
        assert confirm.plan.choices == ("1.0.0", "2.0.0")
        await _confirm(pilot, "k")  # pick 1.0.0
        assert any(m.startswith("installed fan-in 1.0.0") for m in _notes(app)), _notes(app)
        assert _row(app, "fan-in") == ("1.0.0", "lazy")

        results = await _query(pilot, app, "fan-in pricing_engine")
        assert results.row_count == 1, (_query_error(app), _notes(app))
        assert _row(app, "fan-in") == ("1.0.0", "active")  # loaded on first use

        confirm = await _ask(pilot, app, "fan-in", "s")
        assert confirm.plan.choices == ("2.0.0",)
        await _confirm(pilot)
        assert any("fan-in 1.0.0 (wasm) -> 2.0.0 (wasm)" in m for m in _notes(app)), _notes(app)
        assert _row(app, "fan-in") == ("2.0.0", "active")
        budget = app.dashboard.query_one(BudgetPane)
        swaps = [e for e in budget.logged if e.kind == "swapped"]
        assert swaps and swaps[-1].message == "1.0.0 -> 2.0.0" and swaps[-1].plugin == "fan-in 2.0.0"
        results = await _query(pilot, app, "fan-in pricing_engine")
        assert results.row_count == 1  # the verb keeps working on v2

        app.show_pane("budget")
        await settle(pilot)
        budget.refresh_stats()
        table = budget.query_one("#budget-table", DataTable)
        rows = {str(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(table.row_count)}
        assert str(rows["fan-in"][1]) == "2" and str(rows["fan-in"][4]) != "-"  # calls, against a budget

        await _ask(pilot, app, "fan-in", "r")
        await _confirm(pilot)
        assert _row(app, "fan-in")[0] == "1.0.0"
        assert budget.logged[-1].kind == "swapped" and budget.logged[-1].message == "2.0.0 -> 1.0.0"


@async_test
async def test_a_hostile_plugin_is_quarantined_and_shown_so() -> None:
    app = make_app(demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _ask(pilot, app, "hostile-trap", "i")
        await _confirm(pilot)
        for _ in range(3):  # three violations within the window quarantine it
            await _query(pilot, app, "search PricingEngine | hostile-trap")
        await settle(pilot)
        assert _row(app, "hostile-trap")[1] == "quarantined"
        assert _pane(app).plugins[1].name == "hostile-trap"  # troubled plugins are listed first
        kinds = [
            e.kind for e in app.dashboard.query_one(BudgetPane).logged if e.plugin.startswith("hostile-trap")
        ]
        assert kinds.count("violation") == 3 and kinds[-1] == "quarantined"
        assert any(n.title == "hostile-trap quarantined" for n in app._notifications)
        note = str(app.dashboard.query_one("#plugins-note").render())
        assert "hostile-trap quarantined" in note

        confirm = await _ask(pilot, app, "hostile-trap", "e")  # release the quarantine
        assert confirm.plan.title == "Enable hostile-trap"
        await _confirm(pilot)
        assert _row(app, "hostile-trap")[1] == "lazy"


@async_test
async def test_cancel_changes_nothing_and_disable_enable_uninstall_work() -> None:
    app = make_app(demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _ask(pilot, app, "fan-in", "i")
        await pilot.press("n")
        await settle(pilot)
        assert "Cancelled: nothing changed." in _notes(app) and _row(app, "fan-in")[1] == "available"

        await _ask(pilot, app, "fan-in", "i")
        await _confirm(pilot)
        await _ask(pilot, app, "fan-in", "e")
        await _confirm(pilot)
        assert _row(app, "fan-in")[1] == "disabled"
        table = await _query(pilot, app, "fan-in pricing_engine")
        error = str(app.dashboard.query_one("#query-error").render())
        assert "fan-in" in error and table is not None  # its verb is gone while disabled
        await _ask(pilot, app, "fan-in", "e")
        await _confirm(pilot)
        assert _row(app, "fan-in")[1] == "lazy"

        await _ask(pilot, app, "fan-in", "g")
        await _confirm(pilot)
        assert any(re.search(r"fan-in: granted graph\.read", m) for m in _notes(app)), _notes(app)

        await _ask(pilot, app, "fan-in", "x")
        await _confirm(pilot)
        assert _row(app, "fan-in")[1] == "available"  # back to what the registry offers


@async_test
async def test_promote_shows_the_scan_and_the_reviews_then_runs_native() -> None:
    app = make_app(demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _ask(pilot, app, "hotspots", "i")
        await _confirm(pilot)
        confirm = await _ask(pilot, app, "hotspots", "p")
        lines = "\n".join(confirm.plan.lines)
        assert "scan native" in lines and "reviews for sha256" in lines and "2/2" in lines
        await _confirm(pilot)
        assert any(m.startswith("promoted hotspots") for m in _notes(app)), _notes(app)
        assert next(p.tier for p in _pane(app).plugins if p.name == "hotspots") == "native"


@async_test
async def test_an_unreviewed_plugin_cannot_be_promoted() -> None:
    app = make_app(demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _ask(pilot, app, "fan-in", "i")
        await _confirm(pilot)
        app.clear_notifications()
        await pilot.press("p")
        await settle(pilot)
        assert app.screen is app.dashboard
        assert any("no native build" in m for m in _notes(app)), _notes(app)
