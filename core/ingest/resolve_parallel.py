"""Resolve a language's files in two processes: this one and one forked child.

A resolver is built once here (its index) and is lazy and memoised from then on, so a ``fork``
gives the child the whole built resolver copy-on-write, for free. The files are split in two
contiguous runs of about equal weight (payload bytes, a proxy for calls): this process resolves
the first run while the child resolves the second and sends its edges back, msgpack-encoded,
through a pipe. The edges are then handed out per file in the resolver's own path order, so the
result is exactly the serial one as long as what a file resolves to does not depend on which files
were resolved before it in the same process (the resolvers' memos must not be order-dependent:
tests/test_ingest_resolve_parallel.py compares graph digests, and so can benchmarks/engine.py
``--serial-resolve`` on big trees).

Fork safety: the child runs only the resolver (pure Python over data this process built), writes
to its pipe and leaves with ``os._exit`` - no ``atexit``, no flushing of inherited buffers, no
other thread's state touched - so forking from a process with threads (the dashboard ingests in a
worker thread) is safe. The first file is resolved here before forking, so one-time passes a
resolver runs lazily (the Python argument-flow pass) are done once, and shared.
Only on Linux (``fork`` is cheap and copy-on-write there), with two or more usable CPUs, and only
when there is enough to resolve; anything going wrong in the child falls back to resolving its
files here. (A ``spawn``/``forkserver`` child would have to receive the facts and build the
index again - about what it would save - so those platforms resolve in one process.)
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import msgspec

from pt_tui.core.heap import gc_paused
from pt_tui.core.lang import FileFacts, Resolver
from pt_tui.core.model import Edge

#: Below this much payload (all files of one language), one process resolves faster than two.
PARALLEL_MIN_PAYLOAD = 1024 * 1024
#: Languages whose resolvers are known to give the same edges whatever files were resolved before
#: in the same process (equal graph digests serial vs parallel on big trees); None: every language.
#: Python's evaluator solves cycles to a fixed point (core/lang/python/evaluate.py), so it gives the
#: same edges in any file order (tests/test_python_order.py).
PARALLEL_LANGUAGES: frozenset[str] | None = frozenset({"python", "rust"})

_Results = list[tuple[str, list[Edge]]]
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Results)


def can_fork() -> bool:
    """Whether this platform forks cheaply (Linux) and there is a second CPU to use."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    return len(os.sched_getaffinity(0)) >= 2


def worth_it(facts: Mapping[str, FileFacts], paths: Sequence[str], threshold: int | None = None) -> bool:
    """Whether resolving these files in two processes is safe (:data:`PARALLEL_LANGUAGES`) and
    pays (``threshold``: payload bytes)."""
    limit = PARALLEL_MIN_PAYLOAD if threshold is None else threshold
    if len(paths) < 2 or not can_fork():
        return False
    if PARALLEL_LANGUAGES is not None and not {f.language for f in facts.values()} <= PARALLEL_LANGUAGES:
        return False
    return sum(len(facts[p].payload) for p in paths if p in facts) >= limit


def split(facts: Mapping[str, FileFacts], paths: Sequence[str]) -> int:
    """Index in ``paths`` where the second run starts: both runs carry about half the payload."""
    weights = [len(facts[p].payload) + 64 if p in facts else 64 for p in paths]
    half = sum(weights) / 2
    total = 0
    for i, w in enumerate(weights):
        total += w
        if total >= half:
            return max(1, min(len(paths) - 1, i + 1))
    return len(paths) - 1


def resolve_all(
    resolver: Resolver,
    facts: Mapping[str, FileFacts],
    *,
    threshold: int | None = None,
    serial: Callable[[], Iterable[Edge]] | None = None,
) -> Iterator[Edge]:
    """Every edge of ``resolver``'s files, as ``resolver.resolve_all()`` yields them; in two
    processes when :func:`worth_it` (``serial``: the resolver's own ``resolve_all``)."""
    paths = list(resolver.paths())
    with gc_paused():  # and while the caller files the edges: see gc_paused
        if not worth_it(facts, paths, threshold):
            yield from (serial or resolver.resolve_all)()
            return
        for _, edges in resolve_files(resolver, paths, split(facts, paths), facts):
            yield from edges


def resolve_files(
    resolver: Resolver, paths: Sequence[str], cut: int, facts: Mapping[str, FileFacts] | None = None
) -> Iterator[tuple[str, list[Edge]]]:
    """(path, edges) of every path in order: ``paths[:cut]`` resolved here, the rest in a child
    (``facts``: their node ids are shared with the child's decoded edges)."""
    first = [(p, resolver.resolve_file(p)) for p in paths[:1]]  # one-time lazy passes, before the fork
    mine, theirs = paths[1:cut], paths[cut:]
    child = _fork(lambda: [(p, resolver.resolve_file(p)) for p in theirs])
    with gc_paused():  # millions of short-lived acyclic objects; collections would re-scan the index
        try:
            done = first + [(p, resolver.resolve_file(p)) for p in mine]
        except BaseException:  # an error or an interrupt here: leave no child behind
            if child is not None:
                _abandon(child)
            raise
        received = _collect(child) if child is not None else None
    yield from done
    if received is None or [p for p, _ in received] != list(theirs):
        received = [(p, resolver.resolve_file(p)) for p in theirs]  # the child failed: do it here
    yield from _share_strings(received, paths, facts or {})


def _fork(work: Callable[[], _Results]) -> tuple[int, int] | None:
    """Start ``work`` in a forked child writing its encoded result to a pipe: (pid, read fd)."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid:
        os.close(write_fd)
        return pid, read_fd
    # the child: compute, write, leave without running any cleanup of the parent's state
    status = 1
    try:
        os.close(read_fd)
        gc.disable()
        data = _ENCODER.encode(work())
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view) :]
        status = 0
    except BaseException:  # the parent falls back to resolving these files itself
        status = 1
    finally:
        os._exit(status)


def _abandon(child: tuple[int, int]) -> None:
    pid, read_fd = child
    with contextlib.suppress(OSError):
        os.close(read_fd)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


def _collect(child: tuple[int, int]) -> _Results | None:
    """The child's decoded results (None if it failed), once it has exited."""
    pid, read_fd = child
    chunks: list[bytes] = []
    try:
        while chunk := os.read(read_fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    try:
        return _DECODER.decode(b"".join(chunks))
    except msgspec.DecodeError:
        return None


def _share_strings(
    received: Iterable[tuple[str, list[Edge]]], paths: Sequence[str], facts: Mapping[str, FileFacts]
) -> Iterator[tuple[str, list[Edge]]]:
    """Point decoded edges at this process's path and node id strings (decoding makes a new
    string per occurrence; serial resolution shares the nodes' own)."""
    path_of = {p: p for p in paths}
    ids = {node.id: node.id for f in facts.values() for node in f.nodes}
    setattr_ = msgspec.structs.force_setattr
    for path, edges in received:
        for edge in edges:
            setattr_(edge, "src", ids.setdefault(edge.src, edge.src))
            setattr_(edge, "dst", ids.setdefault(edge.dst, edge.dst))
            setattr_(edge, "file", path_of.get(edge.file, edge.file))
        yield path_of.get(path, path), edges
