"""Dashboard-wide keys and behaviour: panes, layout, help, palette, plugins, budget, themes, keymap."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import async_test, make_app, ready, settle, tui_env  # noqa: F401
from textual.widgets import DataTable, Input, Tabs

from pt_tui.app import services
from pt_tui.app.config import Config, LoadedConfig, load_config
from pt_tui.app.dashboard import DashboardApp, binding_ids
from pt_tui.app.screens.dashboard import PANE_TYPES, DashboardScreen
from pt_tui.app.screens.help import HelpScreen
from pt_tui.app.widgets.budget_pane import BudgetPane
from pt_tui.app.widgets.plugins_pane import ACTION_KEYS, PluginsPane, PluginTable
from pt_tui.themes import THEMES


def _active(app: DashboardApp) -> str:
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return screen.active_pane


@async_test
async def test_first_frame_then_ingest_with_progress_and_status() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.first_frame_seconds is not None
        status = str(app.screen.query_one("#status-text").render())
        assert "15 files" in status and "185 entities" in status
        assert not app.screen.query_one("#ingest-progress").display


@async_test
async def test_a_missing_root_is_reported_in_the_app_not_a_traceback(tmp_path: Path) -> None:
    app = make_app(tmp_path / "gone")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.engine is None
        assert "cannot index" in str(app.screen.query_one("#status-text").render())
        assert any("no such file" in n.message for n in app._notifications)


@async_test
async def test_number_keys_jump_to_panes_and_focus_them() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for pane in PANE_TYPES:
            if isinstance(app.focused, Input):
                await pilot.press("escape")  # digits typed into an input are text, as in any shell
            await pilot.press(str(pane.NUMBER))
            assert _active(app) == pane.PANE_ID
            focused = app.focused
            assert focused is not None and any(a.id == pane.PANE_ID for a in focused.ancestors_with_self)
            assert app.screen.query_one(f"#{pane.PANE_ID}").has_class("-active")


@async_test
async def test_two_pane_switches_in_a_row_settle_on_the_last_one_when_tabbed() -> None:
    """At 80x24 each switch also moves the tab bar; the first switch's late TabActivated must not
    pull the screen back to its pane (the panes used to fight over focus without end)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        screen.action_show_pane(PANE_TYPES[2].PANE_ID)
        screen.action_show_pane(PANE_TYPES[3].PANE_ID)
        await settle(pilot)
        await settle(pilot)
        assert _active(app) == PANE_TYPES[3].PANE_ID
        assert app.screen.query_one("#pane-tabs", Tabs).active == f"tab-{PANE_TYPES[3].PANE_ID}"


@async_test
async def test_tab_and_shift_tab_move_focus_across_panes() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("4")
        first = app.focused
        await pilot.press("tab")
        assert app.focused is not first
        await pilot.press("shift+tab")
        assert app.focused is first


@pytest.mark.parametrize(("size", "narrow"), [((120, 40), False), ((80, 24), True), ((160, 50), False)])
@async_test
async def test_layout_grid_when_wide_tabs_when_small(size: tuple[int, int], narrow: bool) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert screen.narrow is narrow
        visible = [p.PANE_ID for p in PANE_TYPES if screen.query_one(f"#{p.PANE_ID}").display]
        assert screen.query_one(Tabs).display is narrow
        if narrow:
            assert visible == ["graph"]
            await pilot.press("3")
            assert screen.query_one("#plugins").display and not screen.query_one("#graph").display
            assert screen.query_one(Tabs).active == "tab-plugins"
        else:
            assert visible == [p.PANE_ID for p in PANE_TYPES]


@async_test
async def test_resizing_switches_the_layout() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert not screen.narrow
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.narrow
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not screen.narrow


@async_test
async def test_question_mark_opens_help_grouped_focused_pane_first() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("3", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.sections]
        assert titles[0] == "3 Plugins" and titles[-1] == "Everywhere"
        ids = {b.id for _, groups in app.screen.sections for _, bs in groups for b in bs}
        assert {"plugins.install", "query.history.older", "graph.tree.down", "app.quit", "pane.budget"} <= ids
        await pilot.press("j", "k", "escape")
        assert isinstance(app.screen, DashboardScreen)


