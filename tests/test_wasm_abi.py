"""The bulk ABI: graph view layout, request encoding, result decoding (including hostile bytes)."""

from __future__ import annotations

import struct
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st
from query_graphs import shop

from pt_tui.core.model import EdgeKind
from pt_tui.sandbox.wasm import abi
from pt_tui.sandbox.wasm.view import GraphView, graph_view, parse_view


def _u32(data: bytes) -> list[int]:
    return list(array("I", data))


def _string(strings: bytes, refs: list[int], i: int) -> str:
    off, length = refs[2 * i], refs[2 * i + 1]
    return strings[off : off + length].decode()


def test_view_round_trips_nodes_and_edges() -> None:
    isg, n = shop()
    view = graph_view(isg)
    header, cols = parse_view(view.blob())
    assert header["abi_version"] == abi.ABI_VERSION
    assert header["node_count"] == isg.node_count == view.node_count
    assert header["total_len"] == len(view.blob()) and header["total_len"] % 8 == 0
    name_strings, qual_strings = cols[abi.COL_NAME_STRINGS][0], cols[abi.COL_QUALNAME_STRINGS][0]
    file_strings = cols[abi.COL_FILE_STRINGS][0]
    names, quals = _u32(cols[abi.COL_NAME][0]), _u32(cols[abi.COL_QUALNAME][0])
    files, paths = _u32(cols[abi.COL_FILE][0]), _u32(cols[abi.COL_FILE_PATH][0])
    lines, parents = _u32(cols[abi.COL_LINES][0]), _u32(cols[abi.COL_PARENT][0])
    kinds = cols[abi.COL_KIND][0]
    for i, node in enumerate(view.nodes):
        assert _string(name_strings, names, i) == node.name
        assert _string(qual_strings, quals, i) == node.qualname
        assert _string(file_strings, paths, files[i]) == node.file
        assert abi.NODE_KINDS[kinds[i]] == node.kind
        assert (lines[2 * i], lines[2 * i + 1]) == (node.line, node.end_line)
        parent = view.nodes[parents[i]].id if parents[i] != abi.NO_NODE else ""
        assert parent == node.parent
    for k, kind in enumerate(abi.EDGE_KINDS):
        out_off, out_tgt = _u32(cols[abi.edge_column(k, 0)][0]), _u32(cols[abi.edge_column(k, 1)][0])
        in_off, in_tgt = _u32(cols[abi.edge_column(k, 2)][0]), _u32(cols[abi.edge_column(k, 3)][0])
        for i, node in enumerate(view.nodes):
            want_out = {view.index[e.dst] for e in isg.out_edges(node.id, kind)}
            want_in = {view.index[e.src] for e in isg.in_edges(node.id, kind)}
            got_out = out_tgt[out_off[i] : out_off[i + 1]]
            assert got_out == sorted(want_out)  # distinct targets, once each, ascending
            assert in_tgt[in_off[i] : in_off[i + 1]] == sorted(want_in)
    # apply_discount calls log twice (two call sites): one CSR entry
    calls_out = _u32(cols[abi.edge_column(0, 1)][0])
    assert calls_out.count(view.index[n["log"].id]) == 1
    assert abi.EDGE_KINDS[0] is EdgeKind.CALLS


def test_view_is_cached_per_generation_and_masks_select_columns() -> None:
    isg, _ = shop()
    view = graph_view(isg)
    assert graph_view(isg) is view
    assert view.blob(abi.WANT_IN) is view.blob(abi.WANT_IN)
    header, cols = parse_view(view.blob(abi.WANT_IN))  # CALLS in-edges only
    assert set(cols) == {abi.edge_column(0, 2), abi.edge_column(0, 3)}
    assert header["column_count"] == 2
    assert len(view.blob(abi.WANT_IN)) < len(view.blob())
    isg.generation += 1
    assert graph_view(isg) is not view


def test_each_string_group_brings_only_its_own_table() -> None:
    assert GraphView.columns_for(abi.WANT_NAME) == [abi.COL_NAME, abi.COL_NAME_STRINGS]
    assert abi.COL_QUALNAME_STRINGS not in GraphView.columns_for(abi.WANT_ALL & ~abi.WANT_QUALNAME)
    assert GraphView.columns_for(abi.WANT_KIND | abi.WANT_LINES) == [abi.COL_KIND, abi.COL_LINES]
    isg, _ = shop()
    _, cols = parse_view(graph_view(isg).blob(abi.WANT_NAME))
    assert b"shop.models" not in cols[abi.COL_NAME_STRINGS][0]  # no qualified names, no paths
    assert cols[abi.COL_NAME_STRINGS][0].count(b"parse") == 1  # two nodes named parse: stored once


