"""Codebase graph pane: filterable module -> entity tree, the selected entity's details and its
neighbourhood (from the query engine). Filter searches and neighbourhoods run in thread workers."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static, Tree

from pt_tui.app import services
from pt_tui.app.widgets.base import Pane, focus_now
from pt_tui.app.widgets.entity_tree import KIND_TAGS, EntityTree, _escape
from pt_tui.app.widgets.neighbours import NeighbourList

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.engine import Engine
    from pt_tui.core.model import Node


class FilterInput(Input):
    """Entity filter box.

    Bindings: escape returns to the tree.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "tree", id="graph.filter.leave", tooltip="Back to the tree"),
    ]

    def action_leave(self) -> None:
        focus_now(self.screen.query_one(EntityTree))


class GraphPane(Pane):
    """Codebase graph.

    Bindings: / filter, ctrl+r clear the filter, n focus the neighbourhood, t focus the tree.
    """

    PANE_ID = "graph"
    TITLE = "Codebase graph"
    NUMBER = 1
    HELP_WIDGETS = (EntityTree, NeighbourList, FilterInput)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "n", "focus_neighbours", "neighbours", id="graph.neighbours", tooltip="Focus the neighbourhood"
        ),
        Binding("t", "focus_tree", "tree", id="graph.tree", tooltip="Focus the module tree"),
        Binding(
            "ctrl+r", "clear_filter", "clear filter", id="graph.clear", tooltip="Show every module again"
        ),
    ]

    class FilterResults(Message):
        def __init__(self, pattern: str, nodes: list[Node]) -> None:
            super().__init__()
            self.pattern = pattern
            self.nodes = nodes

    class NeighbourhoodReady(Message):
        def __init__(self, node: Node, hood: services.Neighbourhood) -> None:
            super().__init__()
            self.node = node
            self.hood = hood

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self.selected: str | None = None
        self._shown: tuple[str, int] | None = None  # (entity, graph generation) last described

    def compose_content(self) -> ComposeResult:
        yield FilterInput(placeholder="/ filter entities (name, glob, a.b qualified)", id="graph-filter")
        with Horizontal(id="graph-body"):
            yield EntityTree()
            with Vertical(id="graph-side"):
                yield Static("indexing…", id="graph-details")
                yield NeighbourList()

    # -- engine -----------------------------------------------------------------------------------

    def set_engine(self, engine: Engine) -> None:
        self.engine = engine
        self._shown = None
        self.query_one(EntityTree).show_modules(engine)
        self.query_one("#graph-details", Static).update(
            f"[$text-muted]{services.graph_summary(engine)}\nselect an entity to see its details[/]"
        )

    def apply_diff(self, diff: GraphDiff) -> None:
        self.query_one(EntityTree).apply_diff(diff)
        touched = {n.id for n in (*diff.added_nodes, *diff.changed_nodes)} | set(diff.removed_nodes)
        if self.selected is not None and (self.selected in touched or diff.added_edges or diff.removed_edges):
            self.show_entity(self.selected)

    # -- actions ----------------------------------------------------------------------------------

    def focus_search(self) -> bool:
        focus_now(self.query_one(FilterInput))
        return True

    def focus_main(self) -> None:
        focus_now(self.query_one(EntityTree))

    def action_focus_neighbours(self) -> None:
        focus_now(self.query_one(NeighbourList))

    def action_focus_tree(self) -> None:
        focus_now(self.query_one(EntityTree))

    def action_clear_filter(self) -> None:
        self.query_one(FilterInput).value = ""
        if self.engine is not None:
            self.query_one(EntityTree).show_modules(self.engine)

    def focus_entity(self, entity_id: str) -> None:
        """Show ``entity_id``: reveal it in the tree (clearing a filter that hides it) and describe it."""
        if self.engine is None or services.node(self.engine, entity_id) is None:
            return
        tree = self.query_one(EntityTree)
        if not tree.reveal(entity_id):
            self.query_one(FilterInput).value = ""
            tree.show_modules(self.engine)
            tree.reveal(entity_id)
        self.show_entity(entity_id)
        tree.focus()

    def show_entity(self, entity_id: str) -> None:
        if self.engine is None:
            return
        entity = services.node(self.engine, entity_id)
        if entity is None:
            self.selected = None
            self._shown = None
            self.query_one("#graph-details", Static).update("[$text-muted]this entity was removed[/]")
            self.query_one(NeighbourList).clear_options()
            return
        self.selected = entity_id
        shown = (entity_id, self.engine.isg.generation)
        if shown == self._shown:  # focus_entity and the tree's highlight both ask: query once
            return
        self._shown = shown
        self.query_one("#graph-details", Static).update(details(entity))
        self._load_neighbourhood(entity)

    # -- workers and their messages ---------------------------------------------------------------

    @work(thread=True, exclusive=True, group="graph-hood", description="neighbourhood")
    def _load_neighbourhood(self, entity: Node) -> None:
        assert self.engine is not None
        self.post_message(self.NeighbourhoodReady(entity, services.neighbourhood(self.engine, entity.id)))

    @work(thread=True, exclusive=True, group="graph-filter", description="entity filter")
    def _search(self, pattern: str) -> None:
        assert self.engine is not None
        self.post_message(self.FilterResults(pattern, services.search(self.engine, pattern)))

    @on(NeighbourhoodReady)
    def _show_neighbourhood(self, message: NeighbourhoodReady) -> None:
        if message.node.id == self.selected:
            self.query_one(NeighbourList).show(message.node, message.hood)

    @on(FilterResults)
    def _show_matches(self, message: FilterResults) -> None:
        if message.pattern == self.query_one(FilterInput).value.strip():
            self.query_one(EntityTree).show_matches(message.nodes)

    @on(Input.Changed, "#graph-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self.engine is None:
            return
        pattern = event.value.strip()
        if pattern:
            self._search(pattern)
        elif self.query_one(EntityTree).filtered:
            self.query_one(EntityTree).show_modules(self.engine)

    @on(Input.Submitted, "#graph-filter")
    def _filter_submitted(self) -> None:
        focus_now(self.query_one(EntityTree))

    @on(Tree.NodeHighlighted, "#graph-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node.data is not None:
            self.show_entity(event.node.data)

    @on(OptionList.OptionSelected, "#graph-neighbours")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.focus_entity(event.option.id)


def details(entity: Node) -> str:
    tag = KIND_TAGS.get(entity.kind, entity.kind)
    lines = [
        f"[b]{_escape(entity.qualname)}[/]  [$text-accent]{tag}[/]",
        f"[$text-muted]{_escape(entity.file)}:{entity.line}-{entity.end_line} · {entity.language}"
        f" · {entity.visibility}[/]",
    ]
    if entity.signature:
        lines.append(f"[$text-primary]{_escape(entity.signature)}[/]")
    if entity.doc:
        lines.append(f"[i]{_escape(entity.doc)}[/]")
    return "\n".join(lines)
