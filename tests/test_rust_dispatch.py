"""Rust call resolution beyond paths: trait dispatch to impls, values as receivers (unit structs,
consts, variants), closure parameters, ``Deref``, ``macro_rules!`` bodies and ``#[path]`` modules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.lang.rust import LANGUAGE
from pt_tui.core.lang.rust import facts as F
from pt_tui.core.lang.rust.resolve import _DISPATCH_CAP
from pt_tui.core.model import EdgeKind, Resolution

CARGO = '[package]\nname = "demo"\nversion = "0.1.0"\n'
C, M = EdgeKind.CALLS, EdgeKind.IMPORTS
EXACT, INFERRED, AMBIGUOUS = Resolution.EXACT, Resolution.INFERRED, Resolution.AMBIGUOUS


def build(root: Path, files: dict[str, str]) -> Engine:
    for rel, text in {"Cargo.toml": CARGO, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    engine = Engine(root, workers=1)
    engine.index()
    return engine


def graph(root: Path, files: dict[str, str]) -> ISG:
    return build(root, files).isg


def edges(isg: ISG, src: str, kind: EdgeKind = C) -> dict[str, Resolution]:
    (node,) = isg.by_qualname(src)
    return {isg.nodes[e.dst].qualname: e.resolution for e in isg.out_edges(node.id, kind)}


# -- trait dispatch ---------------------------------------------------------------------------------

DISPATCH = """\
    pub trait Named { fn name(&self) -> u8; }
    pub trait Greeter: Named {
        fn greet(&self) -> u8 { self.name() }
        fn volume(&self) -> u8;
        fn twice(&self) -> u8 { Self::volume(self) }
    }
    pub struct Dog;
    pub struct Cat;
    impl Named for Dog { fn name(&self) -> u8 { 1 } }
    impl Named for Cat { fn name(&self) -> u8 { 2 } }
    impl Greeter for Dog { fn volume(&self) -> u8 { 3 } }
    impl Greeter for Cat { fn greet(&self) -> u8 { 4 } fn volume(&self) -> u8 { 5 } }
    pub fn by_dyn(g: &dyn Greeter) { g.greet(); }
    pub fn by_bound<G: Greeter>(g: G) { g.volume(); G::volume(&g); }
    pub fn by_impl(g: Box<impl Greeter>) { g.name(); }
    pub trait Lonely { fn alone(&self); fn fallback(&self) {} }
    pub fn no_impls(l: &dyn Lonely) { l.alone(); l.fallback(); }
"""


def test_calls_on_trait_values_reach_every_impl_or_the_default_body(tmp_path: Path) -> None:
    isg = graph(tmp_path, {"src/lib.rs": DISPATCH})
    # Dog does not override greet: its calls run the trait's default body
    assert edges(isg, "demo::by_dyn") == {
        "demo::Greeter::greet": AMBIGUOUS,
        "demo::<Cat as Greeter>::greet": AMBIGUOUS,
    }
    # a required method (no body) is never what runs: only the impls' methods
    assert edges(isg, "demo::by_bound") == {
        "demo::<Dog as Greeter>::volume": AMBIGUOUS,
        "demo::<Cat as Greeter>::volume": AMBIGUOUS,
    }
    # a supertrait's method through the subtrait: the supertrait's impls for the same types
    assert edges(isg, "demo::by_impl") == {
        "demo::<Dog as Named>::name": AMBIGUOUS,
        "demo::<Cat as Named>::name": AMBIGUOUS,
    }
    assert edges(isg, "demo::Greeter::greet") == {
        "demo::<Dog as Named>::name": AMBIGUOUS,
        "demo::<Cat as Named>::name": AMBIGUOUS,
    }
    assert edges(isg, "demo::Greeter::twice") == {
        "demo::<Dog as Greeter>::volume": AMBIGUOUS,
        "demo::<Cat as Greeter>::volume": AMBIGUOUS,
    }
    # a trait no type of the graph implements: the declaration stays the target
    assert edges(isg, "demo::no_impls") == {"demo::Lonely::alone": EXACT, "demo::Lonely::fallback": EXACT}


def test_a_single_impl_is_exact_and_a_trait_with_very_many_impls_links_its_declaration(
    tmp_path: Path,
) -> None:
    many = _DISPATCH_CAP + 1
    impls = "\n".join(f"pub struct S{i};\nimpl Wide for S{i} {{ fn go(&self) {{}} }}" for i in range(many))
    src = f"""\