def test_request_encoding_layout() -> None:
    data = abi.encode_request(
        verb="fan-in",
        view_addr=4096,
        view_len=800,
        limit=50,
        args={"depth": 3, "name": "héllo", "kinds": ("function", "method"), "none": None},
        entities={"entity": [7, 9]},
        inputs=[1, 2, 3],
    )
    fields = abi.REQUEST_HEADER.unpack_from(data)
    magic, version, flags, view_addr, view_len, limit, verb_off, verb_len = fields[:8]
    input_count, inputs_off, arg_count, args_off, result_addr, result_len = fields[8:14]
    assert (magic, version, view_addr, view_len, limit) == (abi.REQUEST_MAGIC, 1, 4096, 800, 50)
    assert flags == abi.FLAG_HAS_INPUTS and (result_addr, result_len) == (0, 0)
    assert data[verb_off : verb_off + verb_len] == b"fan-in"
    assert struct.unpack_from(f"<{input_count}I", data, inputs_off) == (1, 2, 3)
    args = {}
    for i in range(arg_count):
        name_off, name_len, kind, count, value = abi.ARG_ENTRY.unpack_from(data, args_off + 24 * i)
        args[data[name_off : name_off + name_len].decode()] = (kind, count, value)
    assert args["depth"][0] == abi.ARG_INT and struct.unpack("<q", args["depth"][2]) == (3,)
    off, length = struct.unpack("<II", args["name"][2])
    assert args["name"][0] == abi.ARG_TEXT and data[off : off + length].decode() == "héllo"
    kind, count, value = args["entity"]
    assert kind == abi.ARG_NODES and struct.unpack_from("<2I", data, struct.unpack("<II", value)[0]) == (7, 9)
    kind, count, value = args["kinds"]
    refs = struct.unpack_from(f"<{2 * count}I", data, struct.unpack("<II", value)[0])
    assert [data[refs[2 * i] : refs[2 * i] + refs[2 * i + 1]] for i in range(count)] == [
        b"function",
        b"method",
    ]
    assert args["none"][0] == abi.ARG_NONE
    assert (
        not abi.REQUEST_HEADER.unpack_from(
            abi.encode_request(verb="x", view_addr=0, view_len=0, limit=1, args={}, entities={}, inputs=None)
        )[2]
        & abi.FLAG_HAS_INPUTS
    )


def test_result_round_trip() -> None:
    rows = [(0, 3, "CALLS", "a.py:1"), (2, None, "", ""), (1, -4, "CALLS", "ü")]
    data = abi.encode_result(rows, text="hello", notes=["one", "two"])
    result = abi.decode_result(data, node_count=3, limit=10)
    assert [(r.node, r.distance, r.via, r.detail) for r in result.rows] == rows
    assert (result.text, result.notes, result.status) == ("hello", ["one", "two"], abi.STATUS_OK)
    error = abi.decode_result(abi.encode_result(text="no", status=abi.STATUS_ERROR), node_count=0, limit=0)
    assert (error.status, error.text) == (abi.STATUS_ERROR, "no")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:20], "shorter than"),
        (lambda d: b"XXXX" + d[4:], "magic"),
        (lambda d: d[:4] + struct.pack("<I", 7) + d[8:], "status"),
        (lambda d: d[:8] + struct.pack("<I", 11) + d[12:], "limit"),
        (lambda d: d[:8] + struct.pack("<I", 9) + d[12:], "outside"),
        (lambda d: d[:12] + struct.pack("<I", 0xFFFFFF00) + d[16:], "outside"),
        (lambda d: d[:16] + struct.pack("<II", 10, 1 << 30) + d[24:], "cap"),
        (lambda d: d[:16] + struct.pack("<II", 1 << 31, 4) + d[24:], "outside"),
        (lambda d: d[:24] + struct.pack("<II", 1000, 0) + d[32:], "notes"),
        (lambda d: d + bytes(abi.MAX_RESULT_BYTES), "cap"),
    ],
)
def test_malformed_results_are_refused(mutate: object, message: str) -> None:
    data = abi.encode_result([(0, 1, "CALLS", "x"), (1, 2, "", "")], text="t", notes=["n"])
    assert callable(mutate)
    with pytest.raises(abi.Malformed, match=message):
        abi.decode_result(mutate(data), node_count=2, limit=10)


def test_node_index_outside_the_view_is_refused() -> None:
    with pytest.raises(abi.Malformed, match="node index 5"):
        abi.decode_result(abi.encode_result([(5, 1, "", "")]), node_count=5, limit=10)


@given(st.binary(max_size=600), st.integers(0, 50), st.integers(0, 100))
def test_decoder_never_crashes_on_random_bytes(data: bytes, nodes: int, limit: int) -> None:
    try:
        result = abi.decode_result(data, node_count=nodes, limit=limit)
    except abi.Malformed:
        return
    assert len(result.rows) <= limit and all(r.node < nodes for r in result.rows)


_u32s = st.integers(0, 0xFFFFFFFF)
_small = st.integers(0, 200)


@given(
    status=st.sampled_from([0, 1, 2]),
    count=st.one_of(_small, _u32s),
    rows_off=st.one_of(_small, _u32s),
    text=st.tuples(st.one_of(_small, _u32s), st.one_of(_small, _u32s)),
    notes=st.tuples(st.integers(0, 80), st.one_of(_small, _u32s)),
    body=st.lists(
        st.tuples(_small, st.integers(-(2**31), 2**31 - 1), _small, _small, _small, _small), max_size=8
    ),
    tail=st.binary(max_size=64),
)
def test_decoder_never_crashes_on_random_layouts(
    status: int,
    count: int,
    rows_off: int,
    text: tuple[int, int],
    notes: tuple[int, int],
    body: list[tuple[int, int, int, int, int, int]],
    tail: bytes,
) -> None:
    header = abi.RESULT_HEADER.pack(abi.RESULT_MAGIC, status, count, rows_off, *text, *notes)
    data = header + b"".join(abi.RESULT_ROW.pack(*row) for row in body) + tail
    try:
        result = abi.decode_result(data, node_count=100, limit=50)
    except abi.Malformed:
        return
    assert len(result.rows) <= 50 and len(result.notes) <= abi.MAX_NOTES
