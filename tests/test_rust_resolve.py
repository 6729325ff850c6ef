"""Rust name resolution: each rule of scope, path, import and receiver typing, on small crates."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.lang.rust import LANGUAGE
from pt_tui.core.model import Edge, EdgeKind, Resolution

CARGO = '[package]\nname = "demo"\nversion = "0.1.0"\n'
C, U, IMPL, M = EdgeKind.CALLS, EdgeKind.USES, EdgeKind.IMPLEMENTS, EdgeKind.IMPORTS
EXACT, INFERRED, AMBIGUOUS = Resolution.EXACT, Resolution.INFERRED, Resolution.AMBIGUOUS


def build(root: Path, files: dict[str, str], cargo: str | None = CARGO) -> Engine:
    for rel, text in ({"Cargo.toml": cargo} if cargo else {}).items() | files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    engine = Engine(root)
    engine.index()
    return engine


def graph(root: Path, files: dict[str, str], cargo: str | None = CARGO) -> ISG:
    return build(root, files, cargo).isg


def edges(isg: ISG, src: str, kind: EdgeKind) -> dict[str, Resolution]:
    """Targets (qualified names) of ``src``'s edges of one kind, with how each was resolved."""
    (node,) = isg.by_qualname(src)
    return {isg.nodes[e.dst].qualname: e.resolution for e in isg.out_edges(node.id, kind)}


def lines(isg: ISG, src: str, dst: str, kind: EdgeKind) -> set[int]:
    """The lines of the references from ``src`` to ``dst``."""
    (s,) = isg.by_qualname(src)
    (d,) = isg.by_qualname(dst)
    return {e.line for e in isg.out_edges(s.id, kind) if e.dst == d.id}


# -- paths, scopes and imports --------------------------------------------------------------------

LIB_A = {
    "src/lib.rs": """\
        pub mod a;
        pub mod b;
    """,
    "src/a.rs": """\
        pub mod deep;
        pub fn helper() {}
        fn hidden() {}
        pub struct Widget;
    """,
    "src/a/deep.rs": """\
        pub fn dive() {}
        pub fn other() {}
    """,
}


def test_use_with_alias_nested_lists_and_self_super_crate(tmp_path: Path) -> None:
    files = {
        **LIB_A,
        "src/b.rs": """\
            use crate::a::helper;
            use crate::a::{deep::{dive as plunge, self}, Widget};
            use super::a::deep::other as o;
            fn run() {
                helper();
                plunge();
                deep::other();
                o();
                self::local();
                crate::a::helper();
                super::a::deep::dive();
            }
            fn local() {}
        """,
    }
    isg = graph(tmp_path, files)
    assert edges(isg, "demo::b::run", C) == {
        "demo::a::helper": EXACT,
        "demo::a::deep::dive": EXACT,
        "demo::a::deep::other": EXACT,
        "demo::b::local": EXACT,
    }
    assert lines(isg, "demo::b::run", "demo::a::deep::dive", C) == {6, 11}


def test_glob_imports_public_items_and_child_modules_see_private_ones(tmp_path: Path) -> None:
    files = {
        **LIB_A,
        "src/b.rs": """\
            use crate::a::*;
            fn run() { helper(); hidden(); let w = Widget; }
            fn secret() {}
            mod tests {
                use super::*;
                fn t() { secret(); run(); }
            }
        """,
    }
    isg = graph(tmp_path, files)
    calls = edges(isg, "demo::b::run", C)
    assert calls["demo::a::helper"] is EXACT
    # a private item of another module is not glob-imported: only the global fallback may find it
    assert calls.get("demo::a::hidden") is not EXACT
    assert edges(isg, "demo::b::tests::t", C) == {"demo::b::secret": EXACT, "demo::b::run": EXACT}