pub trait Wide {{ fn go(&self); }}
{impls}
pub trait One {{ fn once(&self); }}
pub struct Only;
impl One for Only {{ fn once(&self) {{}} }}
pub fn run(w: &dyn Wide, o: &dyn One) {{ w.go(); o.once(); }}
"""
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::run") == {"demo::Wide::go": EXACT, "demo::<Only as One>::once": EXACT}


def test_required_trait_methods_are_recorded_in_the_payload(tmp_path: Path) -> None:
    engine = build(tmp_path, {"src/lib.rs": DISPATCH})
    facts = engine.facts["src/lib.rs"]
    payload = F.decode(facts.payload)
    required = {facts.nodes[i].qualname for i in payload.required}
    assert required == {"demo::Named::name", "demo::Greeter::volume", "demo::Lonely::alone"}


def test_qualified_paths_name_the_types_impl_of_the_trait(tmp_path: Path) -> None:
    src = (
        DISPATCH
        + """\
        impl Dog { pub fn volume(&self) -> u8 { 0 } pub fn name(&self) -> u8 { 0 } }
        impl Dog { pub fn both(&self) { <Self as Named>::name(self); Self::name(self); } }
        pub fn run(d: Dog) { <Dog as Greeter>::volume(&d); <Dog as Greeter>::greet(&d); }
        pub fn run_generic<G: Greeter>(g: G) { <G as Greeter>::volume(&g); }
    """
    )
    isg = graph(tmp_path, {"src/lib.rs": src})
    # not Dog's inherent volume; Dog keeps greet's default body
    assert edges(isg, "demo::run") == {"demo::<Dog as Greeter>::volume": EXACT, "demo::Greeter::greet": EXACT}
    assert edges(isg, "demo::run_generic") == {
        "demo::<Dog as Greeter>::volume": AMBIGUOUS,
        "demo::<Cat as Greeter>::volume": AMBIGUOUS,
    }
    assert edges(isg, "demo::Dog::both") == {"demo::<Dog as Named>::name": EXACT, "demo::Dog::name": EXACT}


def test_a_forwarding_blanket_impl_does_not_call_itself(tmp_path: Path) -> None:
    src = """\
        pub trait Input { fn at(&self) -> u8; }
        impl<'a, T: Input> Input for &'a T { fn at(&self) -> u8 { (**self).at() } }
        pub struct Bytes;
        impl Input for Bytes { fn at(&self) -> u8 { 0 } }
        pub struct Chars;
        impl Input for Chars { fn at(&self) -> u8 { 1 } }
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::<&T as Input>::at") == {
        "demo::<Bytes as Input>::at": AMBIGUOUS,
        "demo::<Chars as Input>::at": AMBIGUOUS,
    }


# -- values as receivers, closures, variants ----------------------------------------------------------

VALUES = """\
    pub struct Meter;
    pub struct Gauge;
    impl Meter { pub fn read(&self) {} }
    impl Gauge { pub fn read(&self) {} }
    pub const GAUGE: Gauge = Gauge;
    pub static METER: Meter = Meter;
    pub enum Sig { Stop, Go(u8) }
    impl Sig {
        pub fn read(&self) {}
        pub fn own() { let s = Self::Stop; s.read(); }
    }
    pub mod m { pub const G: super::Gauge = super::Gauge; }
"""


def test_unit_structs_consts_statics_and_variants_type_their_bindings(tmp_path: Path) -> None:
    src = (
        VALUES
        + """\
        pub fn run() {
            let a = Meter;
            a.read();
            GAUGE.read();
            let b = METER;
            b.read();
            let c = Sig::Go(1);
            c.read();
            m::G.read();
        }
    """
    )
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::run") == {
        "demo::Meter::read": EXACT,
        "demo::Gauge::read": EXACT,
        "demo::Sig::read": INFERRED,  # through a call: inferred
    }
    assert edges(isg, "demo::Sig::own") == {"demo::Sig::read": EXACT}


def test_lowercase_names_are_not_taken_for_values(tmp_path: Path) -> None:
    src = (
        VALUES
        + """\
        pub fn run(items: Vec<u8>) { for meter in items { meter.read(); } }
    """
    )
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::run") == {}


def test_closure_parameters_are_typed_inside_the_closure_only(tmp_path: Path) -> None:
    src = (
        VALUES
        + """\
        pub fn run(x: Meter) {
            let f = |x: Gauge| x.read();
            let g = |x| x.read();
            x.read();
            f(Gauge);
            g(1);
        }
    """
    )
    isg = graph(tmp_path, {"src/lib.rs": src})
    # inside f x is a Gauge, inside g an unknown (the parameter hides the Meter), after them a Meter
    assert edges(isg, "demo::run") == {"demo::Gauge::read": EXACT, "demo::Meter::read": EXACT}
    (run,) = isg.by_qualname("demo::run")
    assert len([e for e in isg.out_edges(run.id, C)]) == 2  # nothing for g's x, no call of f or g


