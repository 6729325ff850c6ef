"""The Textual dashboard: owns the engine, the plugin session, the config and the history; the panes
render.

Ingest runs in a thread worker that posts :class:`IngestProgress` / :class:`IngestDone` /
:class:`IngestFailed`; graph changes arrive as :class:`GraphChanged` (posted from the engine's thread).
The plugin host starts in a worker once the engine is there (:class:`PluginsReady`); its tracker's
events arrive as :class:`PluginEventArrived`, posted from whichever thread caused them.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from pt_tui.app import fmt, services, start_gc
from pt_tui.app.commands import DashboardCommands
from pt_tui.app.config import LoadedConfig, data_dir, load_config
from pt_tui.app.history import HISTORY_FILE, QueryHistory
from pt_tui.app.screens.confirm import ConfirmAction
from pt_tui.app.screens.dashboard import PANE_TYPES, DashboardScreen
from pt_tui.app.screens.help import HelpScreen, help_sections
from pt_tui.app.widgets.base import Pane
from pt_tui.app.widgets.budget_pane import BudgetPane
from pt_tui.app.widgets.graph_pane import GraphPane
from pt_tui.app.widgets.plugins_pane import PluginsPane
from pt_tui.app.widgets.query_console import QueryConsole
from pt_tui.themes import THEMES, theme_name

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.engine import Engine
    from pt_tui.sandbox.tracker import PluginEvent

#: Tracker events after which the plugins pane re-reads the plugin list.
STATE_EVENTS = frozenset(
    {"discovered", "loaded", "load-failed", "unloaded", "enabled", "disabled", "swapped", "rolled-back"}
    | {"quarantined", "released"}
)

#: Post at most this many progress messages per second from the ingest worker.
PROGRESS_HZ = 20


class IngestProgress(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class IngestDone(Message):
    def __init__(self, engine: Engine, seconds: float) -> None:
        super().__init__()
        self.engine = engine
        self.seconds = seconds


class IngestFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class PluginsReady(Message):
    def __init__(self, session: services.PluginSession, rows: list[services.PluginRow]) -> None:
        super().__init__()
        self.session = session
        self.rows = rows


class PluginEventArrived(Message):
    def __init__(self, event: PluginEvent) -> None:
        super().__init__()
        self.event = event


class PluginsSynced(Message):
    """Another process changed the installed plugins; the watcher swapped them in."""

    def __init__(self, changes: list[str]) -> None:
        super().__init__()
        self.changes = changes


class GraphChanged(Message):
    def __init__(self, diff: GraphDiff) -> None:
        super().__init__()
        self.diff = diff


class DashboardApp(App[None]):
    """pt-tui.

    Bindings: q quits, ? shows the keys, ctrl+p opens the command palette.
    """

    TITLE = "pt-tui"
    CSS_PATH = "dashboard.tcss"
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit", id="app.quit", tooltip="Quit pt-tui"),
        Binding("question_mark", "help", "help", id="app.help", tooltip="Every key, grouped by pane"),
        Binding(
            "ctrl+p",
            "command_palette",
            "palette",
            show=False,
            id="app.palette",
            priority=True,
            tooltip="Panes, plugin actions, recent queries, themes",
        ),
    ]

    def __init__(
        self,
        root: Path,
        *,
        config: LoadedConfig | None = None,
        watch: bool = True,
        cursor_blink: bool = True,
        demo: bool = False,
        tour: bool = False,
    ) -> None:
        """``watch``: follow file changes on disk (and plugin installs by other processes);
        ``cursor_blink`` off keeps screenshots stable; ``demo`` adds the bundled demo registry;
        ``tour`` opens the onboarding tour (``pt-tui --demo --tour``)."""
        super().__init__()
        self.cursor_blink = cursor_blink
        self.root = root
        self.loaded = config if config is not None else load_config()
        self.watch_changes = watch
        self.engine: Engine | None = None
        self.demo = demo
        self.start_tour = tour
        self.plugin_session: services.PluginSession | None = None
        self.history = QueryHistory(data_dir() / HISTORY_FILE)
        for theme in THEMES.values():
            self.register_theme(theme)
        wanted = "monochrome" if os.environ.get("NO_COLOR") is not None else self.loaded.config.theme
        self.theme = theme_name(wanted) or THEMES["dark"].name
        self._progress_at = 0.0
        self._started = time.perf_counter()
        self.first_frame_seconds: float | None = None
        self._stop_watching = threading.Event()
        #: Keys that arrived before the screen was complete (see :meth:`_complete`); None afterwards.
        self._held_keys: list[events.Key] | None = []

    # -- start ------------------------------------------------------------------------------------

    def get_default_screen(self) -> DashboardScreen:
        return DashboardScreen(self.history)

    @property
    def dashboard(self) -> DashboardScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, DashboardScreen)
        return screen

    def on_mount(self) -> None:
        keymap = dict(self.loaded.config.keymap)
        unknown = sorted(set(keymap) - set(binding_ids())) if keymap else []
        for name in unknown:
            self.loaded.errors.append(f"keymap: unknown binding id {name!r} (see ? for the ids)")
            del keymap[name]
        if keymap:
            self.set_keymap(keymap)
        for error in self.loaded.errors:
            self.notify(error, title="config", severity="error", timeout=10)

    @on(DashboardScreen.Ready)
    def _start(self) -> None:
        for box in self.dashboard.query(Input):
            box.cursor_blink = self.cursor_blink
        self._status(f"indexing {self.root} …")
        self.call_after_refresh(self._first_frame)
        if self.start_tour:
            self.action_tour()

    def _first_frame(self) -> None:
        """The first frame is painted: complete the screen, then start the ingest."""
        self.first_frame_seconds = time.perf_counter() - self._started
        self.call_later(self._complete)  # on the app's own message loop: keys wait behind it

    async def _complete(self) -> None:
        """Mount what the first frame left out, hand over the keys held until now (in order), then
        (:meth:`_start_work`) start the ingest and list the built-in plugin (both import the engine,
        so they come last)."""
        if self.closing:
            return
        screen = self.dashboard
        try:
            await screen.load_deferred()
            for box in screen.query(Input):
                box.cursor_blink = self.cursor_blink
        finally:
            start_gc.resume()
            held, self._held_keys = self._held_keys or [], None
            for key in held:
                await super().on_event(key)
        # once that is painted: the ingest thread would hold the painting back
        screen.call_after_refresh(self._start_work)

    def _start_work(self) -> None:
        if self.closing:
            return
        self.ingest()
        self.dashboard.query_one(PluginsPane).refresh_plugins()

    async def on_event(self, event: events.Event) -> None:
        """Hold the keys until the screen is complete: a key typed during the start (a pane jump, then
        a query) must find the widget it is meant for."""
        if self._held_keys is not None and isinstance(event, events.Key) and not event.is_forwarded:
            self._held_keys.append(event)
            return
        await super().on_event(event)

    @work(thread=True, exclusive=True, group="ingest", description="indexing")
    def ingest(self) -> None:
        from pt_tui.core.engine import EngineError

        started = time.perf_counter()
        try:
            engine = services.open_engine(self.root, progress=self._progress)
        except EngineError as exc:
            self.post_message(IngestFailed(str(exc)))
            return
        self.post_message(IngestDone(engine, time.perf_counter() - started))

    @work(thread=True, exclusive=True, group="watch", description="watching files")
    def _watch(self, engine: Engine) -> None:
        services.watch(engine, self._stop_watching)

    @work(thread=True, exclusive=True, group="plugins", description="starting the plugin host")
    def _start_plugins(self, engine: Engine) -> None:
        session = services.open_plugins(
            engine,
            demo=self.demo,
            watch=self.watch_changes,
            on_sync=self._plugins_synced,
            budgets=self.loaded.budget_overrides(),
        )
        session.subscribe(self._plugin_event)
        rows = services.list_plugins(session)
        if self._stop_watching.is_set():  # the app closed meanwhile
            session.close()
            return
        self.post_message(PluginsReady(session, rows))

    def on_unmount(self) -> None:
        self._stop_watching.set()
        if self.plugin_session is not None:
            self.plugin_session.close()
            self.plugin_session = None

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._progress_at >= 1 / PROGRESS_HZ:
            self._progress_at = now
            self.post_message(IngestProgress(done, total))

    @property
    def closing(self) -> bool:
        """True once the app is shutting down (late worker messages are then dropped)."""
        return not self.screen_stack or not isinstance(self.screen_stack[0], DashboardScreen)

    @on(IngestProgress)
    def _on_progress(self, message: IngestProgress) -> None:
        if self.closing:
            return
        bar = self.dashboard.query_one("#ingest-progress", ProgressBar)
        bar.update(total=message.total, progress=message.done)

    @on(IngestDone)
    def _on_ingested(self, message: IngestDone) -> None:
        if self.closing:
            return
        self.engine = engine = message.engine
        screen = self.dashboard
        screen.query_one("#ingest-progress", ProgressBar).display = False
        screen.query_one(GraphPane).set_engine(engine)
        screen.query_one(QueryConsole).set_engine(engine)
        live = services.subscribe_diffs(engine, self._diff_arrived)
        self._start_plugins(engine)
        watching = live and self.watch_changes and services.can_watch()
        if watching:
            self._watch(engine)
        self._status(
            f"[b]{engine.root.name}[/] · {services.graph_summary(engine)} · indexed in "
            f"{fmt.duration(message.seconds)}" + (" · watching files" if watching else "")
        )

    @on(IngestFailed)
    def _on_failed(self, message: IngestFailed) -> None:
        if self.closing:
            return
        self.dashboard.query_one("#ingest-progress", ProgressBar).display = False
        self._status(f"[$text-error]cannot index: {message.error}[/]")
        self.notify(message.error, title="indexing failed", severity="error", timeout=15)

    @on(PluginsReady)
    def _plugins_ready(self, message: PluginsReady) -> None:
        if self.closing or self._stop_watching.is_set():
            message.session.close()
            return
        self.plugin_session = message.session
        self.dashboard.query_one(PluginsPane).set_session(message.session, message.rows)
        self.dashboard.query_one(BudgetPane).set_session(message.session)

    def _plugin_event(self, event: PluginEvent) -> None:
        self.post_message(PluginEventArrived(event))  # from the thread that caused it

    def _plugins_synced(self, changes: list[str]) -> None:
        self.post_message(PluginsSynced(changes))

    @on(PluginEventArrived)
    def _on_plugin_event(self, message: PluginEventArrived) -> None:
        if self.closing or self.plugin_session is None:
            return
        kind = message.event.kind.value
        budget = self.dashboard.query_one(BudgetPane)
        if kind in services.LOGGED_EVENTS:
            budget.log_event(services.as_budget_event(message.event))
            budget.refresh_stats()
        if kind in STATE_EVENTS:
            self.dashboard.query_one(PluginsPane).refresh_plugins()
        if kind == "quarantined":
            event = message.event
            self.notify(event.detail, title=f"{event.plugin} quarantined", severity="error", timeout=10)

    @on(PluginsSynced)
    def _on_synced(self, message: PluginsSynced) -> None:
        if not self.closing:
            self.notify("; ".join(message.changes), title="plugins changed on disk")

    def _diff_arrived(self, diff: GraphDiff) -> None:
        self.post_message(GraphChanged(diff))  # post_message is thread-safe

    @on(GraphChanged)
    def _on_graph_changed(self, message: GraphChanged) -> None:
        if not message.diff.empty and not self.closing:
            self.dashboard.query_one(GraphPane).apply_diff(message.diff)

    def _status(self, text: str) -> None:
        self.dashboard.query_one("#status-text", Static).update(text)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            worker = event.worker
            self.notify(f"{worker.description} failed: {worker.error}", title="error", severity="error")

    # -- queries and plugins ----------------------------------------------------------------------

    @on(QueryConsole.Executed)
    def _timed(self, message: QueryConsole.Executed) -> None:
        """The core tier and the manager timed the query's verbs into the tracker: show it."""
        if not self.closing:
            self.dashboard.query_one(BudgetPane).refresh_stats()

    @on(QueryConsole.EntityChosen)
    def _chosen(self, message: QueryConsole.EntityChosen) -> None:
        self.show_pane(GraphPane.PANE_ID)
        self.dashboard.query_one(GraphPane).focus_entity(message.entity_id)

    def run_query(self, text: str) -> None:
        self.show_pane(QueryConsole.PANE_ID)
        self.dashboard.query_one(QueryConsole).submit(text)

    def plugins(self) -> list[services.PluginRow]:
        return self.dashboard.query_one(PluginsPane).plugins

    def plugin_action(self, action: str, plugin: services.PluginRow) -> None:
        self.dashboard.query_one(PluginsPane).start_action(action, plugin)

    # -- panes, help, themes ----------------------------------------------------------------------

    def show_pane(self, pane_id: str) -> None:
        self.dashboard.action_show_pane(pane_id)

    def set_theme(self, short: str) -> None:
        self.theme = theme_name(short) or self.theme

    def action_tour(self) -> None:
        """Open the onboarding tour panel (demo sessions: it installs the demo plugins)."""
        from pt_tui.app.widgets.tour_panel import start_tour

        start_tour(self)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        focused = self.dashboard.focused_pane()
        general = [
            *_own(DashboardApp.BINDINGS),
            *_own(DashboardScreen.BINDINGS),
        ]
        sections = help_sections(PANE_TYPES, focused.id if focused else None, general)
        self.push_screen(HelpScreen(sections, self.key_for))

    def key_for(self, binding: Binding) -> str:
        """The key a binding has now (the user's keymap wins), as the footer shows it."""
        keys = self.loaded.config.keymap.get(binding.id or "", binding.key)
        return ", ".join(self.get_key_display(Binding(k.strip(), binding.action)) for k in keys.split(","))


def _own(items: list[BindingType]) -> list[Binding]:
    return [b for b in items if isinstance(b, Binding) and b.id]


def binding_ids() -> list[str]:
    """Every binding id the dashboard defines (what a keymap may name)."""
    ids = [b.id for b in _own(DashboardApp.BINDINGS) + _own(DashboardScreen.BINDINGS) if b.id]
    ids += [b.id for b in _own(HelpScreen.BINDINGS) + _own(ConfirmAction.BINDINGS) if b.id]
    from pt_tui.app.widgets.tour_panel import TourPanel  # late: the tour is not in the first frame

    ids += [b.id for b in _own(TourPanel.BINDINGS) if b.id]
    for pane in PANE_TYPES:
        for _title, bindings in pane.help_bindings():
            ids += [b.id for b in bindings if b.id]
    return ids


__all__ = ["DashboardApp", "Pane", "binding_ids"]
