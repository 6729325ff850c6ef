"""Warm start: open a root from its snapshot, re-index only what changed since, save it again.

:func:`warm_start` restores the engine from the snapshot of the same root and options, walks the
tree with the ingest walker, compares every file with its stamp (size and mtime; the content hash
only when those differ), and hands the changed, added and deleted files to :meth:`Engine.update`.
The result equals a cold index of the tree. Anything wrong with the snapshot (missing, corrupt,
truncated, another format, pt-tui or grammar version, other options) means a cold index, with one
warning for the user when a snapshot existed but could not be used; never an exception.

Files extraction reads besides sources (``Cargo.toml``: the crate name is part of every Rust
module's qualified name) are stamped too: when one changes, every source file under its folder is
re-indexed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path, PurePosixPath

from pt_tui.core.engine import Engine
from pt_tui.core.ingest.pipeline import (
    IngestReport,
    ProgressCallback,
    SkippedFile,
    extract_file,
    preload_languages,
)
from pt_tui.core.ingest.walk import FoundFile, WalkStats, walk_sources
from pt_tui.core.lang import FileFacts, language_for
from pt_tui.core.model import Edge, Node
from pt_tui.core.snapshot import (
    SnapshotBody,
    SnapshotError,
    check_header,
    code_fingerprint,
    grammar_versions,
    make_header,
    read_snapshot,
    snapshot_path,
    write_snapshot,
)
from pt_tui.core.stamps import FileStamp, TreeChanges, compare, new_stamp

log = logging.getLogger(__name__)

#: Extraction reads these besides the sources themselves.
MANIFESTS = frozenset({"Cargo.toml"})
#: Snapshot problems worth a warning (a missing snapshot or other options are routine).
_WARN_KINDS = frozenset({"corrupt", "truncated", "version", "unreadable", "restore", "update"})
#: With more changed files than this share of the tree (and at least COLD_MIN_FILES), a cold
#: index (parallel extraction) beats an update (serial extraction, full re-resolution).
COLD_SHARE = 0.3
COLD_MIN_FILES = 200


@dataclass
class WarmReport:
    """How the engine was opened. Times in seconds; counts in files."""

    mode: str = "cold"  # "warm" or "cold"
    reason: str = ""  # why it was cold ("" when warm)
    warning: str = ""  # one line for the user: a snapshot existed but could not be used
    save_error: str = ""  # the snapshot could not be written (read-only cache, disk full...)
    snapshot: str = ""  # its path
    snapshot_bytes: int = 0  # size read (warm) or written (cold, or warm with changes)
    saved: bool = False
    files_reused: int = 0  # restored from the snapshot as they were
    files_changed: int = 0
    files_added: int = 0
    files_deleted: int = 0
    files_hashed: int = 0  # same size, other mtime: hashed to decide
    setup_seconds: float = 0.0  # import the languages, fingerprint the code (any start pays it)
    load_seconds: float = 0.0  # read, verify and decode the snapshot
    restore_seconds: float = 0.0  # rebuild the graph from it
    walk_seconds: float = 0.0  # re-walk the tree and compare stamps
    update_seconds: float = 0.0  # re-index what changed
    save_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def files_reindexed(self) -> int:
        return self.files_changed + self.files_added + self.files_deleted


@dataclass
class _Walk:
    sources: dict[str, FoundFile]
    manifests: dict[str, FoundFile]
    stats: WalkStats


def _walk(root: Path, exclude: Sequence[str], follow_symlinks: bool) -> _Walk:
    """The source files a cold index would see, and the manifests beside them."""
    stats = WalkStats()
    sources: dict[str, FoundFile] = {}
    manifests: dict[str, FoundFile] = {}
    for f in walk_sources(
        root,
        lambda name: name in MANIFESTS or language_for(name) is not None,
        follow_symlinks=follow_symlinks,
        exclude=exclude,
        stats=stats,
    ):
        (manifests if f.path.name in MANIFESTS else sources)[f.relpath] = f
    return _Walk(sources, manifests, stats)


def warm_start(
    root: str | Path,
    *,
    cold: bool = False,
    exclude: Sequence[str] = (),
    follow_symlinks: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    write: bool = True,
) -> tuple[Engine, WarmReport]:
    """An indexed engine for ``root``, from its snapshot when one is usable, and how it went.

    ``cold`` ignores the snapshot (and rewrites it); ``write=False`` writes nothing. Raises
    :class:`EngineError` only for a root that is not a readable folder.
    """
    started = time.perf_counter()
    started_ns = time.time_ns()
    preload_languages()
    code_fingerprint()  # of the code this process runs, before it can change on disk
    grammar_versions()
    setup_seconds = time.perf_counter() - started
    engine = Engine(root, follow_symlinks=follow_symlinks, workers=workers, exclude=exclude)
    if not engine.root.is_dir():
        engine.index()  # raises the EngineError that names the problem
    path = snapshot_path(engine.root)
    report = WarmReport(snapshot=str(path), setup_seconds=setup_seconds)
    previous: Mapping[str, FileStamp] = {}
    changes: TreeChanges | None = None
    walk: _Walk | None = None
    body: SnapshotBody | None = None
    if cold:
        report.reason = "--cold"
    else:
        body = _load(engine, path, report)
    if body is not None:
        walk, changes = _warm(engine, body, report, started_ns)
        previous = body.stamps
        if changes is None:
            engine = Engine(root, follow_symlinks=follow_symlinks, workers=workers, exclude=exclude)
    if changes is None:
        report.mode = "cold"
        engine.index(progress)
        t = time.perf_counter()
        walk = _walk(engine.root, engine.exclude, engine.follow_symlinks)
        report.walk_seconds = time.perf_counter() - t
    assert walk is not None
    stamps = _stamps(engine, walk.sources, started_ns, previous, changes)
    if changes is not None:
        engine.report = _report(engine, walk.stats, stamps, report.update_seconds, started)
    if write and (changes is None or changes.dirty or changes.touched):
        t = time.perf_counter()
        manifests = {p: new_stamp(f, started_ns) for p, f in walk.manifests.items()}
        try:
            report.snapshot_bytes = save(engine, path, stamps, manifests, started_ns)
            report.saved = True
        except OSError as exc:
            report.save_error = f"cannot write the snapshot {path}: {exc.strerror or exc}"
            log.info("%s", report.save_error)
        report.save_seconds = time.perf_counter() - t
    report.total_seconds = time.perf_counter() - started
    engine.report.total_seconds = report.total_seconds
    return engine, report


def open_engine(
    root: str | Path,
    *,
    cold: bool = False,
    exclude: Sequence[str] = (),
    follow_symlinks: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    write: bool = True,
) -> Engine:
    """:func:`warm_start` for callers that only want the engine; a snapshot problem is logged."""
    engine, report = warm_start(
        root,
        cold=cold,
        exclude=exclude,
        follow_symlinks=follow_symlinks,
        progress=progress,
        workers=workers,
        write=write,
    )
    for message in (report.warning, report.save_error):
        if message:
            log.warning("%s", message)
    return engine


def _load(engine: Engine, path: Path, report: WarmReport) -> SnapshotBody | None:
    t = time.perf_counter()
    try:
        snap = read_snapshot(path)
        check_header(snap.header, engine.root, engine.exclude, engine.follow_symlinks)
    except SnapshotError as exc:
        _fail(report, exc.kind, str(exc))
        return None
    report.load_seconds = time.perf_counter() - t
    report.snapshot_bytes = snap.size
    return snap.body


def _fail(report: WarmReport, kind: str, message: str) -> None:
    report.reason = message
    if kind in _WARN_KINDS:
        report.warning = f"{message}; indexing cold"
    log.info("snapshot not used (%s): %s", kind, message)


def _warm(
    engine: Engine, body: SnapshotBody, report: WarmReport, started_ns: int
) -> tuple[_Walk, TreeChanges | None]:
    """Restore, re-walk, update. The changes, or None when a cold index is the better way."""
    t = time.perf_counter()
    facts = {f.path: f for f in body.facts}
    try:
        engine.restore(
            facts,
            graph_nodes(facts),
            chain((e for f in facts.values() for e in f.edges), body.edges),
            body.generation,
            {p: (s.size, s.mtime_ns) for p, s in body.stamps.items() if p in facts},
        )
    except Exception as exc:  # a snapshot that verified but does not restore: never fatal
        _fail(report, "restore", f"snapshot does not restore ({type(exc).__name__}: {exc})")
        return _Walk({}, {}, WalkStats()), None
    report.restore_seconds = time.perf_counter() - t
    t = time.perf_counter()
    walk = _walk(engine.root, engine.exclude, engine.follow_symlinks)
    changes = compare(walk.sources.values(), body.stamps, started_ns)
    dirty = set(changes.dirty) | _manifest_dependents(walk, body, started_ns)
    report.walk_seconds = time.perf_counter() - t
    report.files_hashed = changes.hashed
    if len(dirty) >= COLD_MIN_FILES and len(dirty) > COLD_SHARE * max(1, len(walk.sources)):
        report.reason = f"{len(dirty):,} files changed since the snapshot"
        return walk, None
    # files re-indexed only because a manifest changed count as changed
    extra = dirty - set(changes.dirty)
    if extra:
        changes.unchanged = [p for p in changes.unchanged if p not in extra]
        for p in extra:
            changes.touched.pop(p, None)
        changes.changed.extend(sorted(extra))
    if changes.dirty:
        t = time.perf_counter()
        try:
            engine.update(sorted(changes.dirty))
        except Exception as exc:  # an engine bug must cost a cold index, not the command
            log.exception("update after restore failed")
            _fail(report, "update", f"updating the snapshot failed ({type(exc).__name__}: {exc})")
            return walk, None
        report.update_seconds = time.perf_counter() - t
    report.mode = "warm"
    report.files_reused = len(changes.unchanged)
    report.files_changed = len(changes.changed)
    report.files_added = len(changes.added)
    report.files_deleted = len(changes.deleted)
    return walk, changes


def graph_nodes(facts: Mapping[str, FileFacts]) -> Iterator[Node]:
    """The graph's nodes, from the facts: an id several files declare belongs to the first path."""
    seen: set[str] = set()
    for path in sorted(facts):
        for node in facts[path].nodes:
            if node.id not in seen:
                seen.add(node.id)
                yield node