def test_pub_use_reexports_resolve_transitively(tmp_path: Path) -> None:
    files = {
        "src/lib.rs": """\
            mod engine;
            pub use engine::Engine;
            pub mod prelude { pub use crate::Engine as Motor; }
        """,
        "src/engine.rs": """\
            mod imp;
            pub use self::imp::Engine;
        """,
        "src/engine/imp.rs": """\
            pub struct Engine;
            impl Engine { pub fn start(&self) {} pub fn new() -> Self { Engine } }
        """,
        "src/user.rs": """\
            use crate::prelude::Motor;
            pub fn go(m: &Motor) { m.start(); crate::Engine::new(); }
        """,
    }
    isg = graph(tmp_path, {**files, "src/lib.rs": files["src/lib.rs"] + "mod user;\n"})
    assert edges(isg, "demo::user::go", C) == {
        "demo::engine::imp::Engine::start": EXACT,
        "demo::engine::imp::Engine::new": EXACT,
    }
    assert edges(isg, "demo::user::go", U) == {"demo::engine::imp::Engine": EXACT}


def test_import_cycles_and_reexport_loops_terminate(tmp_path: Path) -> None:
    files = {
        "src/lib.rs": """\
            pub mod x { pub use crate::y::*; pub use crate::y::Loop; pub fn fx() {} }
            pub mod y { pub use crate::x::*; pub use crate::x::Loop; pub fn fy() {} }
            fn run() { x::fy(); y::fx(); x::missing(); x::Loop(); }
        """,
    }
    engine = build(tmp_path, files)
    assert edges(engine.isg, "demo::run", C) == {"demo::y::fy": EXACT, "demo::x::fx": EXACT}


def test_extern_crates_across_a_workspace(tmp_path: Path) -> None:
    files = {
        "Cargo.toml": '[workspace]\nmembers = ["alpha", "beta"]\n',
        "alpha/Cargo.toml": '[package]\nname = "alpha"\n',
        "alpha/src/lib.rs": "pub mod shapes;\npub fn make() -> shapes::Circle { shapes::Circle }\n",
        "alpha/src/shapes.rs": "pub struct Circle;\nimpl Circle { pub fn area(&self) -> f64 { 1.0 } }\n",
        "beta/Cargo.toml": '[package]\nname = "beta-app"\n',
        "beta/src/lib.rs": """\
            extern crate alpha as al;
            use alpha::shapes::Circle;
            pub fn run(c: Circle) -> f64 { al::make(); ::alpha::make().area() }
        """,
    }
    isg = graph(tmp_path, files, cargo=None)
    assert edges(isg, "beta_app::run", C) == {"alpha::make": EXACT, "alpha::shapes::Circle::area": INFERRED}
    assert edges(isg, "beta_app::run", U) == {"alpha::shapes::Circle": EXACT}
    assert edges(isg, "beta_app", M) == {"alpha": EXACT, "alpha::shapes": EXACT}


def test_imports_edges_from_use_mod_and_extern_crate(tmp_path: Path) -> None:
    files = {
        **LIB_A,
        "src/b.rs": """\
            use crate::a::Widget;
            use super::a::deep::*;
            use std::fmt;
            fn f() { use crate::a; }
        """,
    }
    isg = graph(tmp_path, files)
    assert edges(isg, "demo", M) == {"demo::a": EXACT, "demo::b": EXACT}  # mod a; mod b;
    assert edges(isg, "demo::a", M) == {"demo::a::deep": EXACT}
    imports = edges(isg, "demo::b", M)
    assert imports == {"demo::a": EXACT, "demo::a::deep": EXACT}  # std is outside the graph
    assert lines(isg, "demo::b", "demo::a::deep", M) == {2}


def test_fn_local_items_and_uses_shadow_module_names(tmp_path: Path) -> None:
    files = {
        **LIB_A,
        "src/b.rs": """\
            fn helper() {}
            fn outer() {
                early();
                fn early() {}
                {
                    use crate::a::helper;
                    helper();
                }
            }
        """,
    }
    isg = graph(tmp_path, files)
    assert edges(isg, "demo::b::outer", C) == {"demo::b::outer::early": EXACT, "demo::a::helper": EXACT}


# -- associated items and methods ---------------------------------------------------------------