def test_unresolved_capitalised_calls_do_not_fall_back_to_a_function_of_that_name(tmp_path: Path) -> None:
    src = """\
        #[allow(non_snake_case)]
        pub fn Wrapper(x: u8) -> u8 { x }
        pub mod inner { pub fn run() { Wrapper(1); } }
    """
    engine = build(tmp_path, {"src/lib.rs": src})
    assert edges(engine.isg, "demo::inner::run") == {}
    resolver = LANGUAGE.resolver(engine.facts)
    list(resolver.resolve_all())
    assert resolver.stats["unresolved:calls:constructor"] == 1


# -- Deref ----------------------------------------------------------------------------------------------


def test_method_calls_go_through_deref_targets_and_call_deref(tmp_path: Path) -> None:
    src = """\
        use std::ops::Deref;
        pub struct Engine;
        pub struct Motor;
        impl Engine { pub fn start(&self) {} }
        impl Motor { pub fn start(&self) {} }
        pub struct Car { engine: Engine }
        impl Car { pub fn honk(&self) {} }
        impl Deref for Car {
            type Target = Engine;
            fn deref(&self) -> &Engine { &self.engine }
        }
        pub struct Garage(Car);
        impl Deref for Garage {
            type Target = Car;
            fn deref(&self) -> &Car { &self.0 }
        }
        pub fn run(c: Car, g: Garage) { c.start(); c.honk(); g.start(); }
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    assert edges(isg, "demo::run") == {
        "demo::Engine::start": EXACT,
        "demo::Car::honk": EXACT,
        "demo::<Car as Deref>::deref": EXACT,
        "demo::<Garage as Deref>::deref": EXACT,
    }
    (run,) = isg.by_qualname("demo::run")
    (car_deref,) = isg.by_qualname("demo::<Car as Deref>::deref")
    # c.honk() is inherent: no deref on its line
    assert {e.line for e in isg.out_edges(run.id, C) if e.dst == car_deref.id} == {17}


# -- macro_rules! bodies ----------------------------------------------------------------------------------


def test_calls_in_macro_rules_bodies_belong_to_the_macro(tmp_path: Path) -> None:
    src = """\
        pub mod helpers { pub fn first(_x: u8) {} pub fn second() {} }
        pub struct Literals;
        macro_rules! both {
            ($x:expr) => { $crate::helpers::first($x); helpers::second() };
            ($name:ident) => { Literals::$name(1) };
        }
        macro_rules! outer { () => { both!(1) }; }
        pub fn run() { both!(2); outer!(); }
    """
    isg = graph(tmp_path, {"src/lib.rs": src})
    # ``Literals::$name(1)`` does not parse as a path call: nothing, not a call of the struct
    assert edges(isg, "demo::both") == {"demo::helpers::first": EXACT, "demo::helpers::second": EXACT}
    assert edges(isg, "demo::outer") == {"demo::both": EXACT}
    assert edges(isg, "demo::run") == {"demo::both": EXACT, "demo::outer": EXACT}


# -- #[path] modules ---------------------------------------------------------------------------------------


def test_path_attribute_modules_are_found_under_their_declared_name(tmp_path: Path) -> None:
    files = {
        "src/lib.rs": """\
            #[path = "sys/unix_impl.rs"]
            mod imp;
            pub mod other { pub fn setup() {} }
            pub fn helper() {}
            pub fn run() { imp::setup(); }
        """,
        "src/sys/unix_impl.rs": """\
            pub fn setup() { super::helper(); }
        """,
    }
    isg = graph(tmp_path, files)
    assert edges(isg, "demo::run") == {"demo::sys::unix_impl::setup": EXACT}
    assert edges(isg, "demo::sys::unix_impl::setup") == {"demo::helper": EXACT}
    assert edges(isg, "demo", M) == {"demo::sys::unix_impl": EXACT}


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [('#[path = "a/b.rs"]', "a/b.rs"), ('#[cfg(unix)]\n#[path = "x.rs"]', "x.rs"), ("#[cfg(unix)]", "")],
)
def test_path_attribute_is_read_from_the_mod_declaration(tmp_path: Path, attrs: str, expected: str) -> None:
    engine = build(tmp_path, {"src/lib.rs": f"{attrs}\nmod imp;\n"})
    (decl,) = F.decode(engine.facts["src/lib.rs"].payload).mods
    assert decl.file == expected


def test_macro_bodies_do_not_guess_macros_they_cannot_see(tmp_path: Path) -> None:
    files = {
        "src/lib.rs": "pub fn lib() {}\n",
        "tests/a.rs": "macro_rules! shared { () => {}; }\n",
        "tests/b.rs": """\
            macro_rules! user { () => { shared!() }; }
            fn run() { shared!(); }
        """,
    }
    isg = graph(tmp_path, files)
    # a fn's invocation may guess a macro of a sibling test file (shared through ``mod``); a macro
    # body is expanded elsewhere, so it links only macros visible where it is written
    assert edges(isg, "demo::tests::b::run") == {"demo::tests::a::shared": INFERRED}
    assert edges(isg, "demo::tests::b::user") == {}
