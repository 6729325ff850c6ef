"""Cold ingest: walk the root, extract every file (in parallel when it pays), resolve, build the ISG."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from pt_tui.core.heap import gc_paused
from pt_tui.core.ingest.walk import FoundFile, WalkStats, walk_sources
from pt_tui.core.lang import ExtractContext, FileFacts, language_for, languages

#: Files above this size are skipped (generated code, vendored bundles).
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Below this much source, worker processes cost more than they save (a pool of two costs ~50 ms;
#: asyncio's 490 KB and regex-syntax's 1.4 MB already extract faster with two workers).
PARALLEL_MIN_BYTES = 384 * 1024

ProgressCallback = Callable[[int, int], None]


@dataclass
class IngestReport:
    """What an ingest did, with every skipped file counted by reason."""

    files_indexed: int = 0
    lines: int = 0
    files_with_syntax_errors: int = 0
    skipped_binary: int = 0
    skipped_huge: int = 0
    skipped_non_utf8: int = 0
    skipped_unreadable: int = 0
    ignored: int = 0
    symlinks_skipped: int = 0
    extract_seconds: float = 0.0
    resolve_seconds: float = 0.0
    total_seconds: float = 0.0
    workers: int = 1
    by_language: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # per-file messages, capped

    def note(self, message: str) -> None:
        if len(self.problems) < 200:
            self.problems.append(message)


@dataclass(frozen=True)
class SkippedFile:
    relpath: str
    reason: str  # "binary" | "huge" | "non-utf8" | "unreadable" | "error"
    detail: str = ""


def discover(
    root: Path,
    stats: WalkStats | None = None,
    follow_symlinks: bool = False,
    exclude: Sequence[str] = (),
) -> list[FoundFile]:
    """The indexable source files under ``root`` (``exclude``: extra .gitignore-style patterns)."""
    return list(
        walk_sources(
            root,
            lambda name: language_for(name) is not None,
            follow_symlinks=follow_symlinks,
            exclude=exclude,
            stats=stats,
        )
    )


_CONTEXTS: dict[str, ExtractContext] = {}


def _context(root: str) -> ExtractContext:
    ctx = _CONTEXTS.get(root)
    if ctx is None:
        ctx = _CONTEXTS[root] = ExtractContext(Path(root))
    return ctx


def forget_context(root: str | Path) -> None:
    """Drop the cached per-root facts (crate of each folder...): a manifest or crate root changed."""
    _CONTEXTS.pop(str(root), None)


def extract_file(root: str, path: str, relpath: str) -> FileFacts | SkippedFile:
    """Read, check and extract one file. Never raises: a failure is a :class:`SkippedFile`."""
    language = language_for(relpath)
    if language is None:
        return SkippedFile(relpath, "error", "no language for this extension")
    try:
        with open(path, "rb") as fh:
            source = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return SkippedFile(relpath, "unreadable", exc.strerror or str(exc))
    if len(source) > MAX_FILE_BYTES:
        return SkippedFile(relpath, "huge", f"over {MAX_FILE_BYTES // 1024} KiB")
    if b"\x00" in source[:8192]:
        return SkippedFile(relpath, "binary")
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SkippedFile(relpath, "non-utf8", f"byte {exc.start}")
    try:
        return language.extract(relpath, source, _context(root))
    except RecursionError:
        return SkippedFile(relpath, "error", "nesting too deep to extract")
    except Exception as exc:  # an extractor bug must not lose the rest of the ingest
        return SkippedFile(relpath, "error", f"{type(exc).__name__}: {exc}")


def _extract_batch(root: str, batch: Sequence[tuple[str, str]]) -> list[FileFacts | SkippedFile]:
    return [extract_file(root, path, rel) for path, rel in batch]


class _Batch(msgspec.Struct, array_like=True, gc=False):
    """A worker's results on the wire: msgpack is ~10x cheaper than pickling msgspec Structs."""

    facts: list[FileFacts]
    skipped: list[tuple[str, str, str]]


_BATCH_ENCODER = msgspec.msgpack.Encoder()
_BATCH_DECODER = msgspec.msgpack.Decoder(_Batch)


def _extract_encoded(root: str, batch: Sequence[tuple[str, str]]) -> bytes | list[FileFacts | SkippedFile]:
    """:func:`_extract_batch` in a worker process, its results encoded as one msgpack :class:`_Batch`
    (or left to pickle when a string cannot be UTF-8: a file name that is not, say)."""
    items = _extract_batch(root, batch)
    out = _Batch([], [])
    for item in items:
        if isinstance(item, SkippedFile):
            out.skipped.append((item.relpath, item.reason, item.detail))
        else:
            out.facts.append(item)
    try:
        return _BATCH_ENCODER.encode(out)
    except (UnicodeEncodeError, msgspec.EncodeError):
        return items


