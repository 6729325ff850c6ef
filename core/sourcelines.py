"""The lines of source files, read once per file version and kept in a small LRU cache.

An excerpt deep in a large file used to cost a read and decode of everything above it on every
``context`` query (a few milliseconds for a 10k-line file); a cached file costs one ``stat``.
The cache is keyed by (path, size, mtime_ns), so an edited file is read again.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

#: Files kept (their decoded lines); the largest source files are a few MB at most.
MAX_FILES = 32

_lock = threading.Lock()
_cache: OrderedDict[str, tuple[int, int, list[str]]] = OrderedDict()


def source_lines(path: Path) -> list[str]:
    """The file's lines without line endings (universal newlines; undecodable bytes replaced); OSError
    when unreadable."""
    key = str(path)
    st = os.stat(key)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            _cache.move_to_end(key)
            return hit[2]
    with open(key, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().split("\n")  # not splitlines(): a form feed is no line break to a parser
    with _lock:
        _cache[key] = (st.st_size, st.st_mtime_ns, lines)
        _cache.move_to_end(key)
        while len(_cache) > MAX_FILES:
            _cache.popitem(last=False)
    return lines


def forget_sources() -> None:
    """Drop every cached file (tests; a long-lived process never needs to: keys carry the mtime)."""
    with _lock:
        _cache.clear()
