"""The main screen: a status line with the ingest progress, the four panes and the footer.

At 120x40 and up the panes sit in a 2x2 grid; below :data:`WIDE` columns or :data:`TALL` rows they
become tabs (one pane at a time, ``1``-``4`` or the tab bar to switch). The choice is made on resize.

The first frame holds what it needs and no more: the status line, every pane's frame and title, and
the content of the active pane. The other panes' content, the tab bar of a wide terminal and the
footer mount right after it (:meth:`DashboardScreen.load_deferred`), before any key is handled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.lazy import Lazy
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar, Static, Tab, Tabs

from pt_tui.app.widgets.base import Pane
from pt_tui.app.widgets.budget_pane import BudgetPane
from pt_tui.app.widgets.graph_pane import GraphPane
from pt_tui.app.widgets.plugins_pane import PluginsPane
from pt_tui.app.widgets.query_console import QueryConsole

if TYPE_CHECKING:
    from pt_tui.app.history import QueryHistory

#: Below this many columns or rows, one pane at a time (tabs).
WIDE = 100
TALL = 30

PANE_TYPES: tuple[type[Pane], ...] = (GraphPane, QueryConsole, PluginsPane, BudgetPane)

#: Actions whose keys are printable: in a text input the key is text, not the action.
TYPING_KEYS_ACTIONS = frozenset({"show_pane", "search"})


class DashboardScreen(Screen[None]):
    """Dashboard.

    Bindings: 1-4 jump to a pane, / search in the pane, tab / shift+tab move focus.
    """

    # The keys that move focus are priority bindings: handled as the app reads them, before the
    # next key is routed, so type-ahead ("2" then a query, "/" then a filter) lands in the widget they
    # focus. In a text input they stand down (:meth:`check_action`) and type their character.
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                str(pane.NUMBER),
                f"show_pane('{pane.PANE_ID}')",
                pane.TITLE,
                show=False,
                id=f"pane.{pane.PANE_ID}",
                tooltip=f"Jump to the {pane.TITLE.lower()} pane",
                priority=True,
            )
            for pane in PANE_TYPES
        ),
        Binding(
            "slash",
            "search",
            "search",
            id="app.search",
            tooltip="Focus the pane's search or filter",
            priority=True,
        ),
        Binding(
            "tab", "app.focus_next", "next", show=False, id="app.focus_next", tooltip="Focus the next widget"
        ),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "previous",
            show=False,
            id="app.focus_previous",
            tooltip="Focus the previous widget",
        ),
    ]

    #: The tree has the focus from the start (no detour through the first focusable widget).
    AUTO_FOCUS = "#graph-tree"

    def __init__(self, history: QueryHistory) -> None:
        super().__init__(id="dashboard")
        self.history = history
        self.active_pane = GraphPane.PANE_ID

    def compose(self) -> ComposeResult:
        # Classes set before the children mount: styled once, not again on mount (start-up time).
        self.apply_layout(self.app.size.width, self.app.size.height, update=False)
        with Horizontal(id="status"):
            yield Static("", id="status-text")
            yield ProgressBar(id="ingest-progress", show_eta=False)
        if self.narrow:  # wide, the tab bar is hidden: it mounts after the first frame
            yield self._tabs()
        with Container(id="panes"):
            yield GraphPane().add_class("-active", update=False)
            yield QueryConsole(self.history, deferred=True)
            yield PluginsPane(deferred=True)
            yield BudgetPane(deferred=True)
        # The footer re-composes its keys at each focus change of the start-up: it mounts after the
        # first frame (a third of that frame's work otherwise).
        yield Lazy(Footer())

    def _tabs(self) -> Tabs:
        tabs = Tabs(
            *(Tab(f"{p.NUMBER} {p.TITLE}", id=f"tab-{p.PANE_ID}") for p in PANE_TYPES),
            id="pane-tabs",
            active=f"tab-{self.active_pane}",
        )
        tabs.can_focus = False
        return tabs

    async def load_deferred(self) -> None:
        """Mount what the first frame left out: the tab bar (hidden when wide) and the content of the
        deferred panes. The app awaits this before it handles any key (keys typed meanwhile wait)."""
        with self.app.batch_update():
            if not self.query("#pane-tabs"):
                await self.mount(self._tabs(), before="#panes")
            for pane in self.query(Pane):
                await pane.load_content()

    class Ready(Message):
        """The panes are mounted: the app may start indexing."""

    def on_mount(self) -> None:
        self.apply_layout(self.app.size.width, self.app.size.height)
        self._set_active(self.active_pane)
        self.query_one(GraphPane).focus_main()
        self.post_message(self.Ready())

    # -- layout -----------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.apply_layout(event.size.width, event.size.height)

    def apply_layout(self, width: int, height: int, *, update: bool = True) -> None:
        narrow = width < WIDE or height < TALL
        self.set_class(narrow, "-narrow", update=update)
        if narrow and update and self.is_mounted and not self.query("#pane-tabs"):
            self.mount(self._tabs(), before="#panes")  # narrowed before the tab bar's deferred mount

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    # -- panes ------------------------------------------------------------------------------------

    def pane(self, pane_id: str) -> Pane:
        return self.query_one(f"#{pane_id}", Pane)

    def focused_pane(self) -> Pane | None:
        if self.focused is None:
            return None
        return next((w for w in self.focused.ancestors_with_self if isinstance(w, Pane)), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Pane jumps and ``/`` type their character while a text input has focus."""
        return not (action in TYPING_KEYS_ACTIONS and isinstance(self.focused, Input))

    def action_show_pane(self, pane_id: str) -> None:
        self._set_active(pane_id)
        self.pane(pane_id).focus_main()

    def action_search(self) -> None:
        pane = self.focused_pane() or self.pane(self.active_pane)
        if not pane.focus_search():
            graph = self.pane(GraphPane.PANE_ID)
            self._set_active(graph.id or GraphPane.PANE_ID)
            graph.focus_search()

    def _set_active(self, pane_id: str) -> None:
        self.active_pane = pane_id
        for pane in self.query(Pane):
            pane.set_class(pane.id == pane_id, "-active")
        for tabs in self.query("#pane-tabs").results(Tabs):  # none until it mounts (wide)
            if tabs.active != f"tab-{pane_id}":
                tabs.active = f"tab-{pane_id}"

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_clicked(self, event: Tabs.TabActivated) -> None:
        if event.tab.id != event.tabs.active:  # stale: another switch came after it, do not undo it
            return
        pane_id = (event.tab.id or "").removeprefix("tab-")
        if pane_id and pane_id != self.active_pane:
            self.action_show_pane(pane_id)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        for ancestor in event.widget.ancestors_with_self:
            if isinstance(ancestor, Pane):
                if ancestor.id and ancestor.id != self.active_pane:
                    self._set_active(ancestor.id)
                return
