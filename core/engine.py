"""The engine facade: index a root into an ISG, keep it live, and answer queries on it.

Incremental updates (:meth:`Engine.update`): the given files are re-read and re-extracted alone.
Per language, when every changed file keeps its *interface* (what other files' resolution can
read: its definitions, bindings, bases, returns... everything but lines, local references and
calls without arguments), the language's resolver is patched in place and only those files are
resolved again against the live resolver indexes (a few milliseconds). Otherwise (a definition
added, removed or renamed, an import or a base changed, a file added or deleted) the language's
resolver is made anew: from the live one with its index patched for the changed files when the
language offers it (:meth:`Resolver.patched`: Python), else from
the stored facts of all its files; and every file of the language is resolved again with it:
exact, and never re-parses anything, but it costs about what resolution of that language costs on
a cold index (with :data:`TARGETED` on, only the files :meth:`Resolver.affected` names are; off by
default, see there). Batches of :data:`MANY_FILES` files or more are extracted as a cold index
does, in worker processes when they are big enough. Either way the new edges of each resolved
file are diffed against the ones it had (edges belong to the file of the reference,
``edge.file``), and applied.

After a :meth:`restore` the resolvers are built lazily by the first update that needs them, or
ahead by :meth:`warm_resolvers` (long-lived processes: watch and the dashboard call it).

Consistency rule: parsing and resolution happen outside any lock the query path takes; only the
application of a finished diff holds the write lock (a few milliseconds at most). Every reader of
``engine.isg`` (queries, the UI, plugins) wraps its read in ``with engine.read():`` and so sees
one generation, before or after a diff, never half of it. ``isg.generation`` is bumped by every
applied diff; the query caches key on it. Updates themselves are serialised.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pt_tui.core.diff import GraphDiff
from pt_tui.core.heap import gc_paused
from pt_tui.core.ingest import resolve_parallel
from pt_tui.core.ingest.pipeline import (
    IngestReport,
    ProgressCallback,
    SkippedFile,
    discover,
    extract_all,
    extract_file,
    forget_context,
    preload_languages,
)
from pt_tui.core.ingest.walk import FoundFile, IgnoreRules, WalkStats
from pt_tui.core.isg import ISG, FileInfo
from pt_tui.core.lang import FileFacts, Resolver, language_for, languages
from pt_tui.core.model import Edge, Node, NodeKind

if TYPE_CHECKING:
    from pt_tui.core.watch import BatchCallback

log = logging.getLogger(__name__)

EdgeKey = tuple[str, str, str, str, int]
#: (size, mtime_ns) of a file when it was last read.
Stamp = tuple[int, int]
DiffCallback = Callable[[GraphDiff], None]
#: Batches touching more files than this are followed by a heap settle (collect + freeze).
SETTLE_AFTER_FILES = 200
#: Batches reading at least this many files extract them like a cold index (worker processes).
MANY_FILES = 64
#: Files whose change may change the crate context (what a crate's root module is).
_CRATE_ROOTS = ("src/lib.rs", "src/main.rs")
#: Interface changes re-resolve only the files they may affect (:meth:`Resolver.affected`) when
#: True. Off by default: exact only once Python evaluation is order-independent (cycle fixpoints
#: in evaluate.py; with them the invariant tests and the asyncio / email storms are equal with it
#: on), and on small trees it costs more than it saves (the judging itself prepares a fresh
#: evaluator and reads both indexes). False: every file of the language is resolved again,
#: exactly as a cold index does (with the index patched, not rebuilt).
TARGETED = False


class EngineError(Exception):
    """A problem the user can act on (a missing path, say), reported as one line."""


def build_graph(facts: Mapping[str, FileFacts], report: IngestReport | None = None) -> ISG:
    """Resolve the facts of every language and assemble the graph (a cold build, nothing kept)."""
    started = time.perf_counter()
    raw = _resolve_cold(facts)[1]
    isg = _assemble(facts, raw)[0]
    if report is not None:
        report.resolve_seconds = time.perf_counter() - started
    return isg


def settle_heap() -> None:
    """Collect once, then move every surviving object out of the collector's view.

    The graph is long-lived: without this, later collections (triggered by query allocations)
    re-scan it and show up as multi-millisecond pauses in query p99.
    """
    gc.collect()
    gc.freeze()


def _resolvers(facts: Mapping[str, FileFacts]) -> dict[str, Resolver]:
    """A resolver per language present, over that language's files in path order."""
    out: dict[str, Resolver] = {}
    for name, language in languages().items():
        mine = {p: f for p, f in sorted(facts.items()) if f.language == name}
        if mine:
            with gc_paused():
                out[name] = language.resolver(mine)
    return out


