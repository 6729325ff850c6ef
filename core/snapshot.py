"""Snapshots of an indexed root: per-file facts, resolved edges and file stamps in one versioned file.

Layout (integers little-endian)::

    offset  size  field
    0       8     magic b"PTTUISNP"
    8       4     format version (FORMAT_VERSION)
    12      4     header length H
    16      8     body length B
    24      4     CRC-32 of header + body
    28      4     reserved, 0
    32      H     header: msgpack SnapshotHeader (versions, root, options: cheap to check first)
    32+H    B     body: msgpack SnapshotBody (generation, stamps, facts, resolved edges)

The file ends exactly at ``32 + H + B``: a truncated file is detected by its size, a corrupt one by
its checksum, both before anything is decoded. A file is written to a temporary file in the same
folder, flushed, fsynced and renamed over the old one (and the folder fsynced), so a reader sees the
old snapshot or the new one, never a part of one, even if the writer is killed.

Every problem is a :class:`SnapshotError` whose ``kind`` says what to tell the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path

import msgspec

from pt_tui.core.cache import project_dir
from pt_tui.core.lang import FileFacts, languages
from pt_tui.core.model import Edge
from pt_tui.core.stamps import FileStamp
from pt_tui.core.userdirs import fsync_dir

MAGIC = b"PTTUISNP"
FORMAT_VERSION = 1
SNAPSHOT_NAME = "graph.snap"
_PRELUDE = struct.Struct("<8sIIQII")
#: Packages whose code decides what facts and edges a file yields: any change invalidates snapshots.
_FINGERPRINTED = ("lang", "ingest", "model.py", "engine.py", "isg.py")


class SnapshotError(Exception):
    """A snapshot that cannot be used. ``kind``: missing, unreadable, corrupt, truncated, version,
    options (made with other exclude/symlink options) or root (of another folder)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class SnapshotHeader(msgspec.Struct, kw_only=True):
    pt_tui: str  # the pt-tui version that wrote it
    grammars: dict[str, str]  # distribution -> version: tree-sitter and each grammar wheel
    fingerprint: str  # digest of the extraction and resolution code
    root: str  # the resolved root path
    exclude: tuple[str, ...]
    follow_symlinks: bool
    written_ns: int  # time.time_ns() when the indexing run that wrote it started
    files: int
    nodes: int
    edges: int


class SnapshotBody(msgspec.Struct, kw_only=True):
    generation: int
    stamps: dict[str, FileStamp]  # every walked source file, indexed or skipped
    manifests: dict[str, FileStamp]  # files extraction reads besides sources (Cargo.toml)
    facts: list[FileFacts]
    edges: list[Edge]  # the graph's edges that are not in any file's facts (the resolved ones)


@dataclass(frozen=True)
class Snapshot:
    header: SnapshotHeader
    body: SnapshotBody
    size: int  # bytes on disk


def snapshot_path(root: str | Path) -> Path:
    """Where the snapshot of ``root`` lives (``$PT_TUI_CACHE_DIR`` or the user cache dir)."""
    return project_dir(root) / SNAPSHOT_NAME


# -- environment -----------------------------------------------------------------------------------


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


@cache
def grammar_versions() -> dict[str, str]:
    """tree-sitter and the grammar wheel of each discovered language (``tree-sitter-<name>``)."""
    found = {"tree-sitter": _version("tree-sitter")}
    for name in sorted(languages()):
        found[f"tree-sitter-{name}"] = _version(f"tree-sitter-{name}")
    return found


@cache
def code_fingerprint() -> str:
    """A digest of the source of the code that turns files into facts and edges.

    A version number alone would miss a development checkout whose extractor changed.
    """
    digest = hashlib.blake2b(digest_size=16)
    base = resources.files("pt_tui.core")
    stack = [base.joinpath(name) for name in _FINGERPRINTED]
    while stack:
        item = stack.pop()
        if item.is_dir():
            stack.extend(sorted(item.iterdir(), key=lambda p: p.name, reverse=True))
        elif item.name.endswith((".py", ".scm")):
            digest.update(item.name.encode())
            digest.update(item.read_bytes())
    return digest.hexdigest()


def make_header(
    root: Path,
    exclude: tuple[str, ...],
    follow_symlinks: bool,
    written_ns: int,
    *,
    files: int = 0,
    nodes: int = 0,
    edges: int = 0,
) -> SnapshotHeader:
    return SnapshotHeader(
        pt_tui=_version("pt-tui"),
        grammars=grammar_versions(),
        fingerprint=code_fingerprint(),
        root=str(root),
        exclude=tuple(exclude),
        follow_symlinks=follow_symlinks,
        written_ns=written_ns,
        files=files,
        nodes=nodes,
        edges=edges,
    )