def _manifest_dependents(walk: _Walk, body: SnapshotBody, started_ns: int) -> set[str]:
    """Sources to re-index because a manifest changed (or ``src/lib.rs`` came or went)."""
    changed = compare(walk.manifests.values(), body.manifests, started_ns)
    folders = {str(PurePosixPath(p).parent) for p in changed.dirty}
    out: set[str] = set()
    for folder in folders:
        prefix = "" if folder == "." else folder + "/"
        out.update(p for p in walk.sources if p.startswith(prefix) and p.endswith(".rs"))
    came_or_went = set(walk.sources) ^ set(body.stamps)
    for p in came_or_went:
        if p == "src/lib.rs" or p.endswith("/src/lib.rs"):
            sibling = p.removesuffix("lib.rs") + "main.rs"
            if sibling in walk.sources:
                out.add(sibling)
    return out


def _stamps(
    engine: Engine,
    found: Mapping[str, FoundFile],
    started_ns: int,
    previous: Mapping[str, FileStamp],
    changes: TreeChanges | None,
) -> dict[str, FileStamp]:
    """The stamps to save: kept for unchanged files, new for the others (with their skip reason)."""
    kept = set(changes.unchanged) if changes is not None else set()
    touched = changes.touched if changes is not None else {}
    stamps: dict[str, FileStamp] = {}
    for rel, f in found.items():
        if rel in touched:
            stamps[rel] = touched[rel]
        elif rel in kept:
            stamps[rel] = previous[rel]
        else:
            skipped = "" if rel in engine.facts else _skip_reason(engine.root, f)
            stamps[rel] = new_stamp(f, started_ns, skipped) if skipped != "?" else FileStamp(0, -1, b"")
    for rel in engine.facts:  # indexed, then gone before the walk: re-checked next time
        stamps.setdefault(rel, FileStamp(0, -1, b""))
    return stamps


