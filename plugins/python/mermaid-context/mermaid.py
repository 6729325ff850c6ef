"""A context format: the entity, its callers and callees, as a Mermaid flowchart."""

from __future__ import annotations

from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node
from pt_tui.sandbox.api import Context

MAX_NEIGHBOURS = 12


def _label(node: Node) -> str:
    return node.qualname.replace('"', "'")


class MermaidContext:
    name = "mermaid-context"
    version = "1.0.0"

    def context_formats(self) -> list[str]:
        return ["mermaid"]

    def generate_context(self, entity: Node, isg: ISG) -> Context:
        callers = [isg.nodes[e.src] for e in isg.in_edges(entity.id) if e.kind is EdgeKind.CALLS][
            :MAX_NEIGHBOURS
        ]
        callees = [isg.nodes[e.dst] for e in isg.out_edges(entity.id) if e.kind is EdgeKind.CALLS][
            :MAX_NEIGHBOURS
        ]
        ids: dict[str, str] = {entity.id: "n0"}
        lines = ["```mermaid", "flowchart LR", f'  n0["{_label(entity)}"]:::focus']
        for node in (*callers, *callees):
            if node.id not in ids:
                ids[node.id] = f"n{len(ids)}"
                lines.append(f'  {ids[node.id]}["{_label(node)}"]')
        lines.extend(f"  {ids[c.id]} --> n0" for c in callers)
        lines.extend(f"  n0 --> {ids[c.id]}" for c in callees)
        lines.append("  classDef focus stroke-width:3px")
        lines.append("```")
        data = {
            "entity": entity.qualname,
            "callers": [c.qualname for c in callers],
            "callees": [c.qualname for c in callees],
        }
        return Context(format="mermaid", text="\n".join(lines), data=data)
