"""Snapshot files: round trip, versioning, corruption and truncation detection, atomic writes."""

from __future__ import annotations

import os
import random
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import msgspec
import pytest

from pt_tui.core.cache import CACHE_ENV, project_dir, root_digest
from pt_tui.core.lang import FileFacts
from pt_tui.core.model import Edge, EdgeKind, Node, NodeKind
from pt_tui.core.snapshot import (
    FORMAT_VERSION,
    MAGIC,
    SnapshotBody,
    SnapshotError,
    SnapshotHeader,
    check_header,
    decode,
    encode,
    make_header,
    read_snapshot,
    snapshot_path,
    write_snapshot,
)
from pt_tui.core.stamps import FileStamp


def _facts(n: int, tag: str = "") -> list[FileFacts]:
    out = []
    for i in range(n):
        path = f"pkg/m{i}.py"
        module = Node(
            id=f"m{i}{tag}",
            kind=NodeKind.MODULE,
            name=f"m{i}",
            qualname=f"pkg.m{i}",
            language="python",
            file=path,
            line=1,
            end_line=10,
        )
        func = Node(
            id=f"f{i}{tag}",
            kind=NodeKind.FUNCTION,
            name="f",
            qualname=f"pkg.m{i}.f",
            language="python",
            file=path,
            line=2,
            end_line=3,
            signature="def f(x)",
            parent=module.id,
        )
        edge = Edge(src=module.id, dst=func.id, kind=EdgeKind.CONTAINS, file=path, line=2)
        out.append(
            FileFacts(
                path=path,
                language="python",
                module=f"pkg.m{i}",
                nodes=[module, func],
                edges=[edge],
                payload=bytes([i % 256]) * 40,
                lines=10,
            )
        )
    return out


def _body(n: int = 3, generation: int = 7, tag: str = "") -> SnapshotBody:
    facts = _facts(n, tag)
    calls = [
        Edge(src=f"f{i}{tag}", dst=f"f{(i + 1) % n}{tag}", kind=EdgeKind.CALLS, file=f.path, line=3)
        for i, f in enumerate(facts)
    ]
    return SnapshotBody(
        generation=generation,
        stamps={f.path: FileStamp(100 + i, 1_000 + i, b"d" * 16) for i, f in enumerate(facts)},
        manifests={},
        facts=facts,
        edges=calls,
    )


def _header(root: Path) -> SnapshotHeader:
    return make_header(root, ("build/",), False, time.time_ns(), files=3, nodes=6, edges=6)


def _bytes(root: Path, body: SnapshotBody | None = None) -> bytes:
    return b"".join(encode(_header(root), body or _body()))


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "graph.snap"
    body = _body()
    size = write_snapshot(path, _header(tmp_path), body)
    snap = read_snapshot(path)
    assert size == path.stat().st_size == snap.size
    assert snap.body == body
    assert snap.header.root == str(tmp_path)
    assert snap.header.exclude == ("build/",)
    check_header(snap.header, tmp_path, ("build/",), False)
    assert not list(tmp_path.glob("*.tmp"))


def test_layout_prelude(tmp_path: Path) -> None:
    data = _bytes(tmp_path)
    magic, version, head, body, _crc, reserved = struct.unpack_from("<8sIIQII", data)
    assert (magic, version, reserved) == (MAGIC, FORMAT_VERSION, 0)
    assert 32 + head + body == len(data)


def test_cache_location_follows_the_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    root = tmp_path / "proj"
    root.mkdir()
    assert snapshot_path(root) == tmp_path / "c" / "projects" / root_digest(root) / "graph.snap"
    assert project_dir(root) == project_dir(tmp_path / "proj" / ".." / "proj")  # resolved
    assert root_digest(root) != root_digest(tmp_path)


def test_every_truncation_is_detected(tmp_path: Path) -> None:
    data = _bytes(tmp_path)
    cuts = sorted({0, 1, 7, 8, 31, 32, 33, len(data) - 1, *random.Random(1).sample(range(len(data)), 60)})
    for cut in cuts:
        with pytest.raises(SnapshotError) as info:
            decode(data[:cut])
        assert info.value.kind in ("truncated", "corrupt"), cut
        if cut >= 32:
            assert info.value.kind == "truncated"


def test_every_flipped_byte_is_detected(tmp_path: Path) -> None:
    data = _bytes(tmp_path)
    rng = random.Random(2)
    for offset in [*range(32), *rng.sample(range(32, len(data)), 200)]:
        bad = bytearray(data)
        bad[offset] ^= 1 << rng.randrange(8)
        with pytest.raises(SnapshotError) as info:
            decode(bytes(bad))
        # a flipped length reads as truncation or trailing garbage; a flipped version is a version
        assert info.value.kind in ("corrupt", "truncated", "version"), offset


