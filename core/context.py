"""LLM context for one entity, bounded in tokens.

The context holds the entity's signature, doc, location and container, its callers and callees,
bases and implementors, members, the types it uses and its users, and the source excerpt read from
disk. Tokens are estimated as ceil(chars / 4). Over budget, the excerpt is trimmed first (kept from
the top), then every list is cut to a common length, then the doc goes; the text says what was cut.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import msgspec

from pt_tui.core.isg import ISG
from pt_tui.core.model import Edge, EdgeKind, Node
from pt_tui.core.sourcelines import source_lines

Format = Literal["md", "json"]
DEFAULT_MAX_TOKENS = 2000


class Context(msgspec.Struct, kw_only=True):
    text: str  # markdown, or compact JSON of ``data``
    data: dict[str, Any]
    tokens: int  # estimated tokens of ``text``
    notes: list[str]  # what was trimmed or missing


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


@dataclass(frozen=True)
class _Ref:
    qualname: str
    kind: str
    file: str
    line: int
    extra: str = ""  # a member's signature
    site: bool = False  # file:line is where it refers to the entity (a call site), not its definition

    def md(self) -> str:
        if self.site:
            return f"- `{self.qualname}` ({self.kind}) at {self.file}:{self.line}"
        tail = f": `{self.extra}`" if self.extra else ""
        return f"- `{self.qualname}` ({self.kind}, {self.file}:{self.line}){tail}"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"qualname": self.qualname, "kind": self.kind}
        if self.site:
            out["site"] = f"{self.file}:{self.line}"
        else:
            out["file"], out["line"] = self.file, self.line
        if self.extra:
            out["signature"] = self.extra
        return out


#: The lists of a context, in the order they are shown: (key, title).
_LISTS: tuple[tuple[str, str], ...] = (
    ("callers", "Callers"),
    ("callees", "Callees"),
    ("bases", "Bases / implements"),
    ("implementors", "Implementors / subclasses"),
    ("members", "Members"),
    ("uses", "Uses types"),
    ("used_by", "Used by"),
)


@dataclass(frozen=True)
class _Facts:
    node: Node
    parent: Node | None
    lists: dict[str, list[_Ref]]
    excerpt: list[str]  # the lines read, from the entity's first line (possibly fewer than its span)
    span: int  # lines in the entity's span
    missing: str  # why there is no excerpt ("" when there is one)
    fence: str  # a code fence longer than any run of backticks in the excerpt


@dataclass(frozen=True)
class _Shape:
    """How much of the facts to render."""

    excerpt: int
    cap: int | None = None  # items per list (None: all)
    doc: bool = True


def build_context(
    isg: ISG, node: Node, *, root: Path | None, max_tokens: int = DEFAULT_MAX_TOKENS, fmt: Format = "md"
) -> Context:
    """The context of ``node`` in at most ``max_tokens`` estimated tokens (unless even the
    essentials take more, which a note then says)."""
    facts = _collect(isg, node, root, max_chars=max_tokens * 4)
    render = _markdown if fmt == "md" else _json

    def fits(shape: _Shape) -> bool:
        return estimate_tokens(render(facts, shape)) <= max_tokens

    shape = _Shape(excerpt=len(facts.excerpt))
    if not fits(shape):
        shape = _fit(shape, facts, fits)
    text = render(facts, shape)
    tokens = estimate_tokens(text)
    notes = _trim_notes(facts, shape)
    if tokens > max_tokens:
        notes.append(f"max-tokens {max_tokens} is below what the essentials take ({tokens} tokens)")
    return Context(text=text, data=_data(facts, shape), tokens=tokens, notes=notes)


def _fit(shape: _Shape, facts: _Facts, fits: Callable[[_Shape], bool]) -> _Shape:
    lines = _largest(0, shape.excerpt, lambda k: fits(replace(shape, excerpt=k)))
    if lines is not None:
        return replace(shape, excerpt=lines)
    shape = replace(shape, excerpt=0)
    longest = max((len(v) for v in facts.lists.values()), default=0)
    cap = _largest(0, longest, lambda c: fits(replace(shape, cap=c)))
    if cap is not None:
        return replace(shape, cap=cap)
    return replace(shape, cap=0, doc=False)


def _largest(lo: int, hi: int, ok: Callable[[int], bool]) -> int | None:
    """The largest value in lo..hi accepted by ``ok`` (assumed monotone), or None."""
    if not ok(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


# -- collecting -----------------------------------------------------------------------------------


def _collect(isg: ISG, node: Node, root: Path | None, max_chars: int) -> _Facts:
    nodes = isg.nodes

    def defined(ids: list[str]) -> list[_Ref]:
        refs = {i: nodes[i] for i in ids}
        return sorted((_ref(n) for n in refs.values()), key=lambda r: r.qualname)

    def called_from(edges: list[Edge]) -> list[_Ref]:
        first: dict[str, Edge] = {}
        for edge in sorted(edges, key=lambda e: (e.file, e.line)):
            first.setdefault(edge.src, edge)
        refs = [_Ref(nodes[s].qualname, nodes[s].kind, e.file, e.line, site=True) for s, e in first.items()]
        return sorted(refs, key=lambda r: r.qualname)

    out_of = isg.out_edges
    in_of = isg.in_edges
    members = [nodes[e.dst] for e in out_of(node.id, EdgeKind.CONTAINS)]
    lists = {
        "callers": called_from(in_of(node.id, EdgeKind.CALLS)),
        "callees": defined([e.dst for e in out_of(node.id, EdgeKind.CALLS)]),
        "bases": defined([e.dst for e in out_of(node.id, EdgeKind.IMPLEMENTS)]),
        "implementors": defined([e.src for e in in_of(node.id, EdgeKind.IMPLEMENTS)]),
        "members": sorted((_ref(m, m.signature) for m in members), key=lambda r: (r.line, r.qualname)),
        "uses": defined([e.dst for e in out_of(node.id, EdgeKind.USES)]),
        "used_by": defined([e.src for e in in_of(node.id, EdgeKind.USES)]),
    }
    excerpt, missing = _read_excerpt(root, node, max_chars)
    parent = nodes.get(node.parent) if node.parent else None
    runs = re.findall("`+", "\n".join(excerpt))
    fence = "`" * max(3, max(map(len, runs), default=0) + 1)
    return _Facts(node, parent, lists, excerpt, node.end_line - node.line + 1, missing, fence)


def _ref(node: Node, extra: str = "") -> _Ref:
    return _Ref(node.qualname, node.kind, node.file, node.line, extra)


def _read_excerpt(root: Path | None, node: Node, max_chars: int) -> tuple[list[str], str]:
    """The entity's source lines (stopping once ``max_chars`` are read), or why there are none."""
    if root is None:
        return [], "source not available: no root folder given"
    relative = PurePosixPath(node.file)
    if relative.is_absolute() or ".." in relative.parts:
        return [], f"source not shown: {node.file} is outside the indexed root"
    lines: list[str] = []
    size = 0
    try:
        for line in itertools.islice(source_lines(root / relative), node.line - 1, node.end_line):
            lines.append(line)
            size += len(line) + 1
            if size > max_chars:
                break
    except OSError as exc:
        return [], f"source file not readable: {node.file} ({exc.strerror or exc.__class__.__name__})"
    if not lines:
        return (
            [],
            f"source lines {node.line}-{node.end_line} not found in {node.file} (changed since indexing?)",
        )
    return lines, ""


