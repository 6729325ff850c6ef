"""The module -> entity tree: children load when a node is first expanded."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from pt_tui.app import services
from pt_tui.app.widgets.base import vim_keys

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.engine import Engine
    from pt_tui.core.model import Node

#: Short kind tags shown before names.
KIND_TAGS = {
    "module": "mod",
    "function": "fn",
    "method": "meth",
    "class": "class",
    "struct": "struct",
    "enum": "enum",
    "union": "union",
    "trait": "trait",
    "impl": "impl",
    "type_alias": "type",
    "const": "const",
    "static": "static",
    "macro": "macro",
    "lambda": "λ",
}


def label(node: Node, count: int, qualified: bool = False) -> Text:
    """``tag name (count)``: styles only (italic, dim), so the theme's colours apply.

    The gap after the tag is its own styled span: exported as SVG, the name then starts at its own x
    instead of after a leading no-break space that some renderers drop (which glued ``modname``).
    """
    name = node.qualname if qualified or node.kind == "module" else node.name
    tag = KIND_TAGS.get(node.kind, node.kind)
    return Text.assemble((tag, "italic dim"), (" ", "dim"), name, (f" ({count})" if count else "", "dim"))


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


class EntityTree(Tree[str]):
    """Module -> entity tree (each node's data is an entity id).

    Bindings: j / k move, enter expands and selects, shift+arrows move between siblings.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *vim_keys("graph.tree"),
        Binding("enter", "select_cursor", "open", id="graph.tree.open", tooltip="Expand and show the entity"),
    ]

    def __init__(self) -> None:
        super().__init__("graph", id="graph-tree")
        self.show_root = False
        self.auto_expand = True
        self.engine: Engine | None = None
        self._by_id: dict[str, TreeNode[str]] = {}
        self._loaded: set[int] = set()  # tree node ids whose children are loaded
        self.filtered = False

    # -- loading ----------------------------------------------------------------------------------

    def show_modules(self, engine: Engine) -> None:
        """(Re)build the top level: one node per module, children not yet loaded."""
        self.engine = engine
        self.filtered = False
        self._reset()
        for module in services.modules(engine):
            self._add(self.root, module)
        self.root.expand()

    def show_matches(self, nodes: list[Node]) -> None:
        """A flat list of filter matches (qualified names), each still expandable."""
        self.filtered = True
        self._reset()
        for found in nodes:
            self._add(self.root, found, qualified=True)
        self.root.expand()

    def _reset(self) -> None:
        self.clear()
        self._by_id.clear()
        self._loaded.clear()

    def _add(self, parent: TreeNode[str], entity: Node, qualified: bool = False) -> TreeNode[str]:
        assert self.engine is not None
        count = len(services.children(self.engine, entity.id))
        tree_node = parent.add(label(entity, count, qualified), data=entity.id, allow_expand=count > 0)
        self._by_id.setdefault(entity.id, tree_node)
        return tree_node

    def load_children(self, tree_node: TreeNode[str]) -> None:
        entity_id = tree_node.data
        if entity_id is None or self.engine is None or tree_node.id in self._loaded:
            return
        self._loaded.add(tree_node.id)
        for child in services.children(self.engine, entity_id):
            self._add(tree_node, child)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[str]) -> None:
        self.load_children(event.node)

    # -- jumping ----------------------------------------------------------------------------------

    def reveal(self, entity_id: str) -> bool:
        """Expand the path to ``entity_id`` and put the cursor on it; False if it is not in the tree."""
        if self.engine is None:
            return False
        chain = services.ancestry(self.engine, entity_id)
        start = next((i for i, n in enumerate(chain) if n.id in self._by_id), None)
        if start is None:
            return False
        current = self._by_id[chain[start].id]
        for entity in chain[start + 1 :]:
            self.load_children(current)
            current.expand()
            nxt = next((c for c in current.children if c.data == entity.id), None)
            if nxt is None:
                break
            current = nxt
        self.call_after_refresh(self._move_to, current)  # line numbers exist once the tree re-rendered
        return current.data == entity_id

    def _move_to(self, tree_node: TreeNode[str]) -> None:
        self.move_cursor(tree_node)
        self.scroll_to_node(tree_node, animate=False)

    # -- live updates -----------------------------------------------------------------------------

    def apply_diff(self, diff: GraphDiff) -> None:
        """Update only the tree nodes a change touched."""
        if self.engine is None:
            return
        for removed in diff.removed_nodes:
            tree_node = self._by_id.pop(removed, None)
            if tree_node is not None and tree_node.parent is not None:
                tree_node.remove()
        for changed in diff.changed_nodes:
            tree_node = self._by_id.get(changed.id)
            if tree_node is not None:
                count = len(services.children(self.engine, changed.id))
                tree_node.set_label(label(changed, count, self.filtered))
                tree_node.allow_expand = count > 0
        for added in diff.added_nodes:
            if added.id in self._by_id or self.filtered:
                continue
            if added.kind == "module" and not added.parent:
                self._add(self.root, added)
                continue
            parent = self._by_id.get(added.parent)
            if parent is not None and parent.id in self._loaded:
                self._add(parent, added)
            elif parent is not None:
                parent.allow_expand = True