def _resolve_cold(
    facts: Mapping[str, FileFacts],
) -> tuple[dict[str, Resolver], dict[str, dict[EdgeKey, Edge]]]:
    """A cold build's resolution: the resolvers, and every file's raw edges (its CONTAINS edges,
    then what the resolvers found; big trees resolve in two processes, see resolve_parallel)."""
    with gc_paused():
        resolvers = _resolvers(facts)
        raw = {path: _contains(f) for path, f in facts.items()}
        for name, resolver in resolvers.items():
            mine = {p: f for p, f in facts.items() if f.language == name}
            _take(raw, resolve_parallel.resolve_all(resolver, mine))
    return resolvers, raw


def _contains(facts: FileFacts) -> dict[EdgeKey, Edge]:
    return {e.key: e for e in facts.edges}


def _take(raw: dict[str, dict[EdgeKey, Edge]], edges: Iterable[Edge]) -> None:
    """File resolver edges under the file of their reference (the first of equal keys wins)."""
    for edge in edges:
        raw.setdefault(edge.file, {}).setdefault(edge.key, edge)


def _assemble(
    facts: Mapping[str, FileFacts], raw: Mapping[str, Mapping[EdgeKey, Edge]]
) -> tuple[ISG, dict[str, list[Edge]]]:
    """The graph of these facts and edges: nodes first (a node several files declare belongs to
    the first file in path order), then every edge whose ends exist; the others are returned by
    missing end, to be linked when it appears."""
    isg = ISG()
    with gc_paused():
        for path, f in sorted(facts.items()):
            isg.add_nodes(path, f.nodes)
        for path, f in facts.items():
            isg.set_file(_file_info(isg, f), path)
        dangling: dict[str, list[Edge]] = {}
        nodes = isg.nodes
        for path in sorted(raw):
            for edge in raw[path].values():
                if not isg.add_edge(edge):
                    missing = edge.src if edge.src not in nodes else edge.dst
                    if missing not in nodes:
                        dangling.setdefault(missing, []).append(edge)
    isg.generation = 1
    return isg, dangling


def _file_info(isg: ISG, facts: FileFacts) -> FileInfo:
    module_id = next(
        (n.id for n in facts.nodes if n.kind is NodeKind.MODULE and _owner_is(isg, n.id, facts.path)), ""
    )
    return FileInfo(facts.path, facts.language, module_id, facts.lines, facts.syntax_errors)