TYPES = """\
pub trait Shape {
    fn area(&self) -> f64;
    fn describe(&self) -> String { self.name() }
    fn name(&self) -> String;
}
pub struct Square { pub side: f64, pub inner: Inner }
pub struct Inner;
impl Inner { pub fn poke(&self) {} }
impl Square {
    pub fn new(side: f64) -> Self { Self::validate(side); Square { side, inner: Inner } }
    fn validate(_s: f64) {}
    pub fn area(&self) -> f64 { self.side }
    pub fn grow(&mut self) { self.inner.poke(); self.area(); }
}
impl Shape for Square {
    fn area(&self) -> f64 { Square::area(self) }
    fn name(&self) -> String { String::new() }
}
pub struct Tuple(pub u8);
impl Tuple { pub fn get(&self) -> u8 { self.0 } }
pub fn make_square() -> Square { Square::new(1.0) }
pub fn try_square() -> Result<Square, String> { Ok(make_square()) }
"""


def test_self_and_type_paths_prefer_inherent_then_trait_impl_then_default(tmp_path: Path) -> None:
    src = (
        TYPES
        + """\
        pub fn paths(s: &Square) {
            Square::area(s);
            Square::describe(s);
            Square::name(s);
            <Square as Shape>::area(s);
        }
    """
    )
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::Square::new", C) == {"demo::Square::validate": EXACT}
    assert edges(isg, "demo::paths", C) == {
        "demo::Square::area": EXACT,
        "demo::Shape::describe": EXACT,
        "demo::<Square as Shape>::name": EXACT,
        "demo::<Square as Shape>::area": EXACT,  # <Square as Shape>::area: the trait's, not the inherent
    }


def test_self_method_calls_in_impls_and_trait_defaults(tmp_path: Path) -> None:
    isg = graph(tmp_path, {"src/lib.rs": TYPES})
    assert edges(isg, "demo::Square::grow", C) == {"demo::Inner::poke": EXACT, "demo::Square::area": EXACT}
    # ``self`` in a default method is any implementor: the call runs the impls' methods
    assert edges(isg, "demo::Shape::describe", C) == {"demo::<Square as Shape>::name": EXACT}
    assert edges(isg, "demo::<Square as Shape>::area", C) == {"demo::Square::area": EXACT}


def test_receivers_typed_by_let_constructor_literal_and_return_type(tmp_path: Path) -> None:
    src = (
        TYPES
        + """\
        pub fn receivers() -> Result<(), String> {
            let a: Square = make_square();
            a.grow();
            let b = Square::new(2.0);
            b.describe();
            let c = Square { side: 1.0, inner: Inner };
            c.inner.poke();
            let d = make_square();
            d.grow();
            let e = try_square()?;
            e.grow();
            let f = Tuple(3);
            f.get();
            let g = try_square().unwrap();
            g.area();
            Ok(())
        }
    """
    )
    isg = graph(tmp_path, {"src/lib.rs": src})
    calls = {(e.line, isg.nodes[e.dst].qualname): e.resolution for e in _out(isg, "demo::receivers", C)}
    base = TYPES.count("\n")
    assert calls[(base + 3, "demo::Square::grow")] is EXACT  # let a: Square
    assert calls[(base + 5, "demo::Shape::describe")] is INFERRED  # Square::new() -> Self, trait default
    assert calls[(base + 7, "demo::Inner::poke")] is EXACT  # struct literal, then its field
    assert calls[(base + 9, "demo::Square::grow")] is INFERRED  # make_square() -> Square
    assert calls[(base + 11, "demo::Square::grow")] is INFERRED  # try_square()? -> Square
    assert calls[(base + 13, "demo::Tuple::get")] is INFERRED  # tuple struct constructor
    assert calls[(base + 15, "demo::Square::area")] is INFERRED  # .unwrap() of Result<Square, _>
    assert calls[(base + 12, "demo::Tuple")] is EXACT  # the constructor call itself


