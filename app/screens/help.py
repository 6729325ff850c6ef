"""The ``?`` help screen: every binding, grouped by pane, the focused pane first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pt_tui.app.widgets.base import Pane

Section = tuple[str, list[tuple[str, list[Binding]]]]


def help_sections(panes: Sequence[type[Pane]], focused: str | None, general: list[Binding]) -> list[Section]:
    """(title, [(widget, bindings)]) per pane, the focused pane first, then the global keys."""
    ordered = sorted(panes, key=lambda p: (focused != p.PANE_ID, p.NUMBER))
    sections: list[Section] = [(f"{p.NUMBER} {p.TITLE}", p.help_bindings()) for p in ordered]
    sections.append(("Everywhere", [("Global keys", general)]))
    return sections


class HelpScreen(ModalScreen[None]):
    """Help.

    Bindings: escape, q or ? close it; j / k scroll.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "close", id="help.close", tooltip="Close the help"),
        Binding("j", "scroll('down')", "down", show=False, id="help.down", tooltip="Scroll down"),
        Binding("k", "scroll('up')", "up", show=False, id="help.up", tooltip="Scroll up"),
    ]

    def __init__(self, sections: list[Section], key_of: Callable[[Binding], str]) -> None:
        super().__init__(id="help")
        self.sections = sections
        self.key_of = key_of

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static("[b]pt-tui keys[/]  [$text-muted](escape closes · keys follow your keymap)[/]")
            for title, groups in self.sections:
                lines = [f"\n[b $accent]{title}[/]"]
                for description, bindings in groups:
                    lines.append(f"  [$text-muted]{description}[/]")
                    for b in bindings:
                        what = b.tooltip or b.description
                        lines.append(f"    [b]{self.key_of(b):<14}[/] {what}  [$text-muted]{b.id}[/]")
                yield Static("\n".join(lines), classes="help-section")

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        if direction == "down":
            body.scroll_down()
        else:
            body.scroll_up()