def _owner_is(isg: ISG, node_id: str, path: str) -> bool:
    node = isg.nodes.get(node_id)
    return node is not None and node.file == path and node_id in isg.owned(path)


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers (so it waits only for
    the reads in progress, each well under a millisecond)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class Engine:
    """Indexes one root, keeps the graph live under file changes, and answers queries about it."""

    def __init__(
        self,
        root: str | Path,
        *,
        follow_symlinks: bool = False,
        workers: int | None = None,
        exclude: Sequence[str] = (),
    ) -> None:
        self.root = Path(root).resolve()
        self.exclude = tuple(exclude)
        self.follow_symlinks = follow_symlinks
        self.workers = workers
        self.isg = ISG()
        self.facts: dict[str, FileFacts] = {}
        self.stamps: dict[str, Stamp] = {}  # path -> (size, mtime_ns) when last read
        self.report = IngestReport()
        self.rules = IgnoreRules(self.root, follow_symlinks=follow_symlinks, exclude=self.exclude)
        self.callback_errors: list[str] = []  # subscriber failures, most recent last (capped)
        self.last_update: dict[str, int] = {}  # what the last update did: files, resolved, full
        self._raw: dict[str, dict[EdgeKey, Edge]] = {}  # per file: its edges, linked or not
        self._dangling: dict[str, list[Edge]] = {}  # missing node id -> raw edges waiting for it
        self._holders: dict[str, str | list[str]] = {}  # node id -> the file(s) declaring it
        self._resolvers: dict[str, Resolver] = {}  # live per-language resolvers (built lazily)
        self._warming: threading.Thread | None = None  # builds the resolvers after a restore
        self._subscribers: list[DiffCallback] = []
        self._lock = _ReadWriteLock()
        self._updating = threading.Lock()

    # -- cold index and restore -----------------------------------------------------------------

    def index(self, progress: ProgressCallback | None = None) -> IngestReport:
        """Cold-index the root. Raises :class:`EngineError` if the root is not a readable folder."""
        if not self.root.exists():
            raise EngineError(f"no such file or directory: {self.root}")
        if not self.root.is_dir():
            raise EngineError(f"not a directory: {self.root}")
        started = time.perf_counter()
        preload_languages()
        report = IngestReport()
        stats = WalkStats()
        files = discover(self.root, stats, self.follow_symlinks, self.exclude)
        report.ignored = stats.ignored
        report.symlinks_skipped = stats.symlinks_skipped
        report.skipped_unreadable += stats.unreadable
        for message in stats.errors:
            report.note(message)
        facts = extract_all(self.root, files, report, progress, self.workers)
        resolve_started = time.perf_counter()
        resolvers, raw = _resolve_cold(facts)
        stamps = {f.relpath: (f.size, f.mtime_ns) for f in files if f.relpath in facts}
        with self._lock.write():
            self._install(facts, raw, stamps)
            self._resolvers = resolvers
        report.resolve_seconds = time.perf_counter() - resolve_started
        settle_heap()
        report.total_seconds = time.perf_counter() - started
        self.report = report
        return report

    def restore(
        self,
        facts: Mapping[str, FileFacts],
        nodes: Iterable[Node],
        edges: Iterable[Edge],
        generation: int,
        stamps: Mapping[str, Stamp] | None = None,
    ) -> None:
        """Rebuild the live state from stored facts and a stored graph, resolving nothing.

        ``facts`` are every indexed file's facts (as :attr:`facts` held them), ``nodes`` and
        ``edges`` the graph built from them (``isg.nodes.values()``, ``isg.edges()``), ``generation``
        the graph's generation, ``stamps`` the files' (size, mtime_ns) if known. The resolvers are
        rebuilt lazily, from the facts, by the first :meth:`update` that needs them. After this,
        ``update(changed_paths)`` brings the graph to the current tree, equal to a cold index.
        Edges that a resolver found but that were dropped because an end was missing are not in a
        stored graph; the first update that adds or removes a definition re-resolves its language
        (as it always does) and so finds them again.
        """
        facts = dict(sorted(facts.items()))
        raw: dict[str, dict[EdgeKey, Edge]] = {path: {} for path in facts}
        _take(raw, edges)
        isg = ISG()
        by_file: dict[str, list[Node]] = {}
        for node in nodes:
            by_file.setdefault(node.file, []).append(node)
        for path in sorted(by_file):
            isg.add_nodes(path, by_file[path])
        for path, f in facts.items():
            isg.set_file(_file_info(isg, f), path)
        for path in sorted(raw):
            isg.add_edges(raw[path].values())
        isg.generation = generation
        with self._updating, self._lock.write():
            self.isg = isg
            self.facts = facts
            self.stamps = dict(stamps or {})
            self._raw = raw
            self._dangling = {}
            self._holders = _holders(facts)
            self._resolvers = {}

    def warm_resolvers(self, background: bool = True) -> threading.Thread | None:
        """Build the resolvers a :meth:`restore` left out and run them over every file once (the
        edges are dropped: the restored graph has them), so that the first :meth:`update` after a
        warm start neither pays for that nor meets memos other than a cold index leaves.

        For long-lived processes (watch, the dashboard): in a daemon thread when ``background``
        (returned; an update meanwhile waits for it rather than building them again), else now.
        One-shot commands need not call it: their one update builds what it needs.
        """
        with self._updating:
            if self._warming is not None and self._warming.is_alive():
                return self._warming
            facts = self.facts
            missing = [
                name
                for name in languages()
                if name not in self._resolvers and any(f.language == name for f in facts.values())
            ]
            if not missing:
                return None
            thread = threading.Thread(
                target=self._build_resolvers, args=(facts, missing), name="pt-tui-resolvers", daemon=True
            )
            self._warming = thread
        if background:
            thread.start()
            return thread
        thread.run()
        return None

    def _build_resolvers(self, facts: Mapping[str, FileFacts], names: Sequence[str]) -> None:
        built: dict[str, Resolver] = {}
        try:
            for name in names:
                mine = {p: f for p, f in sorted(facts.items()) if f.language == name}
                resolver = languages()[name].resolver(mine)
                for _ in resolver.resolve_all():  # what a cold index leaves in the memos: the first
                    pass  # edit then costs what it costs after a cold index, and resolves the same
                built[name] = resolver
        except Exception:  # the first update builds them instead
            log.exception("building the resolvers in the background failed")
            return
        with self._updating:
            if self.facts is facts:  # nothing changed meanwhile (updates wait for this build)
                for name, resolver in built.items():
                    self._resolvers.setdefault(name, resolver)

    def _await_warming(self) -> None:
        thread = self._warming
        if thread is not None and thread is not threading.current_thread():
            if thread.ident is not None:
                thread.join()
            self._warming = None

    def _install(
        self, facts: dict[str, FileFacts], raw: dict[str, dict[EdgeKey, Edge]], stamps: dict[str, Stamp]
    ) -> None:
        self.isg, self._dangling = _assemble(facts, raw)
        self.facts = facts
        self.stamps = stamps
        self._raw = raw
        self._holders = _holders(facts)

    # -- reading and events ---------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[ISG]:
        """Hold the graph still while reading it: ``with engine.read() as isg: run_query(isg, ...)``."""
        with self._lock.read():
            yield self.isg

    def subscribe(self, callback: DiffCallback) -> Callable[[], None]:
        """Call ``callback(diff)`` after every applied change; returns a function that unsubscribes.

        Callbacks run on the updating thread, after the write lock is released. An exception in a
        callback is logged and recorded in :attr:`callback_errors`; it never reaches the engine.
        """
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, diff: GraphDiff) -> None:
        for callback in list(self._subscribers):
            try:
                callback(diff)
            except Exception as exc:  # a subscriber must never break the engine
                log.exception("graph diff subscriber %r failed", callback)
                self.callback_errors.append(f"{getattr(callback, '__qualname__', callback)!s}: {exc!r}")
                del self.callback_errors[:-100]

    # -- incremental updates --------------------------------------------------------------------

    def update(self, paths: Iterable[str | Path]) -> GraphDiff:
        """Bring the given files (changed, added or deleted; a rename is both) up to date.

        Paths are absolute or relative to the root; a folder stands for the files under it (or,
        when gone, for every indexed file that was under it). Returns the applied diff (also sent
        to subscribers); an empty diff when nothing changed, without a new generation.
        """
        started = time.perf_counter()
        self._await_warming()
        with self._updating:
            changed = self._read_changes(paths)
            if not changed:
                return GraphDiff(generation=self.isg.generation)
            merged = dict(self.facts)
            for path, new in changed.items():
                if new is None:
                    merged.pop(path, None)
                else:
                    merged[path] = new
            raw, resolvers, resolved, full = self._resolve(changed, merged)
            with self._lock.write():
                diff = self._apply(changed, merged, raw, started)
                self._resolvers.update(resolvers)
                for name in [n for n in self._resolvers if not any(f.language == n for f in merged.values())]:
                    del self._resolvers[name]
            self.last_update = {
                "files": len(changed),
                "resolved": resolved,
                "full": full,
                "rebuilt": len(resolvers),
            }
        if len(changed) > SETTLE_AFTER_FILES:
            settle_heap()
        self._emit(diff)
        return diff

    def _read_changes(self, paths: Iterable[str | Path]) -> dict[str, FileFacts | None]:
        """New facts of each file that changed (None: gone, or no longer indexed)."""
        rels: dict[str, None] = {}
        for path in paths:
            rel = self.rules.relpath(path)
            if rel is None:
                continue
            full = self.root / rel
            if full.is_dir():
                if not self.rules.dir_ignored(rel):
                    rels.update(dict.fromkeys(self._files_under(rel)))
                rels.update(dict.fromkeys(p for p in self.facts if p.startswith(rel + "/")))
            elif (
                rel in self.facts
                or not full.exists()
                or language_for(rel.rsplit("/", 1)[-1])
                or rel.rsplit("/", 1)[-1] in ("Cargo.toml", ".gitignore")
            ):
                rels[rel] = None
                if rel not in self.facts and not full.exists():  # maybe a folder that is gone
                    rels.update(dict.fromkeys(p for p in self.facts if p.startswith(rel + "/")))
        rels.update(dict.fromkeys(self._crate_dependents(rels)))
        if any(rel.rsplit("/", 1)[-1] == ".gitignore" for rel in rels):
            self.rules.reset()  # what is ignored changed: every file that comes or goes
            now = {f.relpath for f in discover(self.root, None, self.follow_symlinks, self.exclude)}
            rels.update(dict.fromkeys(sorted(now.symmetric_difference(self.facts))))
        root = str(self.root)
        changed: dict[str, FileFacts | None] = {}
        read = self._read_many(rels) if len(rels) >= MANY_FILES else None
        for rel in rels:
            new = read[rel] if read is not None else self._read(root, rel)
            old = self.facts.get(rel)
            if new != old:
                changed[rel] = new
        return dict(sorted(changed.items()))

    def _crate_dependents(self, rels: Mapping[str, None]) -> list[str]:
        """Rust files whose module path may change with these paths: every ``.rs`` file below a
        changed ``Cargo.toml``, and ``src/main.rs`` beside an added or removed ``src/lib.rs``.

        The cached crate context of the root (crate of each folder, whether a package has a
        library) is dropped whenever a manifest or a crate root changes, or a ``.rs`` file comes
        or goes: long-lived processes (watch, the dashboard) would otherwise keep stale names."""
        out: list[str] = []
        for rel in list(rels):
            name = rel.rsplit("/", 1)[-1]
            if (
                name == "Cargo.toml"
                or rel.endswith(_CRATE_ROOTS)
                or (name.endswith(".rs") and (rel in self.facts) != (self.root / rel).is_file())
            ):
                forget_context(self.root)
            if name == "Cargo.toml":
                folder = rel.rpartition("/")[0]
                prefix = folder + "/" if folder else ""
                out.extend(p for p in self.facts if p.startswith(prefix) and p.endswith(".rs"))
                if (self.root / rel).exists():
                    out.extend(p for p in self._files_under(folder) if p.endswith(".rs"))
            elif name == "lib.rs" and rel.endswith("src/lib.rs"):
                out.append(rel[: -len("lib.rs")] + "main.rs")
        return out

    def _files_under(self, dir_rel: str) -> list[str]:
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root / dir_rel, followlinks=self.follow_symlinks):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            prefix = "" if rel_dir == "." else rel_dir + "/"
            dirnames[:] = sorted(d for d in dirnames if not self.rules.dir_ignored(prefix + d))
            found.extend(prefix + name for name in sorted(filenames) if language_for(name))
        return found

    def _read_many(self, rels: Iterable[str]) -> dict[str, FileFacts | None]:
        """:meth:`_read` of many files, extracted like a cold index does (in worker processes when
        they are big enough to pay, see ``extract_all``): a burst such as a ``git checkout``."""
        out: dict[str, FileFacts | None] = {}
        found: list[FoundFile] = []
        for rel in rels:
            out[rel] = None
            if (file := self._locate(rel)) is not None:
                found.append(file)
        facts = extract_all(self.root, found, IngestReport(), None, self.workers)
        for file in found:
            out[file.relpath] = self._stamped(file, facts.get(file.relpath))
        return out

    def _read(self, root: str, rel: str) -> FileFacts | None:
        """A file's facts as a cold index would find them (None: not indexed), stamping it."""
        file = self._locate(rel)
        if file is None:
            return None
        result = extract_file(root, str(file.path), rel)
        return self._stamped(file, None if isinstance(result, SkippedFile) else result)

    def _locate(self, rel: str) -> FoundFile | None:
        """The file at ``rel`` if a cold index would read it (else None, and its stamp dropped)."""
        if language_for(rel.rsplit("/", 1)[-1]) is not None and not self.rules.file_ignored(rel):
            full = self.root / rel
            try:
                st = full.stat()
            except OSError:
                pass
            else:
                return FoundFile(full, rel, st.st_size, st.st_mtime_ns)
        self.stamps.pop(rel, None)
        return None

    def _stamped(self, file: FoundFile, facts: FileFacts | None) -> FileFacts | None:
        """``facts`` of ``file`` (None: skipped), its stamp recorded or dropped to match."""
        if facts is None:
            self.stamps.pop(file.relpath, None)
        else:
            self.stamps[file.relpath] = (file.size, file.mtime_ns)
        return facts

    def _resolve(
        self, changed: Mapping[str, FileFacts | None], merged: Mapping[str, FileFacts]
    ) -> tuple[dict[str, dict[EdgeKey, Edge]], dict[str, Resolver], int, int]:
        """New raw edges of every file to resolve again, the resolvers rebuilt, how many files, and
        how many languages were resolved again as a whole."""
        raw: dict[str, dict[EdgeKey, Edge]] = {}
        rebuilt: dict[str, Resolver] = {}
        full = 0
        by_language: dict[str, list[str]] = {}
        for path, new in changed.items():
            old = self.facts.get(path)
            for f in (old, new):
                if f is not None:
                    by_language.setdefault(f.language, [])
                    if path not in by_language[f.language]:
                        by_language[f.language].append(path)
            raw[path] = _contains(new) if new is not None else {}
        for name, paths in by_language.items():
            language = languages().get(name)
            if language is None:
                continue
            same = all(_same_interface(name, self.facts.get(p), changed.get(p)) for p in paths)
            resolver = self._resolvers.get(name)
            if same and resolver is None:  # the first update after a restore: built from the facts
                mine = {p: f for p, f in sorted(merged.items()) if f.language == name}
                resolver = self._resolvers[name] = language.resolver(mine)
            elif same and resolver is not None:
                refresh = getattr(resolver, "refresh", None)
                same = refresh is not None and all([refresh(p, changed[p]) for p in paths])
            if same and resolver is not None:
                for path in paths:
                    _take(raw, resolver.resolve_file(path))
                continue
            mine = {p: f for p, f in sorted(merged.items()) if f.language == name}
            if not mine:
                continue
            patched = self._patched(name, paths, changed, mine, keep=TARGETED)
            resolver = rebuilt[name] = patched if patched is not None else language.resolver(mine)
            targets = self._affected(name, resolver, paths, changed, mine)
            if targets is None:
                full += 1
                for path in mine:
                    raw.setdefault(path, _contains(mine[path]))
                _take(raw, resolver.resolve_all())
                continue
            for path in sorted(targets):
                raw.setdefault(path, _contains(mine[path]))
                _take(raw, resolver.resolve_file(path))
        return raw, rebuilt, len(raw), full

    def _patched(
        self,
        name: str,
        paths: Sequence[str],
        changed: Mapping[str, FileFacts | None],
        mine: Mapping[str, FileFacts],
        keep: bool,
    ) -> Resolver | None:
        """The live resolver of a language patched for these files (:meth:`Resolver.patched`), which
        it consumes unless ``keep``; None when there is none, or the language cannot patch it (build
        it afresh)."""
        previous = self._resolvers.get(name)
        if previous is None:
            return None
        try:
            resolver = previous.patched(_changes(name, paths, self.facts, changed), mine, keep)
        except Exception:
            log.exception("patching the %s resolver failed; building it afresh", name)
            resolver, spent = None, not keep  # maybe half patched
        else:
            spent = resolver is not None and not keep  # None: nothing was touched
        if spent:
            del self._resolvers[name]  # patched in place: never used again
        return resolver

    def _affected(
        self,
        name: str,
        resolver: Resolver,
        paths: Sequence[str],
        changed: Mapping[str, FileFacts | None],
        mine: Mapping[str, FileFacts],
    ) -> set[str] | None:
        """The files of a language to resolve again with its rebuilt resolver (None: all of them);
        see :meth:`Resolver.affected`. Needs the resolver of the state before."""
        previous = self._resolvers.get(name)
        if previous is None or not TARGETED:
            return None
        changes = _changes(name, paths, self.facts, changed)
        try:
            targets = resolver.affected(changes, mine, previous)
        except Exception:  # never worse than before: resolve everything
            log.exception("targeted re-resolution failed; resolving every %s file", name)
            return None
        return None if targets is None else {p for p in targets if p in mine}

    # -- applying a diff (under the write lock) ---------------------------------------------------

    def _apply(
        self,
        changed: Mapping[str, FileFacts | None],
        merged: dict[str, FileFacts],
        raw: Mapping[str, dict[EdgeKey, Edge]],
        started: float,
    ) -> GraphDiff:
        isg = self.isg
        added_edges: dict[EdgeKey, Edge] = {}
        removed_edges: dict[EdgeKey, Edge] = {}

        def gained(edge: Edge) -> None:
            if removed_edges.get(edge.key) == edge:
                del removed_edges[edge.key]
            else:
                added_edges[edge.key] = edge

        def lost(edge: Edge) -> None:
            if added_edges.get(edge.key) == edge:
                del added_edges[edge.key]
            else:
                removed_edges[edge.key] = edge

        def link(edge: Edge) -> None:
            """Add a raw edge, or park it under its missing end."""
            if isg.add_edge(edge):
                gained(edge)
            elif not isg.has_edge(edge):
                missing = edge.src if edge.src not in isg.nodes else edge.dst
                self._dangling.setdefault(missing, []).append(edge)

        # 1. edges the re-resolved files no longer have
        stale = [
            edge
            for path, new_edges in raw.items()
            for key, edge in self._raw.get(path, {}).items()
            if new_edges.get(key) != edge
        ]
        for edge in isg.remove_edges(stale):
            lost(edge)
        old_raw = {path: self._raw.get(path, {}) for path in raw}
        for path, new_edges in raw.items():
            if new_edges or path in merged:
                self._raw[path] = new_edges
            else:
                self._raw.pop(path, None)

        # 2. nodes: who declares each id now, and which node that is
        touched: dict[str, None] = {}
        for path, new in changed.items():
            old = self.facts.get(path)
            for f in (old, new):
                if f is not None:
                    touched.update(dict.fromkeys(n.id for n in f.nodes))
            _unhold(self._holders, path, old)
            _hold(self._holders, path, new)
        self.facts = merged if all(p in self.facts for p in changed) else dict(sorted(merged.items()))
        added_nodes: list[Node] = []
        removed_nodes: list[str] = []
        changed_nodes: list[Node] = []
        owner_files: dict[str, None] = {}
        by_id: dict[str, dict[str, Node]] = {}  # per declaring file: its nodes by id

        def node_in(path: str, node_id: str) -> Node | None:
            nodes = by_id.get(path)
            if nodes is None:
                nodes = by_id[path] = {}
                for n in self.facts[path].nodes:
                    nodes.setdefault(n.id, n)
            return nodes.get(node_id)

        for node_id in touched:
            current = isg.nodes.get(node_id)
            owner = _first(self._holders.get(node_id))
            wanted = node_in(owner, node_id) if owner is not None else None
            if wanted is None:
                if current is not None:
                    removed_nodes.append(node_id)
                    owner_files[current.file] = None
                continue
            if current is None:
                isg.put_node(wanted, wanted.file)
                added_nodes.append(wanted)
                for edge in self._dangling.pop(node_id, ()):
                    if self._raw.get(edge.file, {}).get(edge.key) == edge:
                        link(edge)
            elif current != wanted:
                if current.file != wanted.file:
                    isg.move_node(node_id, current.file, wanted.file)
                    owner_files[current.file] = None
                isg.put_node(wanted, wanted.file)
                changed_nodes.append(wanted)
            owner_files[wanted.file] = None

        gone = set(removed_nodes)
        for edge in isg.remove_nodes(removed_nodes):
            lost(edge)
            if self._raw.get(edge.file, {}).get(edge.key) == edge:  # parked under its missing end
                missing = edge.src if edge.src in gone else edge.dst
                self._dangling.setdefault(missing, []).append(edge)

        # 3. edges the re-resolved files gained
        for path, new_edges in raw.items():
            previous = old_raw[path]
            for key, edge in new_edges.items():
                if previous.get(key) != edge or not isg.has_edge(edge):
                    link(edge)

        # 4. file summaries
        for path in {**dict.fromkeys(changed), **owner_files}:
            f = self.facts.get(path)
            isg.set_file(_file_info(isg, f) if f is not None else None, path)
        for path, new in changed.items():
            if new is None:
                self.stamps.pop(path, None)

        isg.generation += 1
        return GraphDiff(
            generation=isg.generation,
            files=tuple(changed),
            added_nodes=tuple(added_nodes),
            removed_nodes=tuple(removed_nodes),
            changed_nodes=tuple(changed_nodes),
            added_edges=tuple(added_edges.values()),
            removed_edges=tuple(removed_edges.values()),
            elapsed_ms=(time.perf_counter() - started) * 1000.0,
        )

    # -- watching -------------------------------------------------------------------------------

    def watch(
        self,
        stop_event: threading.Event | None = None,
        on_batch: BatchCallback | None = None,
        *,
        debounce_ms: int = 1600,
        step_ms: int = 50,
    ) -> None:
        """Apply every change under the root until ``stop_event`` is set (see :mod:`.watch`)."""
        from pt_tui.core.watch import Watcher

        Watcher(self, debounce_ms=debounce_ms, step_ms=step_ms).run(stop_event, on_batch)


