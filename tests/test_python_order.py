"""Python resolution is order-independent: what a file resolves to does not depend on which files
the same resolver resolved before it (in file order, reversed, or in the two runs of a forked
split, see core/ingest/resolve_parallel.py)."""

from __future__ import annotations

import sysconfig
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from pt_tui.core.ingest import resolve_parallel
from pt_tui.core.ingest.pipeline import IngestReport, discover, extract_all
from pt_tui.core.lang import FileFacts
from pt_tui.core.lang.python import LANGUAGE

STDLIB = Path(sysconfig.get_paths()["stdlib"])

_EdgeKey = tuple[str, str, str, int, str]
Resolved = dict[str, set[_EdgeKey]]

#: A recursive function whose parameter's value reaches it through a cycle spanning files:
#: ``walk``'s ``node`` is a ``Node`` and, through ``node.up()``, the ``Leaf`` the node holds. The
#: cycle is entered at ``walk``'s return (``nxt``) when b.py is resolved before c.py, at ``node``
#: when c.py is resolved first or right after a.py (the second run of a forked split: b.py, with
#: its padding, ends the first run); every order must give ``node.special()`` its target.
CYCLE = {
    "a.py": """
        class Leaf:
            def special(self): pass

        class Node:
            def __init__(self, parent):
                self.parent = parent
            def up(self):
                return self.parent
        """,
    "b.py": """
        from a import Leaf, Node
        from c import walk

        def start():
            walk(Node(Leaf())).special()
        """
    + "".join(f"\ndef pad{i}(x): return pad{i}(x)\n" for i in range(12)),
    "c.py": """
        def walk(node):
            node.special()
            nxt = node.up()
            walk(nxt)
            return nxt
        """,
}


def _facts(root: Path) -> dict[str, FileFacts]:
    return extract_all(root, discover(root), IngestReport(), workers=1)


def _write(tmp_path: Path, files: Mapping[str, str]) -> dict[str, FileFacts]:
    for rel, source in files.items():
        (tmp_path / rel).write_text(textwrap.dedent(source))
    return _facts(tmp_path)


def _resolve(facts: Mapping[str, FileFacts], order: Sequence[str]) -> Resolved:
    """Each file's edges, resolving the files in this order with one fresh resolver."""
    resolver = LANGUAGE.resolver(facts)
    return {
        path: {(e.src, e.dst, str(e.kind), e.line, str(e.resolution)) for e in resolver.resolve_file(path)}
        for path in order
    }


def _orders(facts: Mapping[str, FileFacts]) -> dict[str, Resolved]:
    """The serial resolution in file order, in reverse order, and as a forked split does it (the
    first file, then either run, each with its own resolver)."""
    paths = list(LANGUAGE.resolver(facts).paths())
    cut = resolve_parallel.split(facts, paths)
    halves = _resolve(facts, paths[:cut])
    halves.update(_resolve(facts, paths[:1] + paths[cut:]))
    return {"in order": _resolve(facts, paths), "reversed": _resolve(facts, paths[::-1]), "halves": halves}


def _differing(orders: dict[str, Resolved]) -> dict[str, list[str]]:
    """Per order, the files whose edges differ from the in-order resolution."""
    base = orders["in order"]
    return {name: sorted(p for p in base if got[p] != base[p]) for name, got in orders.items()}


def test_a_cycle_across_files_resolves_alike_in_any_order(tmp_path: Path) -> None:
    facts = _write(tmp_path, CYCLE)
    assert resolve_parallel.split(facts, ["a.py", "b.py", "c.py"]) == 2  # c.py is the second run
    orders = _orders(facts)
    assert _differing(orders) == {"in order": [], "reversed": [], "halves": []}
    special = next(n.id for f in facts.values() for n in f.nodes if n.qualname == "a.Leaf.special")
    walk = next(n.id for f in facts.values() for n in f.nodes if n.qualname == "c.walk")
    for got in orders.values():  # the fixed point: node is a Node or the Leaf it holds
        assert any(src == walk and dst == special for src, dst, *_ in got["c.py"])


@pytest.mark.parametrize("package", ["asyncio", "email"])
def test_stdlib_packages_resolve_alike_in_any_order(package: str) -> None:
    root = STDLIB / package
    if not root.is_dir():
        pytest.skip(f"needs the standard library's {package} sources")
    orders = _orders(_facts(root))
    assert sum(map(len, orders["in order"].values())) > 500  # a real corpus, resolved
    assert _differing(orders) == {"in order": [], "reversed": [], "halves": []}