def test_receivers_typed_by_parameters_boxes_and_trait_objects(tmp_path: Path) -> None:
    src = (
        TYPES
        + """\
        pub fn params<T: Shape, U>(a: &Square, b: &mut Square, c: Box<Square>, d: &dyn Shape,
                                   e: impl Shape, t: T, u: U) where U: Shape {
            a.grow(); b.grow(); c.grow();
            d.describe(); e.area(); t.name(); u.describe();
        }
        pub fn generic_new<T: Shape>() { T::area(todo!()); }
    """
    )
    isg = graph(tmp_path, {"src/lib.rs": src})
    # a value known by a trait runs its impls' methods (the one impl here), or the trait's default
    # body where the impl does not override it (describe)
    assert edges(isg, "demo::params", C) == {
        "demo::Square::grow": EXACT,
        "demo::Shape::describe": EXACT,
        "demo::<Square as Shape>::area": EXACT,
        "demo::<Square as Shape>::name": EXACT,
    }
    assert edges(isg, "demo::generic_new", C) == {"demo::<Square as Shape>::area": EXACT}


def test_generic_arguments_are_stripped_from_paths(tmp_path: Path) -> None:
    src = """\
        pub struct Boxed<T>(T);
        impl<T> Boxed<T> { pub fn new(t: T) -> Self { Boxed(t) } pub fn open(&self) {} }
        pub fn conv<T: Default>() -> Boxed<T> { Boxed::new(T::default()) }
        pub fn run() {
            conv::<u8>();
            Boxed::<u8>::new(1).open();
            let b: Boxed<Vec<u8>> = conv::<Vec<u8>>();
            b.open();
        }
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::run", C) == {
        "demo::conv": EXACT,
        "demo::Boxed::new": EXACT,
        "demo::Boxed::open": EXACT,
    }
    assert lines(isg, "demo::run", "demo::Boxed::open", C) == {6, 8}
    assert edges(isg, "demo::run", U) == {"demo::Boxed": EXACT}


def test_unique_global_fallback_and_common_names(tmp_path: Path) -> None:
    files = {
        "src/lib.rs": """\
            mod util;
            mod more;
            pub fn run() {
                let x = mystery();
                x.frobnicate();
                x.len();
                x.twice();
                orphan();
            }
        """,
        "src/util.rs": """\
            pub struct W;
            impl W { pub fn frobnicate(&self) {} pub fn len(&self) -> usize { 0 } pub fn twice(&self) {} }
            pub fn orphan() {}
        """,
        "src/more.rs": "pub struct V;\nimpl V { pub fn twice(&self) {} }\n",
    }
    engine = build(tmp_path, files)
    assert edges(engine.isg, "demo::run", C) == {
        "demo::util::W::frobnicate": INFERRED,
        "demo::util::orphan": INFERRED,
    }
    resolver = LANGUAGE.resolver(engine.facts)
    list(resolver.resolve_all())
    assert resolver.stats["unresolved:method:common-name"] == 1  # len
    assert resolver.stats["unresolved:method:not-unique"] == 1  # twice
    assert resolver.stats["calls:inferred"] == 2


def test_ambiguous_candidates_are_all_linked(tmp_path: Path) -> None:
    src = """\
        #[cfg(unix)]
        mod imp { pub fn plat() {} }
        #[cfg(windows)]
        mod imp { pub fn plat() {} }
        #[cfg(unix)]
        fn local() {}
        #[cfg(not(unix))]
        fn local() {}
        fn run() { imp::plat(); local(); }
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::run", C) == {
        "demo::imp::plat": AMBIGUOUS,
        "demo::imp::plat#2": AMBIGUOUS,
        "demo::local": AMBIGUOUS,
        "demo::local#2": AMBIGUOUS,
    }


def test_macros_resolve_to_macro_rules_and_std_macros_stay_unresolved(tmp_path: Path) -> None:
    files = {
        "src/lib.rs": """\
            #[macro_use]
            mod macros;
            macro_rules! local { () => {} }
            pub fn run() { local!(); shared!(); println!("hi"); vec![1]; }
        """,
        "src/macros.rs": "#[macro_export]\nmacro_rules! shared { () => {} }\n",
    }
    engine = build(tmp_path, files)
    assert edges(engine.isg, "demo::run", C) == {"demo::local": EXACT, "demo::macros::shared": EXACT}
    resolver = LANGUAGE.resolver(engine.facts)
    list(resolver.resolve_all())
    assert resolver.stats["unresolved:macro:std"] == 2