def test_every_binding_has_an_id_and_a_tooltip() -> None:
    from pt_tui.app.screens.dashboard import DashboardScreen as Screen
    from pt_tui.app.widgets.base import Pane

    owners: list[type] = [DashboardApp, Screen, HelpScreen]
    for pane in PANE_TYPES:
        owners += [pane, *pane.HELP_WIDGETS]
    for owner in owners:
        for binding in owner.BINDINGS:  # type: ignore[attr-defined]
            assert binding.id, f"{owner.__name__}: {binding.key} has no id"
            assert binding.tooltip, f"{owner.__name__}: {binding.id} has no tooltip"
    ids = binding_ids()
    assert len(ids) == len(set(ids)), "binding ids are unique"
    assert issubclass(PANE_TYPES[0], Pane)


@async_test
async def test_user_keymap_overrides_bindings_by_id() -> None:
    config = LoadedConfig(Config(keymap={"app.help": "f1", "pane.budget": "b", "no.such.binding": "x"}))
    app = make_app(config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # checked at once: the notice times out after 10 s, and a loaded machine can take longer to
        # index and start the plugin host
        assert any("no.such.binding" in n.message for n in app._notifications)
        await ready(pilot)
        await pilot.press("b")
        assert _active(app) == "budget"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert (
            app.key_for(next(b for b in DashboardApp.BINDINGS if getattr(b, "id", "") == "app.help")) == "f1"
        )  # type: ignore[arg-type]


@async_test
async def test_plugin_action_keys_on_the_core_plugin_are_refused_with_the_reason() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        pane = app.screen.query_one(PluginsPane)
        table = app.screen.query_one(PluginTable)
        assert table.has_focus and table.row_count == len(pane.plugins) >= 1
        assert pane.current() is not None and pane.current().name == services.CORE_PLUGIN  # type: ignore[union-attr]
        for key, action, _label, _tip in ACTION_KEYS:
            app.clear_notifications()
            await pilot.press(key)
            await settle(pilot)
            messages = [n.message for n in app._notifications]
            assert messages == ["the built-in verbs (core tier) cannot be changed"], (action, messages)
            assert app.screen is app.dashboard  # refused before any confirmation
        assert [p.status for p in pane.plugins] == ["active"]  # nothing changed


@async_test
async def test_budget_monitor_shows_measured_calls_and_violations() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        session = app.plugin_session
        assert session is not None
        from pt_tui.sandbox.errors import ViolationKind

        session.tracker.record("slowpoke", "slow", 120.0, tier="wasm", budget_us=1000)
        session.tracker.record("slowpoke", "slow", 4500.0, tier="wasm", budget_us=1000)
        session.tracker.violation("slowpoke", "slow", ViolationKind.TIMEOUT, "4500 us > 1000 us")
        await settle(pilot)
        await pilot.press("4")
        pane = app.screen.query_one(BudgetPane)
        pane.refresh_stats()
        table = app.screen.query_one("#budget-table", DataTable)
        rows = {
            str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)
        }
        row = rows["slowpoke slow"]
        assert row[1] == "2" and row[-1] == "1" and "over" in row[3]
        table.move_cursor(row=list(rows).index("slowpoke slow"))
        await settle(pilot)
        assert len(app.screen.query_one("#budget-spark").data) == 2  # type: ignore[attr-defined]  # flattened
        stats = session.tracker.stats("slowpoke", "slow")
        assert stats is not None and stats.recent_us == (120.0, 4500.0)
        assert [e.kind for e in pane.logged] == ["violation"]  # the tracker's event reached the log
        assert pane.query_one("#budget-log").lines
        await pilot.press("l")
        assert app.focused is not None and app.focused.id == "budget-log"


