"""Rust memos: types read once per text keep their own lines and scope; references resolved once per
file are replayed at each of their lines with the same outcome."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

from pt_tui.core.lang.base import ExtractContext, FileFacts
from pt_tui.core.lang.rust import LANGUAGE, RustResolver
from pt_tui.core.lang.rust import facts as F
from pt_tui.core.model import EdgeKind, Resolution

CARGO = '[package]\nname = "demo"\nversion = "0.1.0"\n'


def extract(root: Path, rel: str, source: str) -> FileFacts:
    (root / "Cargo.toml").write_text(CARGO)
    return LANGUAGE.extract(rel, textwrap.dedent(source).encode(), ExtractContext(root))


def test_the_same_type_text_keeps_its_own_lines(tmp_path: Path) -> None:
    facts = extract(
        tmp_path,
        "src/lib.rs",
        """\
        pub struct A;
        pub struct B;
        fn one(x: Vec<
            A>) {}

        fn two(x: Vec<
            A>, y: B) {}
        """,
    )
    types = [(r.line, r.path) for r in F.decode(facts.payload).refs if r.kind is F.RefKind.TYPE]
    assert types == [(3, ("Vec",)), (4, ("A",)), (6, ("Vec",)), (7, ("A",)), (7, ("B",))]


def test_the_same_type_text_is_a_type_parameter_only_where_declared(tmp_path: Path) -> None:
    facts = extract(
        tmp_path,
        "src/lib.rs",
        """\
        pub trait Tr { fn go(&self); }
        pub struct T;
        fn generic<T: Tr>(x: &T) { x.go(); }
        fn concrete(x: &T) { x.go(); }
        fn again<T: Tr>(x: &T) { x.go(); }
        """,
    )
    recv = [r.recv for r in F.decode(facts.payload).refs if r.kind is F.RefKind.METHOD]
    bounds = F.TBounds((F.TypeRef(("Tr",)),))
    assert recv == [bounds, F.TPath(F.TypeRef(("T",))), bounds]


def test_repeated_references_resolve_alike_at_each_line(tmp_path: Path) -> None:
    facts = extract(
        tmp_path,
        "src/lib.rs",
        """\
        pub fn helper() {}
        pub fn twin() {}
        mod m { pub fn twin() {} }
        use m::*;
        macro_rules! mac { () => {} }
        pub fn run() {
            helper();
            helper();
            mac!();
            unknown_thing();
            helper();
            mac!();
            unknown_thing();
        }
        """,
    )
    resolver = RustResolver({facts.path: facts})
    edges = resolver.resolve_file(facts.path)
    names = {n.id: n.name for n in facts.nodes}
    calls = sorted((e.line, names[e.dst], e.resolution) for e in edges if e.kind is EdgeKind.CALLS)
    assert calls == [
        (7, "helper", Resolution.EXACT),
        (8, "helper", Resolution.EXACT),
        (9, "mac", Resolution.EXACT),
        (11, "helper", Resolution.EXACT),
        (12, "mac", Resolution.EXACT),
    ]
    assert resolver.stats["calls:exact"] == 5
    assert resolver.stats["unresolved:calls:unknown"] == 2
    again = RustResolver({facts.path: facts})
    assert again.resolve_file(facts.path) == edges  # the same edges in the same order
    assert Counter(again.stats) == Counter(resolver.stats)
