"""Keys typed ahead of the app: a burst (as a terminal delivers type-ahead while the app is busy)
reaches the widget it was meant for, and digits are text in an input, pane jumps elsewhere."""

from __future__ import annotations

import pytest
from test_tui_support import async_test, make_app, ready, settle, tui_env  # noqa: F401
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input

from pt_tui.app.dashboard import DashboardApp
from pt_tui.app.screens.dashboard import DashboardScreen

QUERY = "callers Entity.describe"


def burst(app: DashboardApp, text: str) -> None:
    """Queue every key before the app handles the first, as the terminal driver does with type-ahead
    (``pilot.press`` waits for each key to be handled, which hides ordering bugs)."""
    for char in text:
        app.post_message(events.Key(_character_to_key(char), char))


def _active(app: DashboardApp) -> str:
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return screen.active_pane


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
@async_test
async def test_typing_right_after_the_first_frame_reaches_the_query_input(size: tuple[int, int]) -> None:
    app = make_app()
    first_frame = app._first_frame
    indexing: list[bool] = []

    def type_at_first_frame() -> None:
        first_frame()  # the first frame is painted and the ingest worker started: type at once
        indexing.append(app.engine is None and app.plugin_session is None)
        burst(app, "2" + QUERY)

    app._first_frame = type_at_first_frame  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        assert indexing == [True]  # typed while the graph was being built, before the plugin host
        box = app.screen.query_one("#query-input", Input)
        assert box.value == QUERY  # every character arrived, in order
        assert app.focused is box and _active(app) == "query"


@async_test
async def test_slash_then_typing_at_once_fills_the_filter() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        burst(app, "/describe")
        await settle(pilot)
        box = app.screen.query_one("#graph-filter", Input)
        assert box.value == "describe" and app.focused is box


@async_test
async def test_digits_are_text_in_an_input_and_jump_to_panes_elsewhere() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        box = app.screen.query_one("#query-input", Input)
        assert app.focused is box
        await pilot.press(*"callers x --depth 2", "1", "3", "4")
        assert box.value == "callers x --depth 2134" and _active(app) == "query"
        burst(app, "56")  # a burst too
        await settle(pilot)
        assert box.value.endswith("2134 56".replace(" ", "")) and app.focused is box
        await pilot.press("slash", "1", "2")  # "/" is text in the query line as well
        assert box.value.endswith("/12")
        await pilot.press("escape")  # out of the input: digits jump again
        assert app.focused is not box
        await pilot.press("3")
        assert _active(app) == "plugins"
        await pilot.press("1", "slash", "4", "2")
        graph_filter = app.screen.query_one("#graph-filter", Input)
        assert app.focused is graph_filter and graph_filter.value == "42" and _active(app) == "graph"
