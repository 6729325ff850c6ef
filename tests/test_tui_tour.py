"""The onboarding tour (``pt-tui --demo --tour``): the whole story played through the real dashboard and
plugin host with the bundled demo registry, its panel at 80x24 and 120x40, and leaving it.

Update the snapshots after an intended change with ``pytest tests/test_tui_tour.py --snapshot-update``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_tui_snapshots import still
from test_tui_support import async_test, make_app, ready, settle, tui_env  # noqa: F401
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from pt_tui.app import demo_state, tour
from pt_tui.app import launch as launch_module
from pt_tui.app.cli import main
from pt_tui.app.commands import DashboardCommands
from pt_tui.app.config import LoadedConfig
from pt_tui.app.dashboard import DashboardApp
from pt_tui.app.demo import sample_root
from pt_tui.app.widgets.budget_pane import BudgetPane
from pt_tui.app.widgets.plugins_pane import PluginsPane
from pt_tui.app.widgets.tour_panel import TourPanel

WIDE = (120, 40)
SMALL = (80, 24)


def tour_app() -> DashboardApp:
    """What ``pt-tui --demo --tour`` opens (without the file watcher or cursor blink)."""
    return DashboardApp(
        sample_root(), config=LoadedConfig(), watch=False, cursor_blink=False, demo=True, tour=True
    )


def _panel(app: DashboardApp) -> TourPanel:
    return app.dashboard.query_one(TourPanel)


def _text(app: DashboardApp, selector: str) -> str:
    return str(app.dashboard.query_one(selector, Static).render())


def _plugin(app: DashboardApp, name: str) -> tuple[str, str, str, str]:
    """(version, tier, status, reason) as the plugins pane lists it."""
    row = next(p for p in app.dashboard.query_one(PluginsPane).plugins if p.name == name)
    return row.version, row.tier, row.status, row.reason


def _log(app: DashboardApp, plugin: str) -> list[tuple[str, str]]:
    """(kind, message) of the budget monitor's log lines about ``plugin``."""
    logged = app.dashboard.query_one(BudgetPane).logged
    return [(e.kind, e.message) for e in logged if e.plugin.split(" ")[0] == plugin]


async def _step(pilot: Pilot[None], key: str = "n") -> tour.Outcome:
    """Press ``key`` on the tour panel and wait for the step it starts to finish."""
    app = pilot.app
    assert isinstance(app, DashboardApp)
    panel = _panel(app)
    await pilot.press(key)
    for _ in range(3000):
        if panel.running is None:
            break
        await pilot.pause(0.05)
    await settle(pilot)
    assert panel.running is None, "the step did not finish"
    assert app.focused is panel, "the tour keys must keep working where the step led"
    return panel.outcomes[panel.index]


async def _tour_ready(pilot: Pilot[None]) -> DashboardApp:
    app = await ready(pilot)
    # The sandbox judges time (a call over its budget is a violation; a load measures the plugin
    # first). This shared test machine is too noisy for that to be a property of the tour: judge no
    # call by its time here. The hostile plugins are stopped by fuel, a memory cap and a refused
    # import, which do not depend on the clock.
    assert app.plugin_session is not None
    config = app.plugin_session.manager.config
    config.overrun_factor, config.calibrate = 1e6, False
    return app


