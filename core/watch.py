"""Watch a root and keep its graph live: debounced file events become one :meth:`Engine.update`.

watchfiles groups events: a batch is yielded once no new event came for ``step_ms`` (or after
``debounce_ms`` of continuous events), so a burst such as a ``git checkout`` of 1,000 files is one
batch. Events are filtered with the same rules as the cold walk (:class:`IgnoreRules`: default
skips, ``.gitignore``, ``--exclude``) plus editors' temporary and backup files. Only the set of
paths matters, not the event kinds: the engine re-reads each path, so an editor's save patterns
(write a temp file and rename it over the real one; delete and re-create) come out as one change
of the real file.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import watchfiles

from pt_tui.core.diff import GraphDiff
from pt_tui.core.lang import language_for

if TYPE_CHECKING:
    from pt_tui.core.engine import Engine

BatchCallback = Callable[[GraphDiff], None]

#: Editors' temporary, swap, lock and backup files (vim ``.x.swp`` / ``4913``, emacs ``.#x`` / ``x~``,
#: JetBrains ``x___jb_tmp___``, atomic-save temp names ``x.tmp`` / ``x.py.12345``).
EDITOR_TEMP = re.compile(
    r"""^(?:
        \.\#.* | \#.*\# | .*~ | .*\.sw[a-px] | 4913 | .*___jb_\w+___ |
        .*\.(?:tmp|temp|bak|orig|part|crdownload) | .*\.\d{3,} | \.goutputstream-.* | \.DS_Store
    )$""",
    re.VERBOSE,
)
#: Non-source files whose change matters to the graph.
TRIGGERS = frozenset({".gitignore", "Cargo.toml"})


def is_editor_temp(name: str) -> bool:
    return EDITOR_TEMP.match(name) is not None


class Watcher:
    """Applies the file changes under an engine's root as they happen."""

    def __init__(self, engine: Engine, *, debounce_ms: int = 1600, step_ms: int = 50) -> None:
        self.engine = engine
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self._dirs: frozenset[str] = frozenset()
        self._dirs_generation = -1

    # -- filtering ------------------------------------------------------------------------------

    def watch_filter(self, change: watchfiles.Change, path: str) -> bool:
        """Whether an event can matter: a source file the walk would index, a folder of them, a
        ``.gitignore`` or ``Cargo.toml``; never an editor's temporary file."""
        rules = self.engine.rules
        rel = rules.relpath(path)
        if rel is None:
            return False
        parent, _, name = rel.rpartition("/")
        if is_editor_temp(name) or rules.dir_ignored(parent):
            return False
        if name in TRIGGERS:
            return True
        if language_for(name) is not None:
            return rel in self.engine.facts or not rules.file_ignored(rel)
        if Path(path).is_dir():
            return not rules.dir_ignored(rel)
        return rel in self._known_dirs()  # a folder that is gone

    def _known_dirs(self) -> frozenset[str]:
        """Folders holding indexed files (cached per graph generation)."""
        generation = self.engine.isg.generation
        if generation != self._dirs_generation:
            dirs: set[str] = set()
            for rel in self.engine.facts:
                parts = rel.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    dirs.add("/".join(parts[:i]))
            self._dirs = frozenset(dirs)
            self._dirs_generation = generation
        return self._dirs

    # -- loops ----------------------------------------------------------------------------------

    def batches(self, stop_event: threading.Event | None = None) -> Iterator[list[str]]:
        """Each debounced batch of relevant changed paths (sorted), until ``stop_event`` is set."""
        for changes in watchfiles.watch(
            self.engine.root,
            watch_filter=self.watch_filter,
            debounce=self.debounce_ms,
            step=self.step_ms,
            stop_event=stop_event,
            rust_timeout=max(self.debounce_ms, 1000),
            raise_interrupt=False,
        ):
            paths = sorted({path for _, path in changes})
            if paths:
                yield paths

    def run(self, stop_event: threading.Event | None = None, on_batch: BatchCallback | None = None) -> None:
        """Apply every batch until ``stop_event`` is set (or Ctrl-C); ``on_batch`` gets each
        non-empty diff (the engine's subscribers get it as well)."""
        self.engine.warm_resolvers()  # after a warm start: ready before the first edit, mostly
        for paths in self.batches(stop_event):
            diff = self.engine.update(paths)
            if on_batch is not None and not diff.empty:
                on_batch(diff)

    async def arun(
        self, stop_event: asyncio.Event | None = None, on_batch: BatchCallback | None = None
    ) -> None:
        """:meth:`run` for an event loop (the dashboard): updates run in a worker thread."""
        self.engine.warm_resolvers()
        async for changes in watchfiles.awatch(
            self.engine.root,
            watch_filter=self.watch_filter,
            debounce=self.debounce_ms,
            step=self.step_ms,
            stop_event=stop_event,
        ):
            paths = sorted({path for _, path in changes})
            if not paths:
                continue
            diff = await asyncio.to_thread(self.engine.update, paths)
            if on_batch is not None and not diff.empty:
                on_batch(diff)