Changes = dict[str, tuple[FileFacts | None, FileFacts | None]]


def _changes(
    language: str,
    paths: Sequence[str],
    before: Mapping[str, FileFacts],
    after: Mapping[str, FileFacts | None],
) -> Changes:
    """path -> (old, new) facts of one language (None: absent, or of another language)."""
    out: Changes = {}
    for path in paths:
        old, new = before.get(path), after.get(path)
        out[path] = (
            old if old is not None and old.language == language else None,
            new if new is not None and new.language == language else None,
        )
    return out


@cache
def _resolver_type(language: str) -> type[Resolver] | None:
    lang = languages().get(language)
    return type(lang.resolver({})) if lang is not None else None


def _same_interface(language: str, old: FileFacts | None, new: FileFacts | None) -> bool:
    """Whether a file kept what other files' resolution reads (False for an added or deleted file)."""
    if old is None or new is None:
        return False
    check: Callable[[FileFacts, FileFacts], bool] | None = getattr(
        _resolver_type(language), "same_interface", None
    )
    return check is not None and bool(check(old, new))


def _holders(facts: Mapping[str, FileFacts]) -> dict[str, str | list[str]]:
    holders: dict[str, str | list[str]] = {}
    for path, f in sorted(facts.items()):
        _hold(holders, path, f)
    return holders


def _hold(holders: dict[str, str | list[str]], path: str, facts: FileFacts | None) -> None:
    if facts is None:
        return
    for node in facts.nodes:
        current = holders.get(node.id)
        if current is None:
            holders[node.id] = path
        elif isinstance(current, str):
            if current != path:
                holders[node.id] = sorted((current, path))
        elif path not in current:
            current.append(path)
            current.sort()


def _unhold(holders: dict[str, str | list[str]], path: str, facts: FileFacts | None) -> None:
    if facts is None:
        return
    for node in facts.nodes:
        current = holders.get(node.id)
        if current == path:
            del holders[node.id]
        elif isinstance(current, list) and path in current:
            current.remove(path)
            if len(current) == 1:
                holders[node.id] = current[0]


def _first(holder: str | list[str] | None) -> str | None:
    if holder is None or isinstance(holder, str):
        return holder
    return holder[0]
