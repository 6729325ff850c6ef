"""A rich progress bar for ingests, shown only on an interactive stderr and only for long ones."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

#: Show the bar only once an ingest has run this long (short ingests stay quiet).
SHOW_AFTER_SECONDS = 0.3


class IngestProgress:
    """Context manager whose ``update(done, total)`` drives a transient progress bar."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: int | None = None
        self._started = time.monotonic()

    def __enter__(self) -> IngestProgress:
        self._started = time.monotonic()
        return self

    def update(self, done: int, total: int) -> None:
        if not self.console.is_terminal:
            return
        if self._progress is None:
            if time.monotonic() - self._started < SHOW_AFTER_SECONDS or done >= total:
                return
            self._progress = Progress(
                TextColumn("indexing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("index", total=total)
        assert self._task is not None
        self._progress.update(self._task, completed=done, total=total)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
