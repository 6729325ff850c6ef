"""Resolution in two processes (core/ingest/resolve_parallel.py) gives exactly the serial graph."""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from pt_tui.core.digest import graph_delta, graph_digest
from pt_tui.core.engine import Engine, _resolvers, build_graph
from pt_tui.core.ingest import resolve_parallel
from pt_tui.core.ingest.pipeline import IngestReport, discover, extract_all
from pt_tui.core.lang import FileFacts, Resolver
from pt_tui.core.model import Edge, EdgeKind

DEMO = Path(__file__).resolve().parents[1] / "pt_tui" / "demo" / "sample"
ASYNCIO = Path(sysconfig.get_paths()["stdlib"]) / "asyncio"

needs_fork = pytest.mark.skipif(not resolve_parallel.can_fork(), reason="needs Linux fork and 2 CPUs")


def _facts(root: Path) -> dict[str, FileFacts]:
    return extract_all(root, discover(root), IngestReport(), workers=1)


def _serial_edges(facts: dict[str, FileFacts]) -> list[Edge]:
    out: list[Edge] = []
    for name, resolver in _resolvers(facts).items():
        mine = {p: f for p, f in facts.items() if f.language == name}
        out.extend(resolve_parallel.resolve_all(resolver, mine, threshold=1 << 62))
    return out


def _parallel_edges(facts: dict[str, FileFacts]) -> list[Edge]:
    out: list[Edge] = []
    for name, resolver in _resolvers(facts).items():
        mine = {p: f for p, f in facts.items() if f.language == name}
        out.extend(resolve_parallel.resolve_all(resolver, mine, threshold=0))
    return out


DEFAULT_LANGUAGES = resolve_parallel.PARALLEL_LANGUAGES


