"""The engine facade: index a root into an ISG and answer queries on it."""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from pt_tui.core.ingest.pipeline import (
    IngestReport,
    ProgressCallback,
    discover,
    extract_all,
    preload_languages,
)
from pt_tui.core.ingest.walk import WalkStats
from pt_tui.core.isg import ISG
from pt_tui.core.lang import FileFacts, languages


class EngineError(Exception):
    """A problem the user can act on (a missing path, say), reported as one line."""


def build_graph(facts: Mapping[str, FileFacts], report: IngestReport | None = None) -> ISG:
    """Resolve the facts of every language and assemble the graph."""
    started = time.perf_counter()
    isg = ISG()
    for f in facts.values():
        isg.add_file(f)
    for name, language in languages().items():
        mine = {p: f for p, f in facts.items() if f.language == name}
        if not mine:
            continue
        resolver = language.resolver(mine)
        isg.add_edges(resolver.resolve_all())
    isg.generation = 1
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


class Engine:
    """Indexes one root and answers queries about it."""

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
        self.report = IngestReport()

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
        self.facts = extract_all(self.root, files, report, progress, self.workers)
        self.isg = build_graph(self.facts, report)
        settle_heap()
        report.total_seconds = time.perf_counter() - started
        self.report = report
        return report