@async_test
async def test_the_whole_tour_shows_each_step_in_its_pane() -> None:
    app = tour_app()
    async with app.run_test(size=WIDE) as pilot:
        await _tour_ready(pilot)
        panel = _panel(app)
        assert panel.index == 0 and app.focused is panel
        assert "Tour 1/9 · Welcome" in str(panel.border_title)

        # 1. a query in the console
        outcome = await _step(pilot)
        assert outcome.ok and app.dashboard.active_pane == "query"
        assert app.dashboard.query_one("#query-results", DataTable).row_count == 4
        assert "4 rows in" in _text(app, "#query-hint")
        assert "callers Entity.describe: 4 rows" in _text(app, "#tour-result")

        # 2. fan-in 1.0.0 installed from the registry, its verb used
        outcome = await _step(pilot)
        assert outcome.ok and app.dashboard.active_pane == "plugins", outcome
        assert _plugin(app, "fan-in")[:3] == ("1.0.0", "wasm", "active")
        assert app.dashboard.query_one("#query-results", DataTable).row_count == 1

        # 3. hot-swapped to 2.0.0 while a loop kept querying it
        outcome = await _step(pilot)
        assert outcome.ok and app.dashboard.active_pane == "budget", outcome
        assert outcome.figures["answered"] > 0 and outcome.figures["failed"] == 0
        assert f"while {outcome.figures['answered']:.0f} queries ran" in outcome.line
        assert "none failed" in _text(app, "#tour-result")
        assert _plugin(app, "fan-in")[:3] == ("2.0.0", "wasm", "active")
        assert ("swapped", "1.0.0 -> 2.0.0") in _log(app, "fan-in")

        # 4. the runaway stopped by its deadline, three times, then quarantined
        outcome = await _step(pilot)
        assert outcome.ok and app.dashboard.active_pane == "budget", outcome
        log = _log(app, "hostile-loop")
        assert [kind for kind, _ in log] == ["violation"] * 3 + ["quarantined"]
        assert "out of fuel" in log[0][1]
        assert _plugin(app, "hostile-loop")[2] == "quarantined"
        assert "out of fuel" in _text(app, "#query-error")

        # 5. the memory hog capped
        outcome = await _step(pilot)
        assert outcome.ok, outcome
        log = _log(app, "hostile-memory")
        assert [kind for kind, _ in log] == ["violation"] * 3 + ["quarantined"]
        assert "memory limit" in log[0][1]
        assert _plugin(app, "hostile-memory")[2] == "quarantined"

        # 6. the capability violator refused, with the reason
        outcome = await _step(pilot)
        assert outcome.ok and app.dashboard.active_pane == "query", outcome
        _version, _tier, status, reason = _plugin(app, "hostile-capability")
        assert status == "failed" and "capability 'source.read' refused" in reason
        assert any(kind == "load-failed" for kind, _ in _log(app, "hostile-capability"))
        assert "CapabilityRefused" in _text(app, "#query-error")
        assert "refused: capability 'source.read' refused" in _text(app, "#tour-result")

        # 7. hotspots promoted to native after its reviews, with both p50s from the tracker
        outcome = await _step(pilot)
        assert outcome.ok and app.dashboard.active_pane == "budget", outcome
        assert _plugin(app, "hotspots")[1] == "native"
        assert "approved by demo-alice, demo-bob" in outcome.line
        assert outcome.figures["wasm_p50_us"] > 0 and outcome.figures["native_p50_us"] > 0
        assert "WASM ‹t› -> native ‹t›" in _text(app, "#tour-result")  # measured times are frozen here

        # the end; going back shows a step again without running it again
        await pilot.press("n")
        await settle(pilot)
        assert panel.index == 8 and "That's the tour" in str(panel.border_title)
        before = dict(panel.outcomes)
        await pilot.press("left", "p")
        await settle(pilot)
        assert panel.index == 6 and panel.outcomes == before
        assert "refused: capability" in _text(app, "#tour-result")
        assert "steps are not undone" in _text(app, "#tour-keys")


@async_test
async def test_at_80x24_a_step_switches_to_its_tab_and_escape_leaves_the_tour() -> None:
    app = tour_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        assert app.dashboard.narrow
        outcome = await _step(pilot, "right")
        assert outcome.ok and app.dashboard.active_pane == "query"
        assert app.dashboard.query_one("#query-results", DataTable).region.area > 0  # the tab is shown
        await pilot.press("escape")
        await settle(pilot)
        assert not app.dashboard.query(TourPanel)
        assert app.dashboard.focused_pane() is app.dashboard.pane("query")  # back in the pane it showed


@async_test
async def test_the_palette_offers_the_tour_in_demo_sessions_only() -> None:
    for demo in (True, False):
        app = make_app(demo=demo)
        async with app.run_test(size=WIDE) as pilot:
            await ready(pilot)
            provider = DashboardCommands(app.screen)
            commands = {name: callback for name, callback, _help in provider._commands()}
            assert ("Start the onboarding tour" in commands) is demo
            if demo:
                assert not app.dashboard.query(TourPanel)
                commands["Start the onboarding tour"]()
                await settle(pilot)
                assert _panel(app).index == 0 and app.focused is _panel(app)