@async_test
async def test_palette_offers_panes_themes_queries_and_plugin_actions() -> None:
    from pt_tui.app.commands import DashboardCommands

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.history.add("stats")
        provider = DashboardCommands(app.screen)
        names = [name for name, _cb, _help in provider._commands()]
        assert "Pane: Budget monitor" in names and "Theme: light" in names and "Query: stats" in names
        assert "Plugin install: core" in names
        hits = [hit async for hit in provider.search("theme light")]
        assert hits
        best = max(hits, key=lambda h: h.score)
        best.command()
        assert app.theme == THEMES["light"].name
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"
        await pilot.press(*"Pane: Plugins")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert _active(app) == "plugins"


@async_test
async def test_slash_focuses_the_pane_search() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        assert app.focused is not None and app.focused.id == "graph-filter"
        await pilot.press("escape", "2", "escape", "slash")
        assert app.focused is not None and app.focused.id == "query-input"
        await pilot.press("escape", "3", "slash")  # no search in the plugins pane: the graph filter
        assert app.focused is not None and app.focused.id == "graph-filter"
        assert isinstance(app.focused, Input)


@async_test
async def test_q_quits() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0 and not app.is_running


@pytest.mark.parametrize("short", list(THEMES))
def test_themes_are_registered_and_chosen_by_config(short: str) -> None:
    app = make_app(config=LoadedConfig(Config(theme=short)))
    assert app.theme == THEMES[short].name
    assert all(t.name in app.available_themes for t in THEMES.values())


def test_no_color_selects_monochrome(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_app(config=LoadedConfig(Config(theme="light"))).theme == "pt-monochrome"


def test_tcss_uses_theme_variables_not_literal_colours() -> None:
    import re

    from pt_tui.app import dashboard

    tcss = (Path(dashboard.__file__).parent / "dashboard.tcss").read_text()
    colour_lines = [
        line
        for line in tcss.splitlines()
        if re.match(r"\s*(color|background|border(-top|-bottom|-left|-right|-title-color)?)\s*:", line)
    ]
    assert len(colour_lines) > 10
    for line in colour_lines:
        assert "$" in line or line.split(":")[1].strip() == "none;", line
        assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgb\(", line), line


def test_config_errors_name_the_key_and_fall_back_to_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('thme = "light"\n')
    loaded = load_config(tmp_path)
    assert loaded.config == Config()
    assert len(loaded.errors) == 1 and "thme" in loaded.errors[0]
    (tmp_path / "config.toml").write_text('[budgets.callers]\nmax_query_time_us = "fast"\n')
    assert (
        "budgets" in load_config(tmp_path).errors[0]
        and "max_query_time_us" in load_config(tmp_path).errors[0]
    )
    (tmp_path / "config.toml").write_text('theme = "neon"\n')
    loaded = load_config(tmp_path)
    assert "neon" in loaded.errors[0] and loaded.config.theme == "dark"
    (tmp_path / "config.toml").write_text("theme = \n")
    assert "not valid TOML" in load_config(tmp_path).errors[0]


def test_config_and_keymap_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'theme = "high-contrast"\n[keymap]\n"app.help" = "f1"\n'
        '[[registries]]\nname = "demo"\nurl = "/srv/registry"\n'
        '[[trusted_reviewers]]\nname = "ann"\nkey = "abcd"\n[budgets.callers]\nmax_query_time_us = 500\n'
    )
    (tmp_path / "keymap.toml").write_text('"app.quit" = "ctrl+q"\n')
    loaded = load_config(tmp_path)
    assert loaded.errors == []
    config = loaded.config
    assert config.theme == "high-contrast" and config.registries[0].url == "/srv/registry"
    assert config.keymap == {"app.help": "f1", "app.quit": "ctrl+q"}
    assert config.budgets["callers"].max_query_time_us == 500


def test_config_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pt_tui.app.config import config_dir

    monkeypatch.setenv("PT_TUI_CONFIG_DIR", str(tmp_path))
    assert config_dir() == tmp_path
    (tmp_path / "config.toml").write_text('theme = "light"\n')
    assert DashboardApp(tmp_path, watch=False).theme == "pt-light"


def test_ui_free_services_module() -> None:
    import subprocess
    import sys

    code = "import sys, pt_tui.app.services; print(any(m.startswith('textual') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