def _skip_reason(root: Path, f: FoundFile) -> str:
    """Why a walked file has no facts ("?" when it would have some now: it changed meanwhile)."""
    result = extract_file(str(root), str(f.path), f.relpath)
    return result.reason if isinstance(result, SkippedFile) else "?"


def _report(
    engine: Engine, stats: WalkStats, stamps: Mapping[str, FileStamp], update_seconds: float, started: float
) -> IngestReport:
    """The ingest report of a warm start: what the graph holds now, as a cold index would say."""
    report = IngestReport(ignored=stats.ignored, symlinks_skipped=stats.symlinks_skipped)
    report.skipped_unreadable = stats.unreadable
    for message in stats.errors:
        report.note(message)
    for f in engine.facts.values():
        report.files_indexed += 1
        report.lines += f.lines
        report.by_language[f.language] = report.by_language.get(f.language, 0) + 1
        if f.syntax_errors:
            report.files_with_syntax_errors += 1
    for rel, stamp in stamps.items():
        if stamp.skipped:
            _count_skip(report, rel, stamp.skipped)
    report.extract_seconds = update_seconds
    report.total_seconds = time.perf_counter() - started
    return report


def _count_skip(report: IngestReport, rel: str, reason: str) -> None:
    if reason == "binary":
        report.skipped_binary += 1
    elif reason == "huge":
        report.skipped_huge += 1
    elif reason == "non-utf8":
        report.skipped_non_utf8 += 1
    else:
        report.skipped_unreadable += 1
    report.note(f"{rel}: skipped ({reason})")