def test_macro_rules_are_textually_scoped(tmp_path: Path) -> None:
    """A test module's private ``assert_eq!`` wrapper is not the one another module calls."""
    files = {
        "src/lib.rs": "mod parse;\nmod translate;\n",
        "src/parse.rs": """\
            pub fn p() { check!(); }
            mod tests {
                macro_rules! assert_eq { ($a:expr, $b:expr) => {} }
                macro_rules! check { () => {} }
                mod deeper { fn t() { assert_eq!(1, 1); } }
            }
        """,
        "src/translate.rs": "fn t() { assert_eq!(1, 1); }\n",
    }
    engine = build(tmp_path, files)
    assert edges(engine.isg, "demo::parse::tests::deeper::t", C) == {"demo::parse::tests::assert_eq": EXACT}
    assert edges(engine.isg, "demo::translate::t", C) == {}
    assert edges(engine.isg, "demo::parse::p", C) == {}
    resolver = LANGUAGE.resolver(engine.facts)
    list(resolver.resolve_all())
    assert resolver.stats["unresolved:macro:std"] == 1
    assert resolver.stats["unresolved:macro:not-visible"] == 1


def test_calls_inside_macro_arguments(tmp_path: Path) -> None:
    src = (
        TYPES
        + """\
        pub fn checks(s: Square) {
            assert_eq!(make_square().side, 1.0);
            println!("{} {}", s.describe(), format!("{:?}", Square::new(2.0).side));
            let v = vec![Inner, Inner];
            debug_assert!(matches!(try_square(), Ok(_)), "msg {}", 1);
        }
    """
    )
    isg = graph(tmp_path, {"src/lib.rs": src})
    calls = {(e.line - TYPES.count("\n"), isg.nodes[e.dst].qualname) for e in _out(isg, "demo::checks", C)}
    assert calls == {
        (2, "demo::make_square"),
        (3, "demo::Shape::describe"),
        (3, "demo::Square::new"),
        (5, "demo::try_square"),
    }


def test_enum_variant_constructors_use_the_enum(tmp_path: Path) -> None:
    src = """\
        pub enum Token { Word(String), End }
        use Token::*;
        pub fn lex() { Token::Word(String::new()); Word(String::new()); let t = Token::End; }
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::lex", U) == {"demo::Token": EXACT}
    assert edges(isg, "demo::lex", C) == {}


# -- USES and IMPLEMENTS ------------------------------------------------------------------------------


def test_uses_from_signatures_fields_lets_aliases_and_literals(tmp_path: Path) -> None:
    src = """\
        pub mod a { pub mod b { pub struct Deep; } }
        pub struct Foo;
        pub struct Bar;
        pub trait Tr {}
        pub enum E { V(Foo), W { b: Bar } }
        pub struct Holder<T: Tr> { items: Vec<Foo>, maybe: Option<Box<dyn Tr>>, t: T }
        pub type Pair = (Foo, a::b::Deep);
        pub fn sig(x: &mut Foo, y: Option<Box<dyn Tr>>) -> a::b::Deep where Foo: Tr { todo!() }
        pub fn body() { let v: Vec<Bar> = Vec::new(); let f = Foo {}; }
        pub const C: Foo = Foo;
        pub static S: Option<Bar> = None;
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::E", U) == {"demo::Foo": EXACT, "demo::Bar": EXACT}
    assert edges(isg, "demo::Holder", U) == {"demo::Foo": EXACT, "demo::Tr": EXACT}
    assert edges(isg, "demo::Pair", U) == {"demo::Foo": EXACT, "demo::a::b::Deep": EXACT}
    assert edges(isg, "demo::sig", U) == {"demo::Foo": EXACT, "demo::Tr": EXACT, "demo::a::b::Deep": EXACT}
    assert edges(isg, "demo::body", U) == {"demo::Bar": EXACT, "demo::Foo": EXACT}
    assert edges(isg, "demo::C", U) == {"demo::Foo": EXACT}
    assert edges(isg, "demo::S", U) == {"demo::Bar": EXACT}


