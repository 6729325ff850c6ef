"""Plugins pane: installed and available plugins, and the keyboard actions on them.

Each action is planned in a thread worker (registry info, reviews, the promotion scan), confirmed in a
:class:`~pt_tui.app.screens.confirm.ConfirmAction` showing what matters, then run in a thread worker
through :mod:`pt_tui.app.services`; its result is a notification. Nothing blocks the UI.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from pt_tui.app import fmt, services
from pt_tui.app.screens.confirm import ConfirmAction
from pt_tui.app.widgets.base import Pane, focus_now, vim_keys

#: (key, action, footer label, tooltip) of each plugin action, in :data:`services.PLUGIN_ACTIONS` order.
ACTION_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("i", "install", "install", "Install the plugin from its registry"),
    ("u", "update", "update", "Update to the newest version"),
    ("p", "promote", "promote", "Promote to the native tier (needs reviews)"),
    ("s", "hot-swap", "swap", "Hot-swap to another version while queries run"),
    ("r", "rollback", "rollback", "Roll back to the previous version"),
    ("e", "toggle", "on/off", "Enable or disable"),
    ("x", "uninstall", "uninstall", "Uninstall"),
    ("g", "grant", "grant", "Grant the capabilities it asks for"),
)
#: Row order: what needs attention first, then what runs, then what is offered.
STATUS_ORDER = {"quarantined": 0, "failed": 1, "active": 2, "lazy": 3, "disabled": 4, "available": 5}


class PluginTable(DataTable[Text]):
    """Plugin list.

    Bindings: j / k move between plugins.
    """

    BINDINGS: ClassVar[list[BindingType]] = vim_keys("plugins.table")


class PluginsPane(Pane):
    """Plugins.

    Bindings: i install, u update, p promote, s hot-swap, r rollback, e enable/disable, x uninstall,
    g grant capabilities.
    """

    PANE_ID = "plugins"
    TITLE = "Plugins"
    NUMBER = 3
    HELP_WIDGETS = (PluginTable,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"plugin('{action}')", label, id=f"plugins.{action}", tooltip=tooltip)
        for key, action, label, tooltip in ACTION_KEYS
    ]

    class Planned(Message):
        def __init__(self, plan: services.ActionPlan) -> None:
            super().__init__()
            self.plan = plan

    class ActionDone(Message):
        def __init__(self, action: str, plugin: str, result: services.ActionResult) -> None:
            super().__init__()
            self.action = action
            self.plugin = plugin
            self.result = result

    class Listed(Message):
        def __init__(self, rows: list[services.PluginRow], session: services.PluginSession | None) -> None:
            super().__init__()
            self.rows = rows
            self.session = session  # the session listed (a listing of an older one is dropped)

    def __init__(self, *, deferred: bool = False) -> None:
        super().__init__(deferred=deferred)
        self.plugins: list[services.PluginRow] = []
        self.session: services.PluginSession | None = None

    def compose_content(self) -> ComposeResult:
        table = PluginTable(id="plugins-table", cursor_type="row", zebra_stripes=True)
        columns = (("name", 16), ("version", 8), ("tier", 6), ("status", 11), ("budget", 8))
        for name, width in (*columns, ("capabilities", 16), ("registry", 10)):
            table.add_column(name, width=width)
        yield table
        yield Static("", id="plugins-note")

    def content_mounted(self) -> None:
        # empty until the app lists the plugins after the first frame (even the core row reads the
        # query engine's verb table)
        self.show_rows(self.plugins)

    def set_session(self, session: services.PluginSession, rows: list[services.PluginRow]) -> None:
        self.session = session
        self.show_rows(rows)

    def refresh_plugins(self) -> None:
        """Re-read the plugin list (registries included) in a worker; :class:`Listed` shows it."""
        self._list()

    @work(thread=True, exclusive=True, group="plugin-list", description="listing plugins")
    def _list(self) -> None:
        session = self.session
        rows = services.list_plugins(session)
        if not get_current_worker().is_cancelled:  # a newer listing was asked for: this one is stale
            self.post_message(self.Listed(rows, session))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        if message.session is self.session:
            self.show_rows(message.rows)

    def show_rows(self, rows: list[services.PluginRow]) -> None:
        table = self.query_one(PluginTable)
        selected = self.current()
        self.plugins = sorted(
            rows, key=lambda r: (r.name != services.CORE_PLUGIN, STATUS_ORDER.get(r.status, 9), r.name)
        )
        table.clear()
        for row in self.plugins:
            status = Text(row.status)
            if row.status in ("quarantined", "failed"):
                status.stylize("bold reverse")
            cells = (
                Text(row.name),
                Text(row.version),
                Text(row.tier),
                status,
                Text(fmt.latency(row.budget_us)),
                Text(", ".join(row.capabilities)),
                Text(row.registry),
            )
            table.add_row(*cells, key=row.name)
        if selected is not None and any(r.name == selected.name for r in self.plugins):
            table.move_cursor(row=next(i for i, r in enumerate(self.plugins) if r.name == selected.name))
        installed = sum(1 for r in self.plugins if r.installed)
        if self.session is None:
            note = "starting the plugin host …"
        else:
            parts = [f"{installed} installed", f"{len(self.plugins) - installed} available"]
            troubled = [r for r in self.plugins if r.status in ("quarantined", "failed")]
            parts += [f"{r.name} {r.status}: {r.reason}" for r in troubled[:2]]
            note = " · ".join(parts + self.session.notes[-1:])
        self.query_one("#plugins-note", Static).update(Text(note, style="dim"))

    def focus_main(self) -> None:
        focus_now(self.query_one(PluginTable))

    def current(self) -> services.PluginRow | None:
        table = self.query_one(PluginTable)
        if not self.plugins or table.cursor_row < 0 or table.cursor_row >= len(self.plugins):
            return None
        return self.plugins[table.cursor_row]

    def select(self, name: str) -> bool:
        """Move the cursor to plugin ``name``; False if it is not listed."""
        for index, row in enumerate(self.plugins):
            if row.name == name:
                self.query_one(PluginTable).move_cursor(row=index)
                return True
        return False

    def action_plugin(self, action: str) -> None:
        plugin = self.current()
        if plugin is None:
            self.notify("No plugin selected.", severity="warning")
            return
        self.start_action(action, plugin)

    def start_action(self, action: str, plugin: services.PluginRow) -> None:
        """Plan ``action`` (worker), confirm it (modal), run it (worker), notify the result."""
        self._plan(action, plugin)

    @work(thread=True, group="plugin-actions", description="plugin action")
    def _plan(self, action: str, plugin: services.PluginRow) -> None:
        self.post_message(self.Planned(services.plan_action(self.session, action, plugin)))

    @on(Planned)
    def _planned(self, message: Planned) -> None:
        plan = message.plan
        if plan.refused:
            self.notify(plan.refused, title=plan.title, severity="warning")
            return
        self.app.push_screen(ConfirmAction(plan), partial(self._confirmed, plan))

    def _confirmed(self, plan: services.ActionPlan, choice: str | None) -> None:
        if choice is None:
            self.notify("Cancelled: nothing changed.", title=plan.title)
            return
        self._run(plan, choice)

    @work(thread=True, group="plugin-run", description="plugin action")
    def _run(self, plan: services.ActionPlan, choice: str) -> None:
        result = services.run_action(self.session, plan, choice)
        self.post_message(self.ActionDone(plan.action, plan.plugin, result))

    @on(ActionDone)
    def _done(self, message: ActionDone) -> None:
        self.notify(
            message.result.message,
            title=f"{message.action} {message.plugin}",
            severity="information" if message.result.ok else "warning",
        )
        self.refresh_plugins()
