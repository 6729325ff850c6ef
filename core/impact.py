"""The impact of a git change: the entities its hunks touch, and what depends on them.

Each side of every changed file is extracted alone (the old blob, the new content), so each hunk
line maps to the innermost entity spanning it on its side (a method rather than its class; the
class itself when its own header or body lines changed; blank lines and lambdas are ignored).
Entities are matched across sides by stable id: only in the new side is *added*, only in the old
*removed*, in both and touched *modified*; in a renamed file, entities whose name relative to the
module survived are *moved*. The blast radius (the ``blast-radius`` verb: callers, subtypes, users,
importers, callers of members, up to ``depth`` hops) is read on the graph of the new side, and for
removed entities on the graph of the old side (indexed only when something was removed).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from pt_tui.core.engine import Engine
from pt_tui.core.gitdiff import GitChange, GitDiffError, read_changes
from pt_tui.core.isg import ISG
from pt_tui.core.lang import ExtractContext, FileFacts, language_for
from pt_tui.core.model import Node, NodeKind
from pt_tui.core.query.indexes import index_for
from pt_tui.core.query.registry import VERBS, Call

__all__ = ["GitDiffError", "ImpactEntity", "ImpactFile", "ImpactReport", "analyze", "impact"]

CHANGES = ("removed", "added", "modified", "moved")
_IGNORED_KINDS = frozenset({NodeKind.LAMBDA})


class ImpactEntity(msgspec.Struct, kw_only=True):
    """One changed entity. ``file``/``line`` are on the new side (old side for a removed one)."""

    id: str
    qualname: str
    kind: str
    language: str
    change: str  # added | removed | modified | moved
    file: str
    line: int
    end_line: int
    old_file: str | None  # where it was, when it existed before
    old_line: int | None
    lines_changed: int  # non-blank hunk lines (old and new side) whose innermost entity it is
    blast_radius: int | None  # dependents within ``depth`` hops; None when no graph has it
    blast_depth: int  # hops to the farthest of them
    dependents: list[str]  # the nearest dependents' qualified names (at most ``top``)


class ImpactFile(msgspec.Struct, kw_only=True):
    path: str  # new path (old path for a deleted file), relative to the indexed root
    old_path: str | None
    status: str  # added | deleted | modified | renamed
    language: str  # "" when not an indexed language
    hunks: int
    lines_added: int
    lines_removed: int
    entities: int  # changed entities in this file
    note: str  # "", "binary", "not an indexed language", "not UTF-8", ...


class ImpactReport(msgspec.Struct, kw_only=True):
    root: str
    repository: str
    base: str  # commit of the old side (12 hex digits)
    target: str  # commit of the new side, "index" or "working tree"
    depth: int
    summary: dict[str, int]  # files, entities, added, removed, modified, moved, outside_root
    files: list[ImpactFile]
    entities: list[ImpactEntity]  # by blast radius, largest first
    notes: list[str]

    @property
    def empty(self) -> bool:
        return not self.files


@dataclass
class _Side:
    """The entities of one side of one file and the innermost entity of each line."""

    facts: FileFacts | None
    nodes: dict[str, Node]
    innermost: list[str]  # line -> entity id ("" for none)
    lines: list[bytes]

    def touched(self, line_numbers: range, counts: Counter[str]) -> None:
        for n in line_numbers:
            if 0 < n < len(self.innermost) and self.innermost[n] and self.lines[n - 1].strip():
                counts[self.innermost[n]] += 1


_EMPTY = _Side(None, {}, [], [])


def _extract(relpath: str | None, source: bytes | None, ctx: ExtractContext) -> tuple[_Side, str]:
    """The side of one file, and a note when it holds no entities for a reason worth saying."""
    if relpath is None:
        return _EMPTY, ""
    language = language_for(relpath)
    if language is None:
        return _EMPTY, "not an indexed language"
    if source is None:
        return _EMPTY, "unreadable"
    if b"\x00" in source[:8192]:
        return _EMPTY, "binary"
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return _EMPTY, "not UTF-8"
    try:
        facts = language.extract(relpath, source, ctx)
    except Exception as exc:  # an extractor bug: report the file, keep the rest
        return _EMPTY, f"extraction failed: {type(exc).__name__}"
    nodes = {n.id: n for n in facts.nodes if n.kind not in _IGNORED_KINDS}
    lines = source.split(b"\n")
    return _Side(facts, nodes, _innermost(nodes, len(lines)), lines), ""


def _innermost(nodes: dict[str, Node], line_count: int) -> list[str]:
    """For each 1-based line, the id of the deepest entity spanning it."""
    depth: dict[str, int] = {}

    def depth_of(node: Node) -> int:
        if node.id not in depth:
            parent = nodes.get(node.parent)
            depth[node.id] = 0 if parent is None or parent.id == node.id else depth_of(parent) + 1
        return depth[node.id]

    result = [""] * (line_count + 2)
    for node in sorted(nodes.values(), key=lambda n: (n.line, -n.end_line, depth_of(n))):
        last = min(node.end_line, line_count + 1)
        result[node.line : last + 1] = [node.id] * max(0, last + 1 - node.line)
    return result


def _relative(node: Node, facts: FileFacts | None) -> str | None:
    """A node's qualified name relative to its module (for matching across a file rename)."""
    if facts is None or not node.qualname.startswith(facts.module):
        return None
    return f"{node.kind}:{node.qualname[len(facts.module) :]}"


