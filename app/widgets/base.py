"""What every pane shares: its id, title, jump key, the widgets whose keys its help lists, and content
that may mount after the first frame."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget


class Pane(Vertical):
    """A dashboard pane. Subclasses set ``PANE_ID``, ``TITLE``, ``NUMBER`` and ``HELP_WIDGETS``.

    The help screen and the palette read these class attributes (a small protocol, as in posting).

    Subclasses yield their widgets from :meth:`compose_content`. A pane made with ``deferred=True``
    first mounts empty (its border and title only) and mounts its content when :meth:`load_content`
    is awaited: the dashboard does that right after the first frame for the panes that frame does not
    need, and holds the keys typed meanwhile (see ``DashboardApp``). :meth:`content_mounted` runs once
    the content is there, in both cases.
    """

    PANE_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    NUMBER: ClassVar[int] = 0
    HELP_WIDGETS: ClassVar[tuple[type[Widget], ...]] = ()

    DEFAULT_CLASSES = "pane"

    def __init__(self, *, deferred: bool = False) -> None:
        super().__init__(id=self.PANE_ID)
        self.border_title = f"{self.NUMBER} {self.TITLE}"
        self.content_ready = not deferred

    def compose(self) -> ComposeResult:
        if self.content_ready:
            yield from self.compose_content()

    def compose_content(self) -> ComposeResult:
        """The pane's widgets."""
        yield from ()

    def on_mount(self) -> None:
        if self.content_ready:
            self.content_mounted()

    async def load_content(self) -> None:
        """Mount the content of a deferred pane (nothing if it is mounted already)."""
        if self.content_ready:
            return
        self.content_ready = True
        await self.recompose()
        if self.is_attached and self.children:  # not if the app closed meanwhile
            self.content_mounted()

    def content_mounted(self) -> None:
        """Called once the pane's content is mounted."""

    def focus_main(self) -> None:
        """Give focus to the pane's main widget."""
        for widget in self.query("*"):
            if widget.focusable:
                focus_now(widget)
                return

    def focus_search(self) -> bool:
        """Focus the pane's search or filter box; False if it has none."""
        return False

    @classmethod
    def help_bindings(cls) -> list[tuple[str, list[Binding]]]:
        """(widget description, its bindings) for the help screen: the pane's own keys first."""
        groups: list[tuple[str, list[Binding]]] = []
        for owner in (cls, *cls.HELP_WIDGETS):
            bindings = [b for b in _bindings(owner.BINDINGS) if b.id]
            if bindings:
                groups.append((owner.__doc__.splitlines()[0] if owner.__doc__ else owner.__name__, bindings))
        return groups


def focus_now(widget: Widget) -> None:
    """Focus ``widget`` before the next key is handled.

    ``Widget.focus`` only queues the change behind the keys already typed, so a burst like ``2`` then
    ``callers x`` (type-ahead while the app is busy) would send ``callers x`` to the old focus.
    """
    widget.screen.set_focus(widget)


def _bindings(items: list[BindingType]) -> list[Binding]:
    return [b for b in items if isinstance(b, Binding)]


def vim_keys(prefix: str, down: str = "cursor_down", up: str = "cursor_up") -> list[BindingType]:
    """``j`` / ``k`` bound to a widget's cursor actions, with ids under ``prefix``."""
    return [
        Binding("j", down, "down", show=False, id=f"{prefix}.down", tooltip="Move the cursor down"),
        Binding("k", up, "up", show=False, id=f"{prefix}.up", tooltip="Move the cursor up"),
    ]
