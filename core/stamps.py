"""File stamps: what a snapshot remembers of each file to tell, later, whether it changed.

A stamp is (size, mtime_ns, content digest). A file whose size and mtime match its stamp is
unchanged; one whose size matches but mtime differs (touched, checked out again) is hashed and
compared. A file modified shortly before or while it was indexed is *racy*: a later edit within the
file system's timestamp granularity could keep its size and mtime, so such a stamp gets an empty
digest, which never matches, and the file is re-indexed by the next warm start (as git does for
racily clean index entries).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import msgspec

from pt_tui.core.ingest.walk import FoundFile

#: Files modified less than this before indexing started are racy (coarse clocks, FAT's 2 s).
RACY_NS = 2_000_000_000


class FileStamp(msgspec.Struct, frozen=True, array_like=True, gc=False):
    size: int
    mtime_ns: int
    digest: bytes  # blake2b-128 of the content; b"" when unknown (never matches)
    skipped: str = ""  # why the file yielded no facts ("binary", "huge", ...); "" when indexed


def hash_file(path: str | os.PathLike[str]) -> bytes:
    """blake2b-128 of a file's bytes; b"" when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).digest()
    except OSError:
        return b""


def new_stamp(found: FoundFile, started_ns: int, skipped: str = "", digest: bytes | None = None) -> FileStamp:
    """The stamp of a file indexed by a run that started at ``started_ns`` (``time.time_ns()``).

    Racy (empty digest) when the file was modified after ``started_ns - RACY_NS``. ``digest``: the
    content hash when the caller already has it.
    """
    if found.mtime_ns >= started_ns - RACY_NS:
        return FileStamp(found.size, found.mtime_ns, b"", skipped)
    return FileStamp(found.size, found.mtime_ns, hash_file(found.path) if digest is None else digest, skipped)


@dataclass
class TreeChanges:
    """How the files found by a walk differ from the stamps of a snapshot."""

    unchanged: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    touched: dict[str, FileStamp] = field(default_factory=dict)  # same content, new mtime: new stamp
    hashed: int = 0  # files whose content had to be hashed to decide

    @property
    def dirty(self) -> list[str]:
        """Every path whose facts must be re-read (changed, added, deleted)."""
        return [*self.changed, *self.added, *self.deleted]


def compare(found: Iterable[FoundFile], stamps: Mapping[str, FileStamp], started_ns: int) -> TreeChanges:
    """Classify the walked files against ``stamps`` (hashing only when size matches but mtime not)."""
    changes = TreeChanges()
    seen: set[str] = set()
    for f in found:
        seen.add(f.relpath)
        stamp = stamps.get(f.relpath)
        if stamp is None:
            changes.added.append(f.relpath)
        elif not stamp.digest or stamp.size != f.size:
            changes.changed.append(f.relpath)
        elif stamp.mtime_ns == f.mtime_ns:
            changes.unchanged.append(f.relpath)
        else:
            changes.hashed += 1
            if hash_file(f.path) == stamp.digest:
                changes.unchanged.append(f.relpath)
                changes.touched[f.relpath] = new_stamp(f, started_ns, stamp.skipped, stamp.digest)
            else:
                changes.changed.append(f.relpath)
    changes.deleted = [p for p in stamps if p not in seen]
    return changes