def check_header(header: SnapshotHeader, root: Path, exclude: tuple[str, ...], follow_symlinks: bool) -> None:
    """Raise :class:`SnapshotError` unless the snapshot was made by this code for these options."""
    if header.pt_tui != _version("pt-tui"):
        raise SnapshotError("version", f"snapshot written by pt-tui {header.pt_tui or '?'}")
    if header.grammars != grammar_versions():
        changed = sorted(
            k
            for k in {*header.grammars, *grammar_versions()}
            if header.grammars.get(k) != grammar_versions().get(k)
        )
        raise SnapshotError("version", f"snapshot made with other grammar versions ({', '.join(changed)})")
    if header.fingerprint != code_fingerprint():
        raise SnapshotError("version", "snapshot made by a different build of the extractors")
    if header.root != str(root):
        raise SnapshotError("root", f"snapshot of another folder ({header.root})")
    if tuple(header.exclude) != tuple(exclude) or header.follow_symlinks != follow_symlinks:
        raise SnapshotError("options", "snapshot made with other --exclude / --follow-symlinks options")


# -- writing ---------------------------------------------------------------------------------------

_ENCODER = msgspec.msgpack.Encoder()


def encode(header: SnapshotHeader, body: SnapshotBody) -> tuple[bytes, bytes, bytes]:
    """The prelude, header and body bytes of a snapshot file."""
    head = _ENCODER.encode(header)
    data = _ENCODER.encode(body)
    crc = zlib.crc32(data, zlib.crc32(head))
    return _PRELUDE.pack(MAGIC, FORMAT_VERSION, len(head), len(data), crc, 0), head, data


def write_snapshot(path: Path, header: SnapshotHeader, body: SnapshotBody) -> int:
    """Write atomically (temp file, fsync, rename, fsync the folder); returns the bytes written."""
    parts = encode(header, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for part in parts:
                fh.write(part)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
    return sum(len(p) for p in parts)


def _remove_orphans(path: Path) -> None:
    """Delete temp files left by writers that were killed (their process no longer exists)."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = tmp.name[len(path.name) + 2 :].split(".")[0]
        if pid.isdigit() and _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


# -- reading ---------------------------------------------------------------------------------------


def read_snapshot(path: Path) -> Snapshot:
    """Read, verify (size, checksum) and decode a snapshot. Raises :class:`SnapshotError`."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise SnapshotError("missing", "no snapshot yet") from None
    except OSError as exc:
        raise SnapshotError("unreadable", f"cannot read the snapshot: {exc.strerror}") from None
    return decode(data)


def decode(data: bytes) -> Snapshot:
    """Verify and decode the bytes of a snapshot file. Raises :class:`SnapshotError`."""
    if len(data) < _PRELUDE.size:
        if MAGIC.startswith(data[: len(MAGIC)]):
            raise SnapshotError("truncated", f"snapshot truncated ({len(data)} bytes)")
        raise SnapshotError("corrupt", "not a pt-tui snapshot")
    magic, version, head_len, body_len, crc, reserved = _PRELUDE.unpack_from(data)
    if magic != MAGIC:
        raise SnapshotError("corrupt", "not a pt-tui snapshot (bad magic)")
    if reserved:
        raise SnapshotError("corrupt", "snapshot prelude damaged")
    if version != FORMAT_VERSION:
        raise SnapshotError("version", f"snapshot format {version}, this pt-tui reads {FORMAT_VERSION}")
    expected = _PRELUDE.size + head_len + body_len
    if len(data) < expected:
        raise SnapshotError("truncated", f"snapshot truncated ({len(data):,} of {expected:,} bytes)")
    if len(data) > expected:
        raise SnapshotError("corrupt", f"snapshot has {len(data) - expected:,} unexpected trailing bytes")
    view = memoryview(data)
    head = view[_PRELUDE.size : _PRELUDE.size + head_len]
    body = view[_PRELUDE.size + head_len :]
    if zlib.crc32(body, zlib.crc32(head)) != crc:
        raise SnapshotError("corrupt", "snapshot checksum mismatch")
    try:
        header = msgspec.msgpack.decode(head, type=SnapshotHeader)
        content = msgspec.msgpack.decode(body, type=SnapshotBody)
    except msgspec.DecodeError as exc:  # a checksum collision or a writer bug: still never trusted
        raise SnapshotError("corrupt", f"snapshot does not decode: {exc}") from None
    paths = [f.path for f in content.facts]
    if len(set(paths)) != len(paths) or any(p not in content.stamps for p in paths):
        raise SnapshotError("corrupt", "snapshot facts and stamps disagree")
    return Snapshot(header, content, len(data))
