"""The query console: running, results, latency, errors with a caret, history, completion, jumps."""

from __future__ import annotations

from pathlib import Path

from test_tui_support import FROZEN_TIME, async_test, make_app, ready, settle, tui_env  # noqa: F401
from textual.widgets import DataTable, Input, Static

from pt_tui.app.config import data_dir
from pt_tui.app.history import HISTORY_FILE, QueryHistory
from pt_tui.app.widgets.entity_tree import EntityTree
from pt_tui.app.widgets.graph_pane import GraphPane
from pt_tui.app.widgets.query_console import QueryConsole, ResultsTable, replace_last_token


async def _type_query(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("2")
    box = pilot.app.screen.query_one("#query-input", Input)
    box.value = text
    box.cursor_position = len(text)
    await pilot.press("enter")
    await settle(pilot)


@async_test
async def test_a_query_fills_the_table_and_reports_its_latency() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _type_query(pilot, "callers Entity.describe")
        table = app.screen.query_one(ResultsTable)
        assert table.row_count >= 1
        qualnames = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert "shop.models.Product.label" in qualnames or qualnames
        hint = str(app.screen.query_one("#query-hint", Static).render())
        assert f"{table.row_count} rows in {FROZEN_TIME}" in hint
        assert app.plugin_session is not None
        stats = app.plugin_session.tracker.stats("core", "callers")
        assert stats is not None and stats.count == 1  # timed by the core tier into the session's tracker
        budget_rows = app.screen.query_one("#budget-table", DataTable)
        names = [str(budget_rows.get_row_at(i)[0]) for i in range(budget_rows.row_count)]
        assert "core callers" in names  # the budget monitor shows it


@async_test
async def test_a_pipeline_runs_in_a_worker() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _type_query(pilot, "search 'from_*' --kind method | callers")
        table = app.screen.query_one(ResultsTable)
        assert table.row_count > 0
        assert not app.screen.query_one("#query-error").display


@async_test
async def test_errors_are_inline_with_a_caret_at_the_column() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _type_query(pilot, "callers describe --dept 2")
        box = app.screen.query_one("#query-error", Static)
        assert box.display
        lines = str(box.render()).splitlines()
        assert lines[0] == "callers describe --dept 2"
        assert lines[1] == " " * lines[1].index("^") + "^"
        assert lines[1].index("^") == lines[0].index("--dept")
        assert "column" in lines[2]
        await _type_query(pilot, "stats")
        assert not box.display


@async_test
async def test_text_results_are_shown_below_the_table() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _type_query(pilot, "stats")
        assert app.screen.query_one("#query-text-box").display
        assert "nodes" in str(app.screen.query_one("#query-text", Static).render())
        await pilot.press("ctrl+l")
        assert not app.screen.query_one("#query-text-box").display


@async_test
async def test_history_up_down_and_persisted_in_the_data_dir(tui_env: Path) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _type_query(pilot, "stats")
        await _type_query(pilot, "cycles imports")
        box = app.screen.query_one("#query-input", Input)
        box.focus()
        box.value = ""
        await pilot.press("up")
        assert box.value == "cycles imports"
        await pilot.press("up")
        assert box.value == "stats"
        await pilot.press("down")
        assert box.value == "cycles imports"
        await pilot.press("down")
        assert box.value == ""
    saved = (data_dir() / HISTORY_FILE).read_text().splitlines()
    assert saved == ["stats", "cycles imports"]
    assert str(data_dir()).startswith(str(tui_env))
    assert QueryHistory(data_dir() / HISTORY_FILE).recent(1) == ["cycles imports"]


@async_test
async def test_tab_completes_verbs_and_entity_names() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("2", *"callee", "tab")
        box = app.screen.query_one("#query-input", Input)
        assert box.value == "callees "
        await pilot.press(*"OrderServ", "tab")
        assert box.value.startswith("callees OrderService")
        hint = str(app.screen.query_one("#query-hint", Static).render())
        assert hint.startswith("tab ▸") or "OrderService" in box.value


def test_replace_last_token() -> None:
    assert replace_last_token("callers Ent", "Entity") == "callers Entity"
    assert replace_last_token("search x | cal", "callers") == "search x | callers"
    assert replace_last_token("", "stats") == "stats"


@async_test
async def test_enter_on_a_result_focuses_it_in_the_graph_pane() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await _type_query(pilot, "search Order --kind class")
        table = app.screen.query_one(ResultsTable)
        assert table.row_count >= 1
        await pilot.press("escape")
        assert table.has_focus
        await pilot.press("j", "k", "enter")
        await settle(pilot)
        (order,) = app.engine.isg.by_qualname(str(table.get_row_at(0)[1]))  # type: ignore[union-attr]
        graph = app.screen.query_one(GraphPane)
        assert graph.selected == order.id
        tree = app.screen.query_one(EntityTree)
        assert tree.has_focus and tree.cursor_node is not None and tree.cursor_node.data == order.id


@async_test
async def test_a_query_before_the_graph_exists_is_refused_politely() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        console = app.screen.query_one(QueryConsole)
        if console.engine is None:  # usually still indexing right after start
            console.submit("stats")
            await pilot.pause()
            assert any("still being built" in n.message for n in app._notifications)
        await ready(pilot)
