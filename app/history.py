"""Query history: one query per line in the user's data dir, newest last, with up/down navigation."""

from __future__ import annotations

from pathlib import Path

HISTORY_FILE = "query-history.txt"
MAX_ENTRIES = 500


class QueryHistory:
    """The queries run so far. ``previous()`` / ``next()`` walk them like a shell's history."""

    def __init__(self, path: Path | None, limit: int = MAX_ENTRIES) -> None:
        self.path = path
        self.limit = limit
        self.entries: list[str] = []
        self._cursor = 0
        if path is not None:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines = []
            self.entries = [line for line in lines if line.strip()][-limit:]
        self._cursor = len(self.entries)

    def add(self, query: str) -> None:
        query = " ".join(query.split())
        if not query:
            return
        if query in self.entries:
            self.entries.remove(query)
        self.entries.append(query)
        del self.entries[: -self.limit]
        self._cursor = len(self.entries)
        self._save()

    def previous(self) -> str | None:
        if self._cursor == 0:
            return None
        self._cursor -= 1
        return self.entries[self._cursor]

    def next(self) -> str:
        """The next newer entry, or "" past the newest (an empty line to type into)."""
        if self._cursor < len(self.entries):
            self._cursor += 1
        return self.entries[self._cursor] if self._cursor < len(self.entries) else ""

    def recent(self, n: int = 10) -> list[str]:
        return self.entries[::-1][:n]

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("\n".join(self.entries) + "\n", encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            pass  # history is a convenience: a read-only home must not break the console
