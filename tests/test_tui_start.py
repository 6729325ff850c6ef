"""What the dashboard's first frame holds and what waits: nothing heavy is imported before it, the
panes it does not need mount right after it, keys typed meanwhile wait for them, and ``pt-tui`` opens
the dashboard without importing click."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from test_tui_keys import QUERY, burst
from test_tui_support import async_test, make_app, ready, tui_env  # noqa: F401
from textual.widgets import Input

from pt_tui.app import start_gc
from pt_tui.app.cli import main
from pt_tui.app.launch import COMMAND_NAMES, plain_dashboard
from pt_tui.app.screens.dashboard import DashboardScreen

#: Modules the first frame must not wait for: the engine and the query engine, the plugin host, its
#: registries (git) and the WASM runtime, and what only later widgets need.
HEAVY = (
    "pt_tui.core.engine",
    "pt_tui.core.query",
    "pt_tui.sandbox.manager",
    "pt_tui.sandbox.registry.service",
    "git",
    "wasmtime",
    "rich.pretty",  # RichLog's (the budget log mounts after the first frame)
    "attr",
    "pt_tui.app.tour",  # the tour's steps (the tour panel imports them when it opens)
)

FIRST_FRAME_SCRIPT = """
import asyncio, json, sys
from pt_tui.app.dashboard import DashboardApp
from pt_tui.app.demo import sample_root
from pt_tui.app.widgets.base import Pane

seen = {}
app = DashboardApp(sample_root(), watch=False, cursor_blink=False)
first_frame = app._first_frame

def at_first_frame():
    seen["modules"] = sorted(sys.modules)
    seen["panes"] = {p.id: len(p.children) for p in app.dashboard.query(Pane)}
    first_frame()

app._first_frame = at_first_frame

async def run():
    async with app.run_test(size=(120, 40)) as pilot:
        while app.engine is None:
            await pilot.pause(0.02)
        seen["later"] = {p.id: len(p.children) for p in app.dashboard.query(Pane)}

asyncio.run(run())
print(json.dumps(seen))
"""


def _first_frame_in_a_fresh_process() -> dict[str, object]:
    """Run the dashboard (Pilot) in a new interpreter, so that this test process's imports do not
    count: its modules and each pane's child count at the first frame, and once the graph is built."""
    proc = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    seen: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return seen


def test_the_first_frame_waits_for_nothing_heavy_and_holds_only_the_active_pane() -> None:
    seen = _first_frame_in_a_fresh_process()
    modules = set(seen["modules"])  # type: ignore[call-overload]
    assert "textual.app" in modules and "pt_tui.app.widgets.budget_pane" in modules  # it did run
    assert sorted(modules & set(HEAVY)) == []
    assert not [m for m in modules if m.startswith(("pt_tui.sandbox", "wasmtime", "git."))]
    # the graph pane (active) is complete; the other panes are frames and titles, filled right after
    assert seen["panes"] == {"graph": 2, "query": 0, "plugins": 0, "budget": 0}
    later = seen["later"]
    assert isinstance(later, dict) and all(later[pane] > 0 for pane in ("query", "plugins", "budget"))


@async_test
async def test_keys_typed_before_the_first_frame_wait_for_the_panes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pane jump and a query typed while the screen is still mounting (before the first frame,
    when the query console has no input yet) all reach the query input, in order."""
    app = make_app()
    mounted = DashboardScreen.on_mount
    empty: list[bool] = []

    def type_at_mount(screen: DashboardScreen) -> None:
        mounted(screen)
        empty.append(app.first_frame_seconds is None and not screen.query("#query-input"))
        burst(app, "2" + QUERY)

    monkeypatch.setattr(DashboardScreen, "on_mount", type_at_mount)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert empty == [True]
        box = app.screen.query_one("#query-input", Input)
        assert box.value == QUERY and app.focused is box


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (None, False, False)),
        (["--demo"], (None, True, False)),
        (["--tour"], (None, True, True)),
        (["--tour", "--demo"], (None, True, True)),
        (["some/folder"], (Path("some/folder"), False, False)),
        (["stats"], None),  # a command
        (["stats", "."], None),
        (["--help"], None),
        (["--serve"], None),  # click parses the rest (--port N)
        (["--demo", "--demo"], None),
        (["--demo", "folder"], None),  # a mistake: click explains it
        ([".", "--demo"], None),
    ],
)
def test_the_plain_dashboard_command_lines(args: list[str], expected: object) -> None:
    assert plain_dashboard(args) == expected


def test_every_command_name_is_known_to_the_plain_launch() -> None:
    """A command missing from COMMAND_NAMES would open the dashboard on a folder of that name."""
    with click.Context(main) as ctx:
        assert set(main.list_commands(ctx)) == COMMAND_NAMES


def test_the_dashboard_modules_do_not_import_click() -> None:
    script = "import sys, pt_tui.app.launch, pt_tui.app.dashboard; print('click' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_start_gc_resumes_only_what_it_paused() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    start_gc.resume()  # not paused: nothing changes
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    try:
        start_gc.pause()
        assert not gc.isenabled()
        start_gc.resume()
        assert gc.isenabled() and gc.get_freeze_count() > frozen
    finally:
        gc.enable()
        gc.unfreeze()
