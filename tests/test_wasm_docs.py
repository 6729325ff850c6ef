"""docs/plugin-abi.md stays true: its worked example's bytes and its C example are checked here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from query_graphs import GraphBuilder

from pt_tui.core.model import NodeKind
from pt_tui.sandbox.api import Capability, QueryRequest
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.tiers import shared_lib
from pt_tui.sandbox.wasm import abi
from pt_tui.sandbox.wasm.view import graph_view

REPO = Path(__file__).resolve().parent.parent
DOC = (REPO / "docs" / "plugin-abi.md").read_text()


def dumps() -> list[bytes]:
    """The hex dumps in the worked example, in order (lines like ``10: 02 00 00 00  ...``)."""
    blocks: list[bytes] = []
    for block in re.findall(r"```\n(00: .*?)```", DOC, re.S):
        data = bytearray()
        for line in block.splitlines():
            hexpart = line[4:].split("    ")[0]
            data += bytes.fromhex(hexpart.replace("  ", " "))
        blocks.append(bytes(data))
    return blocks


def example():  # type: ignore[no-untyped-def]
    b = GraphBuilder()
    m = b.node(NodeKind.MODULE, "m", "m.py", 1, 9)
    f = b.node(NodeKind.FUNCTION, "m.f", "m.py", 2, 3, parent=m)
    g = b.node(NodeKind.FUNCTION, "m.g", "m.py", 4, 5, parent=m)
    h = b.node(NodeKind.FUNCTION, "m.h", "m.py", 6, 7, parent=m)
    b.edge(g, h)
    b.edge(f, h)
    return b.build(), h


def test_worked_example_bytes() -> None:
    view_bytes, result_bytes = dumps()
    isg, _ = example()
    view = graph_view(isg)
    assert [n.name for n in view.nodes] == ["m", "f", "g", "h"]
    assert view.blob(abi.WANT_IN << 0) == view_bytes
    assert abi.encode_result([(3, 2, "fan-in", "")]) == result_bytes
    decoded = abi.decode_result(result_bytes, node_count=4, limit=1000)
    assert [(r.node, r.distance, r.via) for r in decoded.rows] == [(3, 2, "fan-in")]


def test_c_example_compiles_and_answers(tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("needs a C compiler for the host (cc)")
    source = re.search(r"```c\n(.*?)```", DOC, re.S)
    assert source is not None
    folder = tmp_path / "fan-in-c"
    folder.mkdir()
    (folder / "plugin.c").write_text(source.group(1))
    flags = ["-O2", "-Wall", "-Werror", "-shared", "-fPIC", f"-I{REPO / 'sdk' / 'c'}"]
    subprocess.run([cc, *flags, str(folder / "plugin.c"), "-o", str(folder / "libplugin.so")], check=True)
    (folder / "plugin.toml").write_text(
        'name = "fan-in-c"\nversion = "1.0.0"\ntier = "native"\nabi_version = 1\n'
        'capabilities = ["graph.read"]\n'
        'query_types = [{ name = "fan-in", takes_input = true, params = [{ name = "entity", type = "entity", '
        'required = false }] }]\n[artifact]\nnative = "libplugin.so"\n[budget]\nmax_query_time_us = 500\n'
    )
    plugin = shared_lib.load(load_manifest(folder), folder, granted=frozenset({Capability.GRAPH_READ}))
    isg, h = example()
    out = plugin.execute_query(QueryRequest(verb="fan-in", inputs=(h.id,)), isg)
    assert [(r.node, r.distance, r.via) for r in out.rows] == [(h, 2, "fan-in")]
    out = plugin.execute_query(QueryRequest(verb="fan-in", entities={"entity": (h.id,)}), isg)
    assert [(r.node, r.distance) for r in out.rows] == [(h, 2)]