def _decode_batch(data: bytes, languages: dict[str, str]) -> list[FileFacts | SkippedFile]:
    """Decode a worker's batch, sharing repeated strings the way extraction in-process does.

    Decoding makes a new string object per occurrence; extraction itself points every node and
    CONTAINS edge of a file at one path string, one language string and its nodes' id strings
    (``languages`` keeps one language string across batches).
    """
    batch = _BATCH_DECODER.decode(data)
    setattr_ = msgspec.structs.force_setattr
    for facts in batch.facts:
        path = facts.path
        language = facts.language = languages.setdefault(facts.language, facts.language)
        ids = {node.id: node.id for node in facts.nodes}
        for node in facts.nodes:
            setattr_(node, "file", path)
            setattr_(node, "language", language)
            if node.parent:
                setattr_(node, "parent", ids.get(node.parent, node.parent))
        for edge in facts.edges:
            setattr_(edge, "file", path)
            setattr_(edge, "src", ids.get(edge.src, edge.src))
            setattr_(edge, "dst", ids.get(edge.dst, edge.dst))
    skipped: list[FileFacts | SkippedFile] = [SkippedFile(*s) for s in batch.skipped]
    return [*batch.facts, *skipped]


def _batches(files: Sequence[FoundFile], target_bytes: int) -> Iterable[list[tuple[str, str]]]:
    batch: list[tuple[str, str]] = []
    size = 0
    for f in files:
        batch.append((str(f.path), f.relpath))
        size += f.size
        if size >= target_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def worker_count(total_bytes: int, requested: int | None = None) -> int:
    if requested is not None:
        return max(1, requested)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if total_bytes < PARALLEL_MIN_BYTES else max(1, min(cpus, 8))


def extract_all(
    root: Path,
    files: Sequence[FoundFile],
    report: IngestReport,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> dict[str, FileFacts]:
    """Extract every file, keyed by relative path; skipped files are counted in ``report``."""
    started = time.perf_counter()
    total = len(files)
    total_bytes = sum(f.size for f in files)
    n_workers = worker_count(total_bytes, workers)
    report.workers = n_workers
    results: dict[str, FileFacts] = {}
    skipped: list[SkippedFile] = []
    done = 0

    def take(items: Iterable[FileFacts | SkippedFile]) -> None:
        nonlocal done
        for item in items:
            done += 1
            if isinstance(item, SkippedFile):
                skipped.append(item)
            else:
                results[item.path] = item
        if progress is not None:
            progress(done, total)

    root_s = str(root)
    if n_workers == 1:
        for batch in _batches(files, 256 * 1024):
            take(_extract_batch(root_s, batch))
    else:
        # fork keeps start-up cheap (tree-sitter and the languages are already imported)
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        target = max(32 * 1024, min(512 * 1024, total_bytes // (n_workers * 16) or 1))
        # largest files first, so that no big file starts last and leaves the other workers idle
        by_size = sorted(files, key=lambda f: f.size, reverse=True)
        languages: dict[str, str] = {}
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            futures = [pool.submit(_extract_encoded, root_s, b) for b in _batches(by_size, target)]
            for fut in as_completed(futures):
                data = fut.result()
                with gc_paused():  # not around the pool: its workers would inherit a paused collector
                    take(_decode_batch(data, languages) if isinstance(data, bytes) else data)
    for item in sorted(skipped, key=lambda s: s.relpath):  # the same notes whatever finished first
        _count_skip(report, item)
    for facts in results.values():
        report.files_indexed += 1
        report.lines += facts.lines
        report.by_language[facts.language] = report.by_language.get(facts.language, 0) + 1
        if facts.syntax_errors:
            report.files_with_syntax_errors += 1
    report.extract_seconds = time.perf_counter() - started
    return dict(sorted(results.items()))


def _count_skip(report: IngestReport, item: SkippedFile) -> None:
    if item.reason == "binary":
        report.skipped_binary += 1
    elif item.reason == "huge":
        report.skipped_huge += 1
    elif item.reason == "non-utf8":
        report.skipped_non_utf8 += 1
    else:
        report.skipped_unreadable += 1
    report.note(f"{item.relpath}: skipped ({item.reason}{', ' + item.detail if item.detail else ''})")


def preload_languages() -> None:
    """Import every language module (before forking workers, so each has them)."""
    languages()