@pytest.fixture(autouse=True)
def every_language(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machinery is tested on every language; the default set is tested apart."""
    monkeypatch.setattr(resolve_parallel, "PARALLEL_LANGUAGES", None)
    yield


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every resolution big enough for two processes."""
    monkeypatch.setattr(resolve_parallel, "PARALLEL_MIN_PAYLOAD", 0)
    yield


@needs_fork
def test_parallel_edges_equal_serial_in_order_on_the_demo() -> None:
    facts = _facts(DEMO)
    assert {f.language for f in facts.values()} == {"python", "rust"}
    serial = _serial_edges(facts)
    parallel = _parallel_edges(facts)
    assert serial  # the demo resolves to something
    assert parallel == serial  # the same edges in the same order


@needs_fork
def test_engine_index_digest_equal_with_parallel_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through ``Engine.index`` with the default languages (the demo's Rust crate forks)."""
    root = DEMO
    monkeypatch.setattr(resolve_parallel, "PARALLEL_LANGUAGES", DEFAULT_LANGUAGES)
    monkeypatch.setattr(resolve_parallel, "PARALLEL_MIN_PAYLOAD", 1 << 62)
    serial = Engine(root, workers=1)
    serial.index()
    forks: list[int] = []
    real_fork = resolve_parallel._fork

    def counting_fork(work):  # type: ignore[no-untyped-def]
        child = real_fork(work)
        forks.append(1 if child is not None else 0)
        return child

    monkeypatch.setattr(resolve_parallel, "PARALLEL_MIN_PAYLOAD", 0)
    monkeypatch.setattr(resolve_parallel, "_fork", counting_fork)
    parallel = Engine(root, workers=1)
    parallel.index()
    assert forks == [1] * len(DEFAULT_LANGUAGES or forks)  # the parallel path really ran
    assert graph_digest(parallel.isg) == graph_digest(serial.isg), graph_delta(serial.isg, parallel.isg)
    # the live resolvers still answer single files (incremental updates) as before
    path = next(iter(parallel.facts))
    language = parallel.facts[path].language
    assert parallel._resolvers[language].resolve_file(path) == serial._resolvers[language].resolve_file(path)


@needs_fork
@pytest.mark.skipif(not ASYNCIO.is_dir(), reason="needs the standard library's asyncio sources")
def test_python_resolution_is_the_same_in_two_processes_on_asyncio() -> None:
    """asyncio/tasks.py:718 used to resolve differently alone than after the files before it (argument
    flow was order-dependent); cycles are now solved to a fixed point (tests/test_python_order.py)."""
    facts = _facts(ASYNCIO)
    serial = _serial_edges(facts)
    assert _parallel_edges(facts) == serial


@needs_fork
def test_build_graph_digest_equal(forced: None) -> None:
    facts = _facts(DEMO)
    parallel = build_graph(facts)
    resolve_parallel.PARALLEL_MIN_PAYLOAD = 1 << 62
    serial = build_graph(facts)
    assert graph_digest(parallel) == graph_digest(serial)


@needs_fork
def test_a_failing_child_falls_back_to_resolving_here(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = _facts(DEMO)
    serial = _serial_edges(facts)
    real_fork = resolve_parallel._fork

    def crash() -> list[tuple[str, list[Edge]]]:
        raise RuntimeError("child failed")

    monkeypatch.setattr(resolve_parallel, "_fork", lambda work: real_fork(crash))
    assert _parallel_edges(facts) == serial
    monkeypatch.setattr(resolve_parallel, "_fork", lambda work: real_fork(lambda: [("elsewhere.py", [])]))
    assert _parallel_edges(facts) == serial  # results for the wrong files are not taken
    monkeypatch.setattr(resolve_parallel, "_fork", lambda work: None)  # fork itself failed
    assert _parallel_edges(facts) == serial


def test_no_fork_platform_resolves_serially(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = _facts(DEMO)
    monkeypatch.setattr(resolve_parallel, "can_fork", lambda: False)
    monkeypatch.setattr(resolve_parallel, "_fork", lambda work: pytest.fail("forked"))
    paths = sorted(facts)
    assert not resolve_parallel.worth_it(facts, paths, threshold=0)
    assert _parallel_edges(facts) == _serial_edges(facts)


def test_small_trees_stay_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = _facts(DEMO)
    monkeypatch.setattr(resolve_parallel, "can_fork", lambda: True)
    paths = sorted(facts)
    assert not resolve_parallel.worth_it(facts, paths)  # the demo is far below the default threshold
    assert resolve_parallel.worth_it(facts, paths, threshold=0)
    assert not resolve_parallel.worth_it(facts, paths[:1], threshold=0)  # one file: nothing to split


def test_split_balances_payload_and_keeps_both_runs_non_empty() -> None:
    facts = _facts(DEMO)
    paths = sorted(facts)
    cut = resolve_parallel.split(facts, paths)
    assert 1 <= cut < len(paths)
    first = sum(len(facts[p].payload) for p in paths[:cut])
    second = sum(len(facts[p].payload) for p in paths[cut:])
    biggest = max(len(f.payload) for f in facts.values()) + 64
    assert abs(first - second) <= biggest + 64 * len(paths)
    assert resolve_parallel.split(facts, paths[:2]) == 1


@needs_fork
def test_child_edges_share_the_node_id_and_path_strings() -> None:
    facts = _facts(DEMO)
    ids = {node.id: node.id for f in facts.values() for node in f.nodes}
    received = 0
    for name, resolver in _resolvers(facts).items():
        mine = {p: f for p, f in facts.items() if f.language == name}
        paths = list(resolver.paths())
        cut = resolve_parallel.split(mine, paths)
        for path, edges in list(resolve_parallel.resolve_files(resolver, paths, cut, mine))[cut:]:
            assert path is paths[paths.index(path)]
            for edge in edges:
                received += 1
                assert edge.file is path
                assert edge.src is ids.get(edge.src, edge.src)
                assert edge.dst is ids.get(edge.dst, edge.dst)
    assert received


class _Fake(Resolver):
    """A resolver of numbered files; ``fail_in`` makes one file raise in the parent process."""

    def __init__(self, n: int, fail_in: str = "") -> None:
        self.files = [f"f{i:02}.py" for i in range(n)]
        self.fail_in = fail_in
        self.parent = os.getpid()

    def paths(self) -> list[str]:
        return self.files

    def resolve_file(self, path: str) -> list[Edge]:
        if path == self.fail_in and os.getpid() == self.parent:
            raise RuntimeError("resolver bug")
        return [Edge(src=path, dst=f"{path}:{k}", kind=EdgeKind.CALLS, file=path, line=k) for k in range(3)]


@needs_fork
def test_fake_resolver_edges_come_back_in_path_order() -> None:
    fake = _Fake(9)
    got = list(resolve_parallel.resolve_files(fake, fake.files, 4))
    assert got == [(p, fake.resolve_file(p)) for p in fake.files]


@needs_fork
def test_an_error_here_reaps_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Fake(9, fail_in="f02.py")
    pids: list[int] = []
    real_fork = resolve_parallel._fork

    def recording_fork(work):  # type: ignore[no-untyped-def]
        child = real_fork(work)
        assert child is not None
        pids.append(child[0])
        return child

    monkeypatch.setattr(resolve_parallel, "_fork", recording_fork)
    with pytest.raises(RuntimeError, match="resolver bug"):
        list(resolve_parallel.resolve_files(fake, fake.files, 4))
    assert pids
    with pytest.raises(ChildProcessError):
        os.waitpid(pids[0], os.WNOHANG)  # already reaped


def test_by_default_python_and_rust_resolve_in_two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python joined once its resolution was shown order-independent (tests/test_python_order.py);
    a language outside the set stays in one process."""
    monkeypatch.setattr(resolve_parallel, "PARALLEL_LANGUAGES", DEFAULT_LANGUAGES)
    monkeypatch.setattr(resolve_parallel, "can_fork", lambda: True)
    facts = _facts(DEMO)
    python = {p: f for p, f in facts.items() if f.language == "python"}
    rust = {p: f for p, f in facts.items() if f.language == "rust"}
    assert resolve_parallel.worth_it(python, sorted(python), threshold=0)
    assert resolve_parallel.worth_it(rust, sorted(rust), threshold=0)
    other = {p: msgspec.structs.replace(f, language="other") for p, f in python.items()}
    assert not resolve_parallel.worth_it(other, sorted(other), threshold=0)