def test_trailing_garbage_and_foreign_files(tmp_path: Path) -> None:
    data = _bytes(tmp_path)
    with pytest.raises(SnapshotError, match="trailing") as info:
        decode(data + b"\x00")
    assert info.value.kind == "corrupt"
    for junk in (b"", b"hello world, not a snapshot at all, no no no", b"\x00" * 64):
        with pytest.raises(SnapshotError) as info:
            decode(junk)
        assert info.value.kind in ("corrupt", "truncated")


def test_other_format_version(tmp_path: Path) -> None:
    data = bytearray(_bytes(tmp_path))
    struct.pack_into("<I", data, 8, FORMAT_VERSION + 1)
    with pytest.raises(SnapshotError, match="format") as info:
        decode(bytes(data))
    assert info.value.kind == "version"


def test_body_that_does_not_decode_is_corrupt(tmp_path: Path) -> None:
    """A well-formed file (right checksum) whose body is not a snapshot body is still refused."""
    header = _header(tmp_path)

    class Wrong(msgspec.Struct):
        generation: str

    import zlib

    head = msgspec.msgpack.encode(header)
    body = msgspec.msgpack.encode(Wrong("seven"))
    crc = zlib.crc32(body, zlib.crc32(head))
    data = struct.pack("<8sIIQII", MAGIC, FORMAT_VERSION, len(head), len(body), crc, 0) + head + body
    with pytest.raises(SnapshotError, match="does not decode") as info:
        decode(data)
    assert info.value.kind == "corrupt"


def test_facts_without_stamps_are_corrupt(tmp_path: Path) -> None:
    body = _body()
    body.stamps.pop(body.facts[0].path)
    with pytest.raises(SnapshotError, match="disagree"):
        decode(_bytes(tmp_path, body))


def test_header_checks(tmp_path: Path) -> None:
    header = _header(tmp_path)
    check_header(header, tmp_path, ("build/",), False)
    cases = [
        (msgspec.structs.replace(header, pt_tui="0.0.0-other"), "version"),
        (msgspec.structs.replace(header, grammars={**header.grammars, "tree-sitter": "0.1"}), "version"),
        (msgspec.structs.replace(header, fingerprint="0" * 32), "version"),
        (msgspec.structs.replace(header, root="/elsewhere"), "root"),
        (msgspec.structs.replace(header, exclude=()), "options"),
        (msgspec.structs.replace(header, follow_symlinks=True), "options"),
    ]
    for bad, kind in cases:
        with pytest.raises(SnapshotError) as info:
            check_header(bad, tmp_path, ("build/",), False)
        assert info.value.kind == kind


def test_missing_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError) as info:
        read_snapshot(tmp_path / "none.snap")
    assert info.value.kind == "missing"
    with pytest.raises(SnapshotError) as info:
        read_snapshot(tmp_path)  # a folder
    assert info.value.kind == "unreadable"


def test_orphaned_temp_files_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "graph.snap"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(dead.stdout)
    orphan = tmp_path / f".graph.snap.{dead_pid}.abc123.tmp"
    orphan.write_bytes(b"half a snapshot")
    mine = tmp_path / f".graph.snap.{os.getpid()}.xyz.tmp"  # a live writer's: left alone
    mine.write_bytes(b"in progress")
    write_snapshot(path, _header(tmp_path), _body())
    assert not orphan.exists()
    assert mine.exists()
    read_snapshot(path)


_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_snapshot import _body, _header
    from pt_tui.core.snapshot import write_snapshot
    path = Path(sys.argv[1])
    bodies = [_body(12_000, generation=1, tag="a"), _body(12_000, generation=2, tag="b")]
    header = _header(path.parent)
    print("ready", flush=True)
    i = 0
    while True:
        write_snapshot(path, header, bodies[i % 2])
        i += 1
        print("wrote", flush=True)
    """
)


def test_a_writer_killed_at_random_points_never_leaves_a_bad_snapshot(tmp_path: Path) -> None:
    """SIGKILL a process that rewrites a big snapshot in a loop: what is on disk always loads whole
    (one of the two bodies it writes), or is absent when the first write never finished."""
    path = tmp_path / "graph.snap"
    expected = {1: _body(12_000, generation=1, tag="a"), 2: _body(12_000, generation=2, tag="b")}
    script = _WRITER.format(tests=str(Path(__file__).parent))
    rng = random.Random(3)
    outcomes = set()
    for i in range(8):
        proc = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        if i % 2:  # after a completed write (on a loaded machine one may take longer than the sleep)
            assert proc.stdout.readline().strip() == b"wrote"
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        try:
            snap = read_snapshot(path)
        except SnapshotError as exc:
            assert exc.kind == "missing", exc
            outcomes.add("missing")
            continue
        assert snap.body == expected[snap.body.generation]
        outcomes.add(f"gen{snap.body.generation}")
    assert outcomes & {"gen1", "gen2"}  # the test did see completed writes
    write_snapshot(path, _header(tmp_path), _body())
    assert not list(tmp_path.glob(".graph.snap.*.tmp"))  # the killed writers' temp files are gone