async def _opened(pilot: Pilot[None]) -> None:
    await ready(pilot)
    await settle(pilot)
    await still(pilot)


async def _first_step(pilot: Pilot[None]) -> None:
    await ready(pilot)
    await _step(pilot)
    await still(pilot)


@pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "120x40"])
def test_tour_panel_snapshot(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(tour_app(), terminal_size=size, run_before=_opened)


def test_tour_panel_after_a_step_snapshot(snap_compare: Callable[..., bool]) -> None:
    """At 80x24 the step switched to the console's tab; the panel says what happened."""
    assert snap_compare(tour_app(), terminal_size=SMALL, run_before=_first_step)


# -- the command line and the demo's own folders ---------------------------------------------------


def test_tour_flag_opens_the_demo_with_the_tour(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Path | None, dict[str, Any]]] = []
    monkeypatch.setattr(launch_module, "launch", lambda path, **kw: calls.append((path, kw)))
    for args in (["--demo", "--tour"], ["--tour"]):
        assert CliRunner().invoke(main, args).exit_code == 0
    assert calls == [(None, {"demo": True, "serve": False, "port": 8000, "tour": True})] * 2
    result = CliRunner().invoke(main, ["--tour", "stats", "."])
    assert result.exit_code == 2 and "do not go with a command" in result.stderr


def test_the_served_tour_runs_the_tour(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[str] = []

    class Server:
        def __init__(self, command: str, **_kw: Any) -> None:
            served.append(command)

        def serve(self) -> None:
            pass

    monkeypatch.setattr("textual_serve.server.Server", Server)
    launch_module.serve_dashboard(sample_root(), 8123, demo=True, tour=True)
    assert served and served[0].endswith("-m pt_tui --demo --tour")


def test_a_demo_session_keeps_its_state_out_of_the_users_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_config = Path(os.environ["PT_TUI_CONFIG_DIR"])
    (real_config / "config.toml").write_text('theme = "light"\n')
    (real_config / "registries.toml").write_text("# the user's registries\n")
    opened: list[tuple[dict[str, str], dict[str, Any]]] = []

    class App:
        def __init__(self, root: Path, **kw: Any) -> None:
            dirs = {k: os.environ[k] for k in ("PT_TUI_CONFIG_DIR", "PT_TUI_DATA_DIR")}
            opened.append((dirs, kw))

        def run(self) -> None:
            pass

    monkeypatch.setattr("pt_tui.app.dashboard.DashboardApp", App)
    monkeypatch.setenv("TEXTUAL_DRIVER", "headless")  # as under textual-serve: no terminal needed
    for name in ("PT_TUI_CONFIG_DIR", "PT_TUI_DATA_DIR"):
        monkeypatch.setenv(name, os.environ[name])  # restored after the test
    launch_module.launch(None, demo=True, tour=True)
    ((dirs, kw),) = opened
    assert kw == {"demo": True, "tour": True}
    config, data = Path(dirs["PT_TUI_CONFIG_DIR"]), Path(dirs["PT_TUI_DATA_DIR"])
    assert config != real_config and data != tmp_path / "data" and config.parent == data.parent
    assert (config / "config.toml").read_text() == 'theme = "light"\n'  # the look is kept
    assert not (config / "registries.toml").exists()  # the registries and grants are not


@pytest.mark.skipif(os.name != "posix", reason="pids are probed with signal 0 on POSIX only")
def test_the_folder_of_a_killed_demo_session_is_removed_by_the_next(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = tmp_path / f"{demo_state.DEMO_PREFIX}{int(gone.stdout)}-abc"
    alive = tmp_path / f"{demo_state.DEMO_PREFIX}{os.getpid()}-def"
    other = tmp_path / "pt-tui-demo-notes"
    for folder in (dead, alive, other):
        (folder / "config").mkdir(parents=True)
    demo_state._sweep(tmp_path)
    assert not dead.exists() and alive.exists() and other.exists()