def resolved_edges(engine: Engine) -> list[Edge]:
    """The graph's edges that no file's facts hold (the resolvers' work, which a snapshot keeps)."""
    local = {e.key for f in engine.facts.values() for e in f.edges}
    return [e for e in engine.isg.edges() if e.key not in local]


def save(
    engine: Engine,
    path: Path | None = None,
    stamps: Mapping[str, FileStamp] | None = None,
    manifests: Mapping[str, FileStamp] | None = None,
    started_ns: int | None = None,
) -> int:
    """Write the engine's snapshot (atomically); returns its size in bytes. Raises OSError.

    Without ``stamps`` the tree is walked and every file stamped now (a long-lived engine, the
    watcher or the dashboard, saving on exit). Reads the graph under :meth:`Engine.read`.
    """
    path = path or snapshot_path(engine.root)
    if stamps is None or manifests is None:
        started_ns = started_ns or time.time_ns()
        walk = _walk(engine.root, engine.exclude, engine.follow_symlinks)
        stamps = _stamps(engine, walk.sources, started_ns, {}, None)
        manifests = {p: new_stamp(f, started_ns) for p, f in walk.manifests.items()}
    with engine.read() as isg:
        facts = list(engine.facts.values())
        body = SnapshotBody(
            generation=isg.generation,
            stamps=dict(stamps),
            manifests=dict(manifests),
            facts=facts,
            edges=resolved_edges(engine),
        )
        header = make_header(
            engine.root,
            engine.exclude,
            engine.follow_symlinks,
            started_ns or time.time_ns(),
            files=len(facts),
            nodes=isg.node_count,
            edges=isg.edge_count,
        )
    return write_snapshot(path, header, body)
