"""Walking verbs: callers, callees, blast-radius, what-implements, uses and path."""

from __future__ import annotations

from pt_tui.core.isg import ISG
from pt_tui.core.model import TYPE_KINDS, Edge, EdgeKind, NodeKind
from pt_tui.core.query.graph import FirstEdges, Relation, callees_of, callers_of, shortest_path, walk
from pt_tui.core.query.registry import Call, Option, Param, VerbSpec
from pt_tui.core.query.result import Output, ResultRow
from pt_tui.core.query.types import Entity, Integer
from pt_tui.core.query.verbs.rows import location, reached_rows, site

#: Relations along which a change spreads to the source of the edge.
_BLAST_KINDS = frozenset({EdgeKind.CALLS, EdgeKind.IMPLEMENTS, EdgeKind.USES, EdgeKind.IMPORTS})
#: Kinds whose members' callers are affected by a change to them.
_MEMBERED = TYPE_KINDS | {NodeKind.IMPL}


def _ids(call: Call, name: str = "entity") -> list[str]:
    return [n.id for n in call.nodes(name)]


def _walk(call: Call, relation: Relation, depth: int | None) -> Output:
    memo: FirstEdges = call.index.memo(("first-edges", relation.key), dict)
    return Output(rows=reached_rows(call.isg, walk(_ids(call), relation, depth, memo)))


def callers(call: Call) -> Output:
    return _walk(call, callers_of(call.isg), call.integer("depth"))


def callees(call: Call) -> Output:
    return _walk(call, callees_of(call.isg), call.integer("depth"))


def what_implements(call: Call) -> Output:
    return _walk(call, callers_of(call.isg, EdgeKind.IMPLEMENTS), call.optional_integer("depth"))


def uses(call: Call) -> Output:
    return _walk(call, callers_of(call.isg, EdgeKind.USES), 1)


def blast_radius(call: Call) -> Output:
    return _walk(call, blast(call.isg), call.integer("depth"))


def blast(isg: ISG) -> Relation:
    """Incoming CALLS, IMPLEMENTS, USES and IMPORTS; for a type (or impl), also the incoming CALLS
    of its members (those edges end at the member, not at the node followed)."""
    in_edges, nodes = isg.in_edges, isg.nodes

    def edges(node_id: str) -> list[Edge]:
        found = [e for e in in_edges(node_id) if e.kind in _BLAST_KINDS]
        if nodes[node_id].kind in _MEMBERED:
            for member in members(isg, node_id):
                found += in_edges(member, EdgeKind.CALLS)
        return found

    return Relation(edges, False, "blast")


def members(isg: ISG, type_id: str) -> list[str]:
    """What a type contains, plus the members of impl blocks that use it (Rust ``impl T``)."""
    found = [e.dst for e in isg.out_edges(type_id, EdgeKind.CONTAINS)]
    for edge in isg.in_edges(type_id, EdgeKind.USES):
        if isg.nodes[edge.src].kind is NodeKind.IMPL:
            found.extend(e.dst for e in isg.out_edges(edge.src, EdgeKind.CONTAINS))
    return found


def path(call: Call) -> Output:
    sources, targets = call.nodes("source"), call.nodes("target")
    isg = call.isg
    steps = shortest_path(isg, [n.id for n in sources], [n.id for n in targets], EdgeKind.CALLS)
    rows = [
        ResultRow(
            node=isg.nodes[node_id],
            distance=i,
            via=EdgeKind.CALLS if edge else "",
            detail=site(edge) if edge else location(isg.nodes[node_id]),
        )
        for i, (node_id, edge) in enumerate(steps)
    ]
    notes: list[str] = []
    if not rows:
        names = ", ".join(n.qualname for n in targets)
        notes.append(f"no CALLS path from {', '.join(n.qualname for n in sources[:3])} to {names}")
        if shortest_path(isg, [n.id for n in targets], [n.id for n in sources], EdgeKind.CALLS):
            notes.append("a path exists in the other direction (swap the arguments)")
    return Output(rows=rows, notes=notes)


def _depth(default: int | None) -> Option:
    help_text = "hops to follow" + (" (default: unlimited)" if default is None else f" (default {default})")
    return Option("depth", Integer(minimum=1), default, help_text)


_ENTITY = Param("entity", Entity(), "an entity: qualified or short name")

SPECS = (
    VerbSpec(
        "callers", callers, (_ENTITY,), (_depth(1),), "who calls it (transitively up to --depth)", "entity"
    ),
    VerbSpec(
        "callees", callees, (_ENTITY,), (_depth(1),), "what it calls (transitively up to --depth)", "entity"
    ),
    VerbSpec(
        "blast-radius",
        blast_radius,
        (_ENTITY,),
        (_depth(3),),
        "what a change to it can affect: callers, subtypes, users, importers, callers of its members",
        "entity",
    ),
    VerbSpec(
        "what-implements",
        what_implements,
        (Param("entity", Entity(), "a class or trait"),),
        (_depth(None),),
        "subclasses and implementors (incoming IMPLEMENTS, transitive)",
        "entity",
    ),
    VerbSpec("uses", uses, (Param("entity", Entity(), "a type"),), (), "who uses the type", "entity"),
    VerbSpec(
        "path",
        path,
        (Param("source", Entity(), "where the path starts"), Param("target", Entity(), "where it ends")),
        (),
        "a shortest CALLS path from SOURCE to TARGET",
        "source",
    ),
)
