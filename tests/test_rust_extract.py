"""Rust extraction: one node per item with its qualified name, signature, doc, visibility, CONTAINS."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.lang.base import ExtractContext
from pt_tui.core.lang.rust import LANGUAGE
from pt_tui.core.model import EdgeKind, Node, NodeKind, Visibility, node_id

CARGO = '[package]\nname = "demo"\nversion = "0.1.0"\n'


def index(root: Path, files: dict[str, str]) -> ISG:
    for rel, text in {"Cargo.toml": CARGO, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    engine = Engine(root)
    engine.index()
    return engine.isg


def one(isg: ISG, qualname: str) -> Node:
    found = isg.by_qualname(qualname)
    assert len(found) == 1, f"{qualname}: {[n.qualname for n in isg.nodes.values()]}"
    return found[0]


ITEMS = """\
//! Demo crate docs.
//! More.
use std::fmt;

/// A thing.
/// Second line.
#[derive(Debug)]
pub struct Thing<T: Clone> { pub a: Vec<T>, b: u32 }
pub(crate) struct Tup(u32);
pub union Bits { i: u32, f: f32 }
pub enum Shape { Dot, Line(u32) }
#[doc = "Behaviour."]
pub trait Visitor: Sized {
    fn visit(&mut self) -> u8;
    fn skip(&self) {}
}
impl<T: Clone> Thing<T> {
    pub fn new() -> Self { todo!() }
    pub(super) fn helper(&self) {}
}
impl<T: Clone> fmt::Display for Thing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { Ok(()) }
}
impl<T: Clone> fmt::Debug for Wrapper<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { Ok(()) }
}
impl<T> Visitor for T { fn visit(&mut self) -> u8 { 0 } }
pub type Alias = Thing<u8>;
pub const LIMIT: usize = 10;
static mut COUNTER: u32 = 0;
macro_rules! shout { () => {} }
pub fn parse(s: &str) -> Result<Thing<u8>, String> {
    fn inner() {}
    todo!()
}
pub(in crate::a) fn scoped() {}
/// Inline.
mod inner { pub fn f() {} }
"""


def test_every_item_kind_with_rustc_style_qualnames(tmp_path: Path) -> None:
    isg = index(tmp_path, {"src/lib.rs": ITEMS})
    expected = {
        "demo": NodeKind.MODULE,
        "demo::Thing": NodeKind.STRUCT,
        "demo::Tup": NodeKind.STRUCT,
        "demo::Bits": NodeKind.UNION,
        "demo::Shape": NodeKind.ENUM,
        "demo::Visitor": NodeKind.TRAIT,
        "demo::Visitor::visit": NodeKind.METHOD,  # signature-only trait fn
        "demo::Visitor::skip": NodeKind.METHOD,
        "demo::<impl Thing>": NodeKind.IMPL,
        "demo::Thing::new": NodeKind.METHOD,
        "demo::<impl fmt::Display for Thing>": NodeKind.IMPL,
        "demo::<Thing as fmt::Display>::fmt": NodeKind.METHOD,
        "demo::<impl fmt::Debug for Wrapper>": NodeKind.IMPL,
        "demo::<Wrapper as fmt::Debug>::fmt": NodeKind.METHOD,
        "demo::<impl Visitor for T>": NodeKind.IMPL,
        "demo::<T as Visitor>::visit": NodeKind.METHOD,
        "demo::Alias": NodeKind.TYPE_ALIAS,
        "demo::LIMIT": NodeKind.CONST,
        "demo::COUNTER": NodeKind.STATIC,
        "demo::shout": NodeKind.MACRO,
        "demo::parse": NodeKind.FUNCTION,
        "demo::parse::inner": NodeKind.FUNCTION,
        "demo::inner": NodeKind.MODULE,
        "demo::inner::f": NodeKind.FUNCTION,
    }
    for qualname, kind in expected.items():
        node = one(isg, qualname)
        assert node.kind is kind, qualname
        assert node.id == node_id("rust", kind, qualname)
        assert node.language == "rust" and node.file == "src/lib.rs"


def test_signatures_stop_at_the_body(tmp_path: Path) -> None:
    isg = index(tmp_path, {"src/lib.rs": ITEMS})
    assert one(isg, "demo::parse").signature == "pub fn parse(s: &str) -> Result<Thing<u8>, String>"
    assert one(isg, "demo::Thing").signature == "pub struct Thing<T: Clone>"
    assert one(isg, "demo::Visitor").signature == "pub trait Visitor: Sized"
    assert one(isg, "demo::Visitor::visit").signature == "fn visit(&mut self) -> u8"
    assert (
        one(isg, "demo::<impl fmt::Display for Thing>").signature
        == "impl<T: Clone> fmt::Display for Thing<T>"
    )
    assert one(isg, "demo::LIMIT").signature == "pub const LIMIT: usize"
    assert one(isg, "demo::Tup").signature == "pub(crate) struct Tup(u32)"
    assert one(isg, "demo::shout").signature == "macro_rules! shout"


def test_long_signatures_are_collapsed_and_capped(tmp_path: Path) -> None:
    params = ",\n    ".join(f"a{i}: u32" for i in range(60))
    isg = index(tmp_path, {"src/lib.rs": f"pub fn wide(\n    {params}\n) {{}}\n"})
    sig = one(isg, "demo::wide").signature
    assert "\n" not in sig and "  " not in sig
    assert sig.startswith("pub fn wide( a0: u32, a1: u32") and len(sig) <= 240


def test_docs_from_outer_inner_and_attribute_comments(tmp_path: Path) -> None:
    isg = index(tmp_path, {"src/lib.rs": ITEMS})
    assert one(isg, "demo").doc == "Demo crate docs."
    assert one(isg, "demo::Thing").doc == "A thing."  # first line, across the #[derive]
    assert one(isg, "demo::Visitor").doc == "Behaviour."
    assert one(isg, "demo::inner").doc == "Inline."
    assert one(isg, "demo::Tup").doc == ""


def test_visibility(tmp_path: Path) -> None:
    isg = index(tmp_path, {"src/lib.rs": ITEMS})
    vis = {q: one(isg, q).visibility for q in ("demo::Thing", "demo::Tup", "demo::COUNTER", "demo::scoped")}
    assert vis == {
        "demo::Thing": Visibility.PUBLIC,
        "demo::Tup": Visibility.CRATE,
        "demo::COUNTER": Visibility.PRIVATE,
        "demo::scoped": Visibility.RESTRICTED,
    }
    assert one(isg, "demo::Thing::helper").visibility is Visibility.RESTRICTED  # pub(super)
    assert one(isg, "demo::inner").visibility is Visibility.PRIVATE
    # trait items and trait impl items take the trait's visibility
    assert one(isg, "demo::Visitor::skip").visibility is Visibility.PUBLIC
    assert one(isg, "demo::<T as Visitor>::visit").visibility is Visibility.PUBLIC


def test_private_trait_makes_its_items_and_impl_items_private(tmp_path: Path) -> None:
    isg = index(
        tmp_path,
        {"src/lib.rs": "trait Hidden { fn h(&self); }\nstruct S;\nimpl Hidden for S { fn h(&self) {} }\n"},
    )
    assert one(isg, "demo::Hidden::h").visibility is Visibility.PRIVATE
    assert one(isg, "demo::<S as Hidden>::h").visibility is Visibility.PRIVATE


def test_contains_edges_and_parents(tmp_path: Path) -> None:
    isg = index(tmp_path, {"src/lib.rs": ITEMS})

    def children(qualname: str) -> set[str]:
        return {n.qualname for n in isg.children(one(isg, qualname).id)}

    root = children("demo")
    assert {"demo::Thing", "demo::<impl Thing>", "demo::inner", "demo::parse", "demo::shout"} <= root
    assert "demo::Thing::new" not in root and "demo::inner::f" not in root
    assert children("demo::<impl Thing>") == {"demo::Thing::new", "demo::Thing::helper"}
    assert children("demo::Visitor") == {"demo::Visitor::visit", "demo::Visitor::skip"}
    assert children("demo::parse") == {"demo::parse::inner"}
    assert children("demo::inner") == {"demo::inner::f"}
    method = one(isg, "demo::Thing::new")
    assert method.parent == one(isg, "demo::<impl Thing>").id
    assert one(isg, "demo").parent == ""


def test_lines_are_one_based_and_span_the_item(tmp_path: Path) -> None:
    isg = index(tmp_path, {"src/lib.rs": ITEMS})
    trait = one(isg, "demo::Visitor")
    assert (trait.line, trait.end_line) == (13, 16)
    module = one(isg, "demo")
    assert (module.line, module.end_line) == (1, ITEMS.count("\n"))


def test_duplicates_get_ordinal_suffixes(tmp_path: Path) -> None:
    src = """\
    #[cfg(unix)]
    fn plat() {}
    #[cfg(windows)]
    fn plat() {}
    struct S;
    impl S { fn a(&self) {} }
    impl S { fn a(&self) {} }
    """
    isg = index(tmp_path, {"src/lib.rs": src})
    assert [n.line for n in (one(isg, "demo::plat"), one(isg, "demo::plat#2"))] == [2, 4]
    assert one(isg, "demo::<impl S>#2").kind is NodeKind.IMPL
    assert one(isg, "demo::S::a#2").parent == one(isg, "demo::<impl S>#2").id


def test_ids_survive_an_edit_above(tmp_path: Path) -> None:
    before = index(tmp_path / "a", {"src/lib.rs": ITEMS})
    after = index(tmp_path / "a2", {"src/lib.rs": "// a new comment\n\n\n" + ITEMS})
    for qualname in ("demo::Thing", "demo::<Thing as fmt::Display>::fmt", "demo::parse::inner"):
        old, new = one(before, qualname), one(after, qualname)
        assert old.id == new.id and new.line == old.line + 3


def test_items_inside_item_macros_are_extracted(tmp_path: Path) -> None:
    src = """\
    macro_rules! cfg_net { ($($item:item)*) => { $($item)* } }
    cfg_net! {
        /// Networking.
        pub fn connect() {}
        cfg_net! { pub struct Socket; }
    }
    pub struct Conn;
    impl Conn {
        cfg_net! { pub fn open(&self) {} }
    }
    """
    isg = index(tmp_path, {"src/lib.rs": src})
    connect = one(isg, "demo::connect")
    assert (connect.kind, connect.line, connect.doc) == (NodeKind.FUNCTION, 4, "Networking.")
    assert one(isg, "demo::Socket").kind is NodeKind.STRUCT
    assert one(isg, "demo::Conn::open").kind is NodeKind.METHOD


def test_syntax_errors_still_yield_what_parsed(tmp_path: Path) -> None:
    src = "pub fn good() {}\nfn broken( {\nstruct After { x: u32 }\npub fn also_good() -> u8 { 1 }\n"
    facts = LANGUAGE.extract("src/lib.rs", src.encode(), ExtractContext(tmp_path))
    names = {n.qualname for n in facts.nodes}
    assert facts.syntax_errors > 0
    assert {"good", "also_good"} <= {q.rsplit("::", 1)[-1] for q in names}
    clean = LANGUAGE.extract("src/lib.rs", b"fn ok() {}\n", ExtractContext(tmp_path))
    assert clean.syntax_errors == 0


def test_garbage_never_raises(tmp_path: Path) -> None:
    ctx = ExtractContext(tmp_path)
    for junk in (b"", b"}}}{{{", b"impl for {", b"fn (", b"mod ;", b"use ::{*", "é€🙂".encode(), b"\xff\xfe"):
        facts = LANGUAGE.extract("src/x.rs", junk, ctx)
        assert facts.nodes[0].kind is NodeKind.MODULE


def test_facts_pickle_for_worker_processes(tmp_path: Path) -> None:
    facts = LANGUAGE.extract("src/lib.rs", ITEMS.encode(), ExtractContext(tmp_path))
    copy = pickle.loads(pickle.dumps(facts))
    assert copy.nodes == facts.nodes and copy.payload == facts.payload
    assert all(e.kind is EdgeKind.CONTAINS for e in facts.edges) and facts.edges