def test_implements_for_generic_blanket_impls_and_supertraits(tmp_path: Path) -> None:
    src = """\
        pub trait Base {}
        pub trait Named: Base + Clone { fn name(&self) -> String; }
        pub trait Loud {}
        pub struct Wrapper<T>(T);
        impl<T: Clone> Base for Wrapper<T> {}
        impl<T> Loud for T where T: Named {}
        impl<'a> Base for &'a Solo {}
        pub struct Solo;
        impl Solo { pub fn solo(&self) {} }
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::Wrapper", IMPL) == {"demo::Base": EXACT}
    assert edges(isg, "demo::<impl Loud for T>", IMPL) == {"demo::Loud": EXACT}
    assert edges(isg, "demo::Named", IMPL) == {"demo::Base": EXACT}  # Clone is outside the graph
    assert edges(isg, "demo::Solo", IMPL) == {"demo::Base": EXACT}
    # a type reaches its impls: the impl USES its self type
    assert edges(isg, "demo::<impl Solo>", U) == {"demo::Solo": EXACT}
    assert edges(isg, "demo::<impl Base for Wrapper>", U) == {"demo::Wrapper": EXACT}


def test_blanket_impl_methods_are_found_on_types_meeting_the_bound(tmp_path: Path) -> None:
    src = """\
        pub trait Named { fn name(&self) -> String; }
        pub trait Shout { fn shout(&self) -> String; }
        impl<T: Named> Shout for T { fn shout(&self) -> String { self.name() } }
        pub struct Dog;
        impl Named for Dog { fn name(&self) -> String { String::new() } }
        pub fn bark(d: Dog) { d.shout(); }
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::bark", C) == {"demo::<T as Shout>::shout": INFERRED}
    assert edges(isg, "demo::<T as Shout>::shout", C) == {"demo::<Dog as Named>::name": EXACT}


def test_methods_of_graph_impls_for_outside_types(tmp_path: Path) -> None:
    src = """\
        pub trait Ext { fn doubled(&self) -> Self; fn halved(&self) -> Self { todo!() } }
        impl Ext for String { fn doubled(&self) -> Self { todo!() } }
        pub fn run(s: String) { s.doubled(); s.halved(); s.trim(); }
    """
    engine = build(tmp_path, {"src/lib.rs": src})
    assert edges(engine.isg, "demo::run", C) == {
        "demo::<String as Ext>::doubled": EXACT,
        "demo::Ext::halved": EXACT,
    }
    resolver = LANGUAGE.resolver(engine.facts)
    list(resolver.resolve_all())
    assert resolver.stats["unresolved:method:external-receiver"] == 1  # trim: std's


def test_stats_count_outcomes_by_reason(tmp_path: Path) -> None:
    src = """\
        use std::collections::HashMap;
        pub fn f(m: HashMap<u8, u8>) { g(); m.len(); std::mem::drop(1); }
        fn g() {}
    """
    engine = build(tmp_path, {"src/lib.rs": src})
    resolver = LANGUAGE.resolver(engine.facts)
    produced = list(resolver.resolve_all())
    assert resolver.stats["calls:exact"] == 1
    assert resolver.stats["unresolved:imports:external"] == 1
    assert resolver.stats["unresolved:uses:external"] == 1
    assert resolver.stats["unresolved:calls:external"] == 1
    assert resolver.stats["unresolved:method:external-receiver"] == 1
    assert [e.kind for e in produced] == [C]


def test_resolving_one_file_reads_only_its_facts(tmp_path: Path) -> None:
    engine = build(tmp_path, {**LIB_A, "src/b.rs": "use crate::a::helper;\nfn run() { helper(); }\n"})
    resolver = LANGUAGE.resolver(engine.facts)
    only_b = resolver.resolve_file("src/b.rs")
    assert {e.file for e in only_b} == {"src/b.rs"}
    assert {e.kind for e in only_b} == {C, M}
    assert resolver.resolve_file("src/nope.rs") == []


def _out(isg: ISG, src: str, kind: EdgeKind) -> list[Edge]:
    (node,) = isg.by_qualname(src)
    return isg.out_edges(node.id, kind)
