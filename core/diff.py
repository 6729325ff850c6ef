"""What one applied change did to the graph: the event plugins and the UI subscribe to."""

from __future__ import annotations

import msgspec

from pt_tui.core.model import Edge, Node


class GraphDiff(msgspec.Struct, frozen=True, kw_only=True):
    """Added, removed and changed nodes and edges of one applied batch of file changes.

    ``generation`` is the graph generation the diff produced (the one before is ``generation - 1``).
    ``changed_nodes`` holds the new version of nodes whose id survived but whose fields changed
    (a moved line span, a new signature). Removed nodes are given by id, removed edges in full.
    """

    generation: int
    files: tuple[str, ...] = ()  # relative posix paths re-read (changed, added, deleted)
    added_nodes: tuple[Node, ...] = ()
    removed_nodes: tuple[str, ...] = ()
    changed_nodes: tuple[Node, ...] = ()
    added_edges: tuple[Edge, ...] = ()
    removed_edges: tuple[Edge, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def empty(self) -> bool:
        return not (
            self.added_nodes
            or self.removed_nodes
            or self.changed_nodes
            or self.added_edges
            or self.removed_edges
        )
