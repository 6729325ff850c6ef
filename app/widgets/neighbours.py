"""An entity's neighbourhood drawn as a small text graph: callers -> entity -> callees, implementors."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pt_tui.app.widgets.base import vim_keys
from pt_tui.app.widgets.entity_tree import KIND_TAGS, _escape

if TYPE_CHECKING:
    from pt_tui.app.services import Neighbourhood
    from pt_tui.core.model import Node


class NeighbourList(OptionList):
    """Neighbourhood graph (enter on a neighbour jumps to it).

    Bindings: j / k move between neighbours, enter jumps along the edge.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *vim_keys("graph.neighbours"),
        Binding("enter", "select", "jump", id="graph.neighbours.jump", tooltip="Jump to this neighbour"),
    ]

    def __init__(self) -> None:
        super().__init__(id="graph-neighbours")

    def show(self, centre: Node, hood: Neighbourhood) -> None:
        self.clear_options()
        options: list[Option] = []
        options += self._section("callers (call it)", "─ ", " ─▶", hood.callers)
        options.append(Option(f"[b $accent]● {_escape(short_name(centre))}[/]", disabled=True))
        options += self._section("callees (it calls)", "─▶ ", "", hood.callees)
        if hood.implementors or centre.kind in ("trait", "class", "struct", "enum"):
            options += self._section("implementors", "═▷ ", "", hood.implementors)
        options += [Option(f"[$text-muted]{_escape(note)}[/]", disabled=True) for note in hood.notes]
        self.add_options(options)
        first = next((i for i, o in enumerate(options) if not o.disabled), None)
        self.highlighted = first

    def _section(self, title: str, before: str, after: str, nodes: list[Node]) -> list[Option]:
        head = f"[$text-muted]{title} ({len(nodes)})[/]" if nodes else f"[$text-muted]{title}: none[/]"
        options = [Option(head, disabled=True)]
        for i, neighbour in enumerate(nodes):
            branch = "└" if i == len(nodes) - 1 else "├"
            tag = KIND_TAGS.get(neighbour.kind, neighbour.kind)
            text = f" {branch}{before}[$text-accent]{tag}[/] {_escape(short_name(neighbour))}{after}"
            options.append(Option(text, id=neighbour.id))
        return options


def short_name(node: Node) -> str:
    """The last two parts of a qualified name (``OrderService.advance``): enough in a narrow column."""
    sep = "::" if "::" in node.qualname else "."
    return sep.join(node.qualname.split(sep)[-2:])
