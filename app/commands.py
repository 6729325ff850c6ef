"""The command palette's provider: panes, plugin actions, recent queries and themes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from pt_tui.app import services
from pt_tui.themes import THEMES

if TYPE_CHECKING:
    from pt_tui.app.dashboard import DashboardApp

Command = tuple[str, Callable[[], object], str]


class DashboardCommands(Provider):
    """Commands that depend on the dashboard's state (plugins, history)."""

    def _commands(self) -> list[Command]:
        from pt_tui.app.dashboard import DashboardApp
        from pt_tui.app.screens.dashboard import PANE_TYPES
        from pt_tui.app.widgets.plugins_pane import ACTION_KEYS

        app = self.app
        assert isinstance(app, DashboardApp)
        commands: list[Command] = [
            (f"Pane: {p.TITLE}", partial(app.show_pane, p.PANE_ID), f"Jump to pane {p.NUMBER}")
            for p in PANE_TYPES
        ]
        commands.append(("Help: keys", app.action_help, "Every binding, grouped by pane"))
        if app.demo:  # the tour installs the demo plugins: only where the session's folders are throw-away
            commands.append(
                ("Start the onboarding tour", app.action_tour, "The pt-tui story, step by step, on the demo")
            )
        commands += [
            (f"Theme: {short}", partial(app.set_theme, short), f"Switch to the {short} theme")
            for short in THEMES
        ]
        commands += [
            (f"Query: {text}", partial(app.run_query, text), "Run this recent query again")
            for text in app.history.recent(10)
        ]
        for plugin in app_plugins(app):
            commands += [
                (f"Plugin {action}: {plugin.name}", partial(app.plugin_action, action, plugin), tooltip)
                for _key, action, _label, tooltip in ACTION_KEYS
            ]
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            if not name.startswith("Plugin "):
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def app_plugins(app: DashboardApp) -> list[services.PluginRow]:
    return app.plugins()
