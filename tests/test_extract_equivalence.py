"""Extraction is deterministic, and facts from worker processes equal facts extracted in-process."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest

from pt_tui.core.ingest.pipeline import IngestReport, discover, extract_all
from pt_tui.core.lang.base import ExtractContext, make_node
from pt_tui.core.lang.python import LANGUAGE as PYTHON
from pt_tui.core.lang.python.facts import DECODER
from pt_tui.core.lang.rust import LANGUAGE as RUST
from pt_tui.core.lang.rust.facts import decode
from pt_tui.core.model import NodeKind, Visibility, node_id

CTX = ExtractContext(Path("/nonexistent-root"))
FIXTURES = Path(__file__).parent / "fixtures"


def test_python_facts_follow_source_order() -> None:
    # tree-sitter hands a capture's nodes over in no fixed order: the payload must not depend on it
    names = [f"name_{i:03}" for i in range(200)]
    source = "".join(f"{n} = f{i}(g{i}(x)(y))\n" for i, n in enumerate(names)).encode()
    payload = DECODER.decode(PYTHON.extract("m.py", source, CTX).payload)
    module = payload.scopes[0]
    assert list(module.bindings) == names
    callees = [call.callee for call in module.calls]
    assert callees[:3] == [("f0",), ("g0", "()"), ("g0",)]  # an enclosing call before its callee's call
    again = PYTHON.extract("m.py", source, CTX)
    assert again.payload == PYTHON.extract("m.py", source, CTX).payload


def test_make_node_computes_the_stable_id() -> None:
    node = make_node("python", NodeKind.FUNCTION, "m.f", "f", "m.py", 3, 4, visibility=Visibility.PRIVATE)
    assert node.id == node_id("python", NodeKind.FUNCTION, "m.f")
    assert (node.line, node.end_line, node.visibility, node.parent) == (3, 4, Visibility.PRIVATE, "")


def test_malformed_rust_glob_use_names_nothing() -> None:
    facts = RUST.extract("src/lib.rs", b"use *;\nuse a::*;\nfn f() {}\n", CTX)
    assert [(u.path, u.alias) for u in decode(facts.payload).uses] == [(("a",), "")]


@pytest.mark.parametrize("corpus", ["callgraph", "callgraph_rust"])
def test_worker_processes_give_the_same_facts(corpus: str) -> None:
    root = FIXTURES / corpus
    files = discover(root)
    local = extract_all(root, files, IngestReport(), workers=1)
    report = IngestReport()
    pooled = extract_all(root, files, report, workers=2)
    assert report.workers == 2
    assert list(pooled) == list(local)
    for path, facts in pooled.items():
        mine = local[path]
        assert msgspec.structs.asdict(facts) == msgspec.structs.asdict(mine)
        # strings repeated on every node and edge are shared again after the trip from the worker
        assert all(n.file is facts.path for n in facts.nodes)
        assert all(e.file is facts.path for e in facts.edges)
        ids = {n.id: n.id for n in facts.nodes}
        assert all(n.parent is ids[n.parent] for n in facts.nodes if n.parent in ids)


def test_worker_results_with_a_non_utf8_file_name(tmp_path: Path) -> None:
    # msgpack cannot carry a lone surrogate: such a batch goes back to the parent pickled instead
    try:
        (tmp_path / os.fsdecode(b"odd\xff.py")).write_text("def f():\n    pass\n")
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system refuses a file name that is not UTF-8")
    (tmp_path / "plain.py").write_text("def g():\n    pass\n")
    files = discover(tmp_path)
    local, pooled = IngestReport(), IngestReport()
    expected = extract_all(tmp_path, files, local, workers=1)
    assert extract_all(tmp_path, files, pooled, workers=2).keys() == expected.keys()
    assert (pooled.files_indexed, pooled.problems) == (local.files_indexed, local.problems)
    assert "plain.py" in expected and local.files_indexed + local.skipped_unreadable == 2