def _blast(isg: ISG, node_id: str, depth: int, top: int) -> tuple[int, int, list[str]]:
    node = isg.nodes[node_id]
    call = Call(isg, index_for(isg), None, {"entity": None, "depth": depth}, {"entity": [node]}, None)
    rows = VERBS["blast-radius"].handler(call).rows
    far = max((r.distance or 0 for r in rows), default=0)
    return len(rows), far, [r.node.qualname for r in rows[:top]]


@dataclass
class _Scan:
    """What the hunks of every changed file touched, on each side."""

    files: list[ImpactFile]
    old_nodes: dict[str, Node]  # id -> entity, over the old side of every changed file
    new_nodes: dict[str, Node]
    touched: Counter[str]  # id -> non-blank hunk lines whose innermost entity it is
    moved: dict[str, str]  # new id -> old id, for entities of renamed files


def _scan(change: GitChange, ctx: ExtractContext) -> _Scan:
    scan = _Scan([], {}, {}, Counter(), {})
    for fd in change.files:
        if fd.binary:
            old, new, note = _EMPTY, _EMPTY, "binary"
        else:
            old, old_note = _extract(
                fd.old_path, change.old_source(fd.old_path) if fd.old_path else None, ctx
            )
            new, new_note = _extract(
                fd.new_path, change.new_source(fd.new_path) if fd.new_path else None, ctx
            )
            note = new_note or old_note
        for hunk in fd.hunks:
            old.touched(hunk.old_lines, scan.touched)
            new.touched(hunk.new_lines, scan.touched)
        scan.old_nodes.update(old.nodes)
        scan.new_nodes.update(new.nodes)
        if fd.status == "renamed":
            vanished = {_relative(n, old.facts): i for i, n in old.nodes.items() if i not in new.nodes}
            for i, n in new.nodes.items():
                key = _relative(n, new.facts)
                if key is not None and key in vanished and i not in old.nodes:
                    scan.moved[i] = vanished[key]
        language = language_for(fd.path)
        scan.files.append(
            ImpactFile(
                path=fd.path,
                old_path=fd.old_path if fd.status == "renamed" else None,
                status=fd.status,
                language=language.name if language else "",
                hunks=len(fd.hunks),
                lines_added=sum(h.new_count for h in fd.hunks),
                lines_removed=sum(h.old_count for h in fd.hunks),
                entities=0,
                note=note,
            )
        )
    return scan


def _classify(scan: _Scan, node_id: str) -> tuple[str, Node, Node | None, int] | None:
    """(change, the entity, its old version, lines changed), or None when it did not change."""
    before = scan.old_nodes.get(scan.moved.get(node_id, node_id))
    after = scan.new_nodes.get(node_id)
    lines = scan.touched[node_id] + (scan.touched[scan.moved[node_id]] if node_id in scan.moved else 0)
    if after is None:
        return None if before is None else ("removed", before, before, lines)
    if before is None:
        return "added", after, None, lines
    if node_id in scan.moved:
        return "moved", after, before, lines
    return ("modified", after, before, lines) if lines else None