# -- rendering ------------------------------------------------------------------------------------


def _trim_notes(facts: _Facts, shape: _Shape) -> list[str]:
    notes: list[str] = []
    if facts.missing:
        notes.append(facts.missing)
    elif shape.excerpt == 0:
        notes.append(f"source excerpt dropped ({facts.span} lines)")
    elif shape.excerpt < facts.span:
        notes.append(f"source excerpt trimmed to {shape.excerpt} of {facts.span} lines")
    if shape.cap is not None:
        for key, _ in _LISTS:
            total = len(facts.lists[key])
            if total > shape.cap:
                notes.append(f"{key}: {shape.cap} of {total} shown")
    if not shape.doc and facts.node.doc:
        notes.append("doc dropped")
    return notes


def _markdown(facts: _Facts, shape: _Shape) -> str:
    node = facts.node
    out = [f"# {node.kind} `{node.qualname}`", ""]
    out.append(f"- location: `{node.file}:{node.line}-{node.end_line}` ({node.language}, {node.visibility})")
    if facts.parent is not None:
        out.append(f"- in: {facts.parent.kind} `{facts.parent.qualname}`")
    if node.signature:
        out.append(f"- signature: `{node.signature}`")
    if shape.doc and node.doc:
        out.append(f"- doc: {node.doc}")
    for key, title in _LISTS:
        refs = facts.lists[key]
        shown = refs if shape.cap is None else refs[: shape.cap]
        if not shown:
            continue
        count = f"{len(shown)} of {len(refs)}" if len(shown) < len(refs) else str(len(refs))
        out += ["", f"## {title} ({count})", *(r.md() for r in shown)]
    if shape.excerpt:
        body = facts.excerpt[: shape.excerpt]
        last = node.line + len(body) - 1
        fence = facts.fence
        out += ["", f"## Source ({node.file}:{node.line}-{last})", fence + node.language, *body, fence]
    notes = _trim_notes(facts, shape)
    if notes:
        out += ["", "_Trimmed or missing: " + "; ".join(notes) + "._"]
    return "\n".join(out) + "\n"


def _json(facts: _Facts, shape: _Shape) -> str:
    return msgspec.json.encode(_data(facts, shape)).decode()


def _data(facts: _Facts, shape: _Shape) -> dict[str, Any]:
    notes = _trim_notes(facts, shape)
    node = facts.node
    entity: dict[str, Any] = {
        "id": node.id,
        "qualname": node.qualname,
        "kind": node.kind,
        "language": node.language,
        "file": node.file,
        "line": node.line,
        "end_line": node.end_line,
        "visibility": node.visibility,
        "signature": node.signature,
    }
    if shape.doc and node.doc:
        entity["doc"] = node.doc
    if facts.parent is not None:
        entity["parent"] = facts.parent.qualname
    data: dict[str, Any] = {"entity": entity}
    for key, _ in _LISTS:
        refs = facts.lists[key]
        shown = refs if shape.cap is None else refs[: shape.cap]
        if shown:
            data[key] = [r.json() for r in shown]
    if shape.excerpt:
        body = facts.excerpt[: shape.excerpt]
        data["source"] = {
            "file": node.file,
            "start": node.line,
            "end": node.line + len(body) - 1,
            "text": "\n".join(body),
        }
    if notes:
        data["notes"] = notes
    return data
