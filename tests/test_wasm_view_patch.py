"""The graph view patched from the engine's diffs equals a view built whole, edit after edit."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from test_engine_support import indexed_email_copy

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind
from pt_tui.sandbox.wasm import abi
from pt_tui.sandbox.wasm.view import GraphView, graph_view, note_diff, parse_view


def semantic(view: GraphView, blob: bytes) -> dict[str, Any]:
    """A view's content by node id (independent of the node order the view chose)."""
    header, cols = parse_view(blob)
    n = header["node_count"]
    ids = [node.id for node in view.nodes]
    assert len(ids) == n

    def u32(cid: int) -> list[int]:
        data, _ = cols[cid]
        return list(memoryview(data).cast("I"))

    def strings(refs_id: int, table_id: int) -> list[str]:
        refs, table = u32(refs_id), cols[table_id][0]
        return [table[refs[2 * i] : refs[2 * i] + refs[2 * i + 1]].decode() for i in range(len(refs) // 2)]

    names = strings(abi.COL_NAME, abi.COL_NAME_STRINGS)
    quals = strings(abi.COL_QUALNAME, abi.COL_QUALNAME_STRINGS)
    paths = strings(abi.COL_FILE_PATH, abi.COL_FILE_STRINGS)
    files, lines, parents = u32(abi.COL_FILE), u32(abi.COL_LINES), u32(abi.COL_PARENT)
    csr = [
        (u32(abi.edge_column(k, part)), u32(abi.edge_column(k, part + 1)))
        for k in range(len(abi.EDGE_KINDS))
        for part in (0, 2)
    ]
    out: dict[str, Any] = {}
    for i, node_id in enumerate(ids):
        edges = []
        for off, tg in csr:
            neighbours = tg[off[i] : off[i + 1]]
            assert neighbours == sorted(set(neighbours))  # distinct, ascending
            edges.append(sorted(ids[j] for j in neighbours))
        out[node_id] = (
            cols[abi.COL_KIND][0][i],
            cols[abi.COL_VISIBILITY][0][i],
            cols[abi.COL_LANGUAGE][0][i],
            names[i],
            quals[i],
            paths[files[i]],
            (lines[2 * i], lines[2 * i + 1]),
            None if parents[i] == abi.NO_NODE else ids[parents[i]],
            edges,
        )
    assert len(out) == n
    return out


class Editor:
    """Seeded edits on a copy of a stdlib package: line shifts, renames, new and deleted files."""

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.deleted: dict[Path, str] = {}

    def files(self) -> list[Path]:
        return sorted(self.root.rglob("*.py"))

    def edit(self) -> list[Path]:
        rng = self.rng
        path = rng.choice(self.files())
        text = path.read_text()
        kind = rng.choice(["shift", "rename", "rename", "add", "delete", "restore", "new_file", "body"])
        if kind == "shift":
            path.write_text("\n\n" + text)
        elif kind == "rename":
            defs = re.findall(r"^\s*(?:def|class) (\w+)", text, re.M)
            if defs:
                name = rng.choice(defs)
                path.write_text(re.sub(rf"\b{name}\b", f"{name}_r{rng.randrange(99)}", text))
        elif kind == "add":
            callee = rng.choice(re.findall(r"^def (\w+)", text, re.M) or ["len"])
            path.write_text(text + f"\n\ndef added_{rng.randrange(999)}(x):\n    return {callee}(x)\n")
        elif kind == "body":
            path.write_text(re.sub(r"(\n    return )", r"\1None or ", text, count=3))
        elif kind == "delete" and len(self.files()) > 3:
            self.deleted[path] = text
            path.unlink()
        elif kind == "restore" and self.deleted:
            back = rng.choice(sorted(self.deleted))
            back.write_text(self.deleted.pop(back))
            path = back
        elif kind == "new_file":
            path = self.root / f"fresh_{rng.randrange(999)}.py"
            path.write_text(
                "from email.utils import parseaddr\n\nclass Fresh:\n    def go(self, s):\n"
                "        return parseaddr(s)\n\n    def again(self):\n        return self.go('x')\n"
            )
        return [path]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return indexed_email_copy(tmp_path)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_patched_view_equals_a_full_build(engine: Engine, seed: int) -> None:
    engine.subscribe(lambda diff: note_diff(engine.isg, diff))
    with engine.read() as isg:
        first = graph_view(isg)
        first.blob()  # every group built: each later generation patches all of them
    editor = Editor(engine.root, seed)
    patched = 0
    for step in range(12):
        paths = editor.edit()
        diff = engine.update(paths)
        with engine.read() as isg:
            view = graph_view(isg)
            assert view.generation == isg.generation
            if not diff.empty:
                assert view.patched_from is not None, f"step {step}: rebuilt instead of patched"
                patched += 1
            fresh = GraphView(isg)
            assert semantic(view, view.blob()) == semantic(fresh, fresh.blob())
    assert patched >= 6


def test_a_view_is_not_changed_by_patching_the_next(engine: Engine) -> None:
    engine.subscribe(lambda diff: note_diff(engine.isg, diff))
    with engine.read() as isg:
        old = graph_view(isg)
        before = old.blob()
        before_nodes = list(old.nodes)
    editor = Editor(engine.root, 9)
    for _ in range(5):
        engine.update(editor.edit())
    with engine.read() as isg:
        assert graph_view(isg) is not old
    assert old.blob() == before and old.nodes == before_nodes


def test_without_diffs_the_view_is_rebuilt() -> None:
    isg = ISG()
    view = graph_view(isg)
    isg.generation += 1
    again = graph_view(isg)
    assert again is not view and again.patched_from is None


def test_a_missing_diff_means_a_rebuild(engine: Engine) -> None:
    seen: list[int] = []

    def feed(diff: Any) -> None:
        seen.append(diff.generation)
        if len(seen) != 2:  # the second diff is lost
            note_diff(engine.isg, diff)

    engine.subscribe(feed)
    with engine.read() as isg:
        graph_view(isg).blob()
    editor = Editor(engine.root, 4)
    while len(seen) < 3:
        engine.update(editor.edit())
    with engine.read() as isg:
        view = graph_view(isg)
        assert view.patched_from is None
        fresh = GraphView(isg)
        assert semantic(view, view.blob()) == semantic(fresh, fresh.blob())


def test_the_manager_patches_the_view_when_the_graph_changes(engine: Engine) -> None:
    """With a wasm plugin loaded, an edit patches the shared view on the updating thread."""
    from pt_tui.core.query.verbs import register_builtins
    from pt_tui.sandbox.api import QueryRequest
    from pt_tui.sandbox.manager import ManagerConfig, PluginManager
    from pt_tui.sandbox.tracker import Tracker
    from pt_tui.sandbox.trust import AllowAll

    register_builtins()
    fan_in = Path(__file__).resolve().parents[1] / "plugins" / "wat" / "fan-in"
    manager = PluginManager(engine, Tracker(), None, AllowAll(), ManagerConfig(calibrate=False))
    try:
        manager.add(fan_in, dev=True)
        with engine.read() as isg:
            ids = tuple(isg.nodes)[:50]
            manager.call("fan-in", QueryRequest(verb="fan-in", inputs=ids), isg)
            before = graph_view(isg)
        editor = Editor(engine.root, 5)
        while engine.update(editor.edit()).empty:
            pass
        with engine.read() as isg:
            view = graph_view(isg)  # already current: patched by the manager's subscription
            assert view is not before and view.generation == isg.generation
            assert view.patched_from == before.generation and manager.view_refresh_ms > 0
            rows = manager.call("fan-in", QueryRequest(verb="fan-in", inputs=ids), isg).rows
            assert {r.node.id for r in rows} <= set(isg.nodes)
    finally:
        manager.close()


def test_a_plugins_copy_is_rewritten_only_where_the_view_changed(engine: Engine) -> None:
    """Each generation's image written over the previous one's (what a wasm plugin's memory holds)
    gives the new view's bytes exactly; with the same layout, only the changed columns are copied."""
    import ctypes

    engine.subscribe(lambda diff: note_diff(engine.isg, diff))
    with engine.read() as isg:
        held = graph_view(isg).image()
    memory = ctypes.create_string_buffer(2 * len(held))
    held.write(ctypes.addressof(memory))
    assert memory.raw[: len(held)] == held.blob()
    editor = Editor(engine.root, 5)
    partial = 0
    for step in range(10):
        if step % 3 == 0:  # lines move, nothing else: the layout stays
            path = editor.rng.choice(editor.files())
            path.write_text("\n\n" + path.read_text())
            paths = [path]
        else:
            paths = editor.edit()
        engine.update(paths)
        with engine.read() as isg:
            image = graph_view(isg).image()
        if len(image) > len(memory):
            memory = ctypes.create_string_buffer(2 * len(image))
            held = None
        same = image.same_layout(held)
        copied = image.write(ctypes.addressof(memory), held)
        assert memory.raw[: len(image)] == image.blob(), step
        if same:
            partial += 1
            assert copied < len(image) // 4, (step, copied, len(image))  # a few columns, not the view
        held = image
    assert partial >= 3


def test_the_wasm_host_patches_its_copy_in_place(engine: Engine) -> None:
    import ctypes

    from pt_tui.sandbox import wasm
    from pt_tui.sandbox.api import Capability, QueryRequest
    from pt_tui.sandbox.manifest import load_manifest

    engine.subscribe(lambda diff: note_diff(engine.isg, diff))
    folder = Path(__file__).resolve().parents[1] / "plugins" / "wat" / "fan-in"
    plugin = wasm.load(load_manifest(folder), folder, granted=frozenset({Capability.GRAPH_READ}))
    live_of = lambda: plugin.backend._live  # type: ignore[attr-defined]  # noqa: E731
    with engine.read() as isg:
        ids = list(isg.nodes)[:20]
        plugin.execute_query(QueryRequest(verb="fan-in", inputs=tuple(ids)), isg)
    live = live_of()
    addr, first = live.view_addr, live.image
    path = sorted(engine.root.rglob("*.py"))[0]
    path.write_text("\n\n" + path.read_text())
    engine.update([path])
    with engine.read() as isg:
        out = plugin.execute_query(QueryRequest(verb="fan-in", inputs=tuple(ids)), isg)
        want = [len({e.src for e in isg.in_edges(i, EdgeKind.CALLS)}) for i in ids]
    assert [r.distance for r in out.rows] == want
    assert live_of() is live and live.view_addr == addr and live.image is not first
    assert live.image.same_layout(first)
    held = ctypes.string_at(live.base() + addr, len(live.image))
    assert held == live.image.blob()  # the header (generation) and any changed column rewritten