def analyze(
    change: GitChange,
    new_isg: ISG,
    old_isg: Callable[[], ISG | None] | None = None,
    *,
    ctx_root: Path | None = None,
    depth: int = 3,
    top: int = 5,
) -> ImpactReport:
    """Map the hunks of ``change`` to entities and rank them by blast radius on ``new_isg``.

    ``old_isg`` is called (once) only if some entity was removed: the graph of the old side.
    ``ctx_root`` is the folder extraction resolves root-relative lookups against (Cargo.toml).
    """
    scan = _scan(change, ExtractContext(ctx_root or change.root))
    candidates = set(scan.touched) | (scan.old_nodes.keys() ^ scan.new_nodes.keys())
    entities: list[ImpactEntity] = []
    old_graph: list[ISG | None] = []  # loaded at most once
    for node_id in sorted(candidates - set(scan.moved.values())):
        found = _classify(scan, node_id)
        if found is None:
            continue
        change_kind, node, before, lines = found
        graph: ISG | None = new_isg if node_id in new_isg.nodes else None
        if graph is None and change_kind == "removed" and old_isg is not None:
            if not old_graph:
                old_graph.append(old_isg())
            graph = old_graph[0] if old_graph[0] is not None and node_id in old_graph[0].nodes else None
        radius, far, dependents = _blast(graph, node_id, depth, top) if graph else (None, 0, [])
        entities.append(
            ImpactEntity(
                id=node_id,
                qualname=node.qualname,
                kind=str(node.kind),
                language=node.language,
                change=change_kind,
                file=node.file,
                line=node.line,
                end_line=node.end_line,
                old_file=before.file if before else None,
                old_line=before.line if before else None,
                lines_changed=lines,
                blast_radius=radius,
                blast_depth=far,
                dependents=dependents,
            )
        )
    entities.sort(key=lambda e: (-(e.blast_radius or 0), CHANGES.index(e.change), e.file, e.line, e.qualname))
    by_file = Counter(e.file for e in entities)
    for f in scan.files:
        f.entities = by_file[f.path] + (by_file[f.old_path] if f.old_path else 0)
    summary = {"files": len(scan.files), "entities": len(entities)}
    summary |= {
        c: sum(1 for e in entities if e.change == c) for c in ("added", "removed", "modified", "moved")
    }
    summary["outside_root"] = change.outside
    notes = [] if scan.files else [f"no changes between {change.base_label} and the {change.target_label}"]
    return ImpactReport(
        root=str(change.root),
        repository=str(change.repo.working_tree_dir),
        base=change.base_label,
        target=change.target_label,
        depth=depth,
        summary=summary,
        files=scan.files,
        entities=entities,
        notes=notes,
    )


def _cold_graph(root: Path) -> ISG:
    engine = Engine(root)
    engine.index()
    return engine.isg


def impact(
    path: Path,
    *,
    rev: str | None = None,
    staged: bool = False,
    depth: int = 3,
    top: int = 5,
    open_worktree: Callable[[Path], Engine] | None = None,
) -> ImpactReport:
    """The impact of the change selected by ``rev``/``staged`` on the code under ``path``.

    The working tree's graph comes from ``open_worktree`` (e.g. a warm start) or a cold index;
    other sides are written to a temporary folder and indexed there. Raises :class:`GitDiffError`.
    """
    change = read_changes(path, rev=rev, staged=staged)
    with tempfile.TemporaryDirectory(prefix="pt-tui-impact-") as tmp:
        if not change.files:
            return analyze(change, ISG(), None, depth=depth, top=top)
        if change.target is None and not change.staged:
            new_root = change.root
            new_isg = open_worktree(new_root).isg if open_worktree else _cold_graph(new_root)
        else:
            new_root = change.materialize("new", Path(tmp) / "new")
            new_isg = _cold_graph(new_root)

        def old_graph() -> ISG:
            return _cold_graph(change.materialize("old", Path(tmp) / "old"))

        return analyze(change, new_isg, old_graph, ctx_root=new_root, depth=depth, top=top)
