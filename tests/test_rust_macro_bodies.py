"""Rust macro bodies parsed again: which are, that each reads on its own, and no attribute as a call."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pt_tui.core.lang.base import ExtractContext
from pt_tui.core.lang.rust import LANGUAGE
from pt_tui.core.lang.rust import extract as X
from pt_tui.core.lang.rust import facts as F
from pt_tui.core.lang.rust import syntax as S

CALLS = (F.RefKind.CALL, F.RefKind.METHOD, F.RefKind.MACRO, F.RefKind.LITERAL)


def refs(tmp_path: Path, source: str) -> list[tuple[int, str]]:
    """(line, name) of the call, method, macro and literal references of ``src/lib.rs``."""
    facts = LANGUAGE.extract("src/lib.rs", textwrap.dedent(source).encode(), ExtractContext(tmp_path))
    out = []
    for ref in F.decode(facts.payload).refs:
        if ref.kind in CALLS:
            name = "::".join(ref.path) if ref.path else "." + ref.name
            out.append((ref.line, name + ("!" if ref.kind is F.RefKind.MACRO else "")))
    return sorted(out)


def test_argument_lists_without_references_are_not_parsed_again() -> None:
    source = b'fn f(x: u8) {\n    println!("{} {x}", x);\n    assert!(ok(x));\n    m! { a: [1, 2] };\n}\n'
    tree = X.parse(source)
    items, exprs = X._macro_bodies(X._captures(tree.root_node), source)
    assert items == []
    assert [source[r.start_byte : r.end_byte] for r in exprs] == [b"(ok(x))"]


@pytest.mark.parametrize(
    "body",
    ["ok (x)", "x.go()", "Foo { a: 1 }", "inner!(x)", "f::<u8>(x)", "Vec::<u8> { }", "self.0(x)"],
)
def test_every_reference_shape_is_a_candidate(body: str) -> None:
    text = f"({body})".encode()
    assert X._REFERENCE_CANDIDATE.search(text, 1, len(text) - 1)


def test_references_in_macro_arguments_and_rules(tmp_path: Path) -> None:
    found = refs(
        tmp_path,
        """\
        macro_rules! call_it { ($e:expr) => { helper($e).done() }; }
        fn f(x: u8) {
            assert_eq!(parse(x), vec![one(1), Thing { a: two(2) }]);
            println!("{}", x);
            call_it!(x);
        }
        """,
    )
    assert found == [
        (1, ".done"),
        (1, "helper"),
        (3, "Thing"),
        (3, "assert_eq!"),
        (3, "one"),
        (3, "parse"),
        (3, "two"),
        (3, "vec!"),
        (4, "println!"),
        (5, "call_it!"),
    ]


def test_each_argument_list_is_a_statement_of_its_own() -> None:
    """Argument lists are parsed together, but ``(a)`` then ``(b)`` is not read as the call ``(a)(b)``
    (nor ``[a]`` then ``[b]`` as an index): each one parses the same whatever its neighbours."""
    source = b"fn f() {\n    m!(a(1))\n    n!\n[b(2)];\n    k!{ c(3) }\n}\n"
    tree = X.parse(source)
    _, exprs = X._macro_bodies(X._captures(tree.root_node), source)
    root = X._parse_expressions(source, exprs).root_node
    statements = [c for c in root.named_children if c.type != "empty_statement"]
    assert [(c.type, S.text(c.named_children[0])) for c in statements] == [
        ("expression_statement", "(a(1))"),
        ("expression_statement", "[b(2)]"),
        ("expression_statement", "{ c(3) }"),
    ]


def test_attributes_in_macro_arguments_are_not_calls(tmp_path: Path) -> None:
    found = refs(
        tmp_path,
        """\
        fn main() {
            for (name, f) in testcases!(
                #[cfg(not(syn_only))]
                read_from_disk,
                syn_parse,
                #[cfg(not(syn_only))]
                librustc_parse,
            ) {
                run(f);
            }
        }
        """,
    )
    assert found == [(2, "testcases!"), (9, "run")]


def test_separators_keep_offsets_and_lines() -> None:
    source = b"fn f() {\n    a!(x(1));\n    b!\n(y(2));\n}\n"
    tree = X.parse(source)
    _, exprs = X._macro_bodies(X._captures(tree.root_node), source)
    captures = X._captures(X._parse_expressions(source, exprs).root_node)
    calls = [n for _, _, tag, n in captures if tag == "call"]
    assert [(S.text(n), n.start_point[0], n.start_byte) for n in calls] == [
        ("x(1)", 1, source.index(b"x(1)")),
        ("y(2)", 3, source.index(b"y(2)")),
    ]


TUPLE_IMPLS = b"""\
macro_rules! tuple_impls {
    ($($len:tt => ($($n:tt $name:ident)+))+) => {
        $(
            impl<'de, $($name: Deserialize<'de>),+> Visitor<'de> for TupleVisitor<$($name,)+> {
                fn go(&self) { first(1) }
            }
        )+
    }
}
macro_rules! other {
    ($e:expr) => {
        if ready() { second(2) } else { third(3) }
    };
}
fn f() {
    assert!(a(x), "{}", b::<u8>(y));
    m!([c(1)], { d(2) });
}
"""


def test_each_argument_list_yields_what_it_yields_alone() -> None:
    """An unclosed ``impl<..`` in one rule carries error recovery into the next: such ranges are
    parsed again on their own, so every range gives exactly what parsing it alone gives."""
    tree = X.parse(TUPLE_IMPLS)
    _, exprs = X._macro_bodies(X._captures(tree.root_node), TUPLE_IMPLS)
    assert len(exprs) == 4
    alone = {
        (start, neg_end, tag)
        for r in exprs
        for start, neg_end, tag, _ in X._captures(X._parse_expressions(TUPLE_IMPLS, [r]).root_node)
    }
    found = X._expression_captures(TUPLE_IMPLS, exprs)
    together = {(start, neg_end, tag) for start, neg_end, tag, _ in found}
    assert together == alone
    calls = {TUPLE_IMPLS[start:-neg_end].split(b"(")[0] for start, neg_end, tag in together if tag == "call"}
    assert calls == {b"first", b"ready", b"second", b"third", b"a", b"b::<u8>", b"c", b"d"}


SERDE = Path("/usr/share/cargo/registry/serde-1.0.152/src/de/impls.rs")


@pytest.mark.skipif(not SERDE.is_file(), reason="Debian's librust-serde-dev 1.0.152 is not installed")
def test_a_rule_after_one_with_parse_errors_keeps_its_calls(tmp_path: Path) -> None:
    found = refs(tmp_path, SERDE.read_text())
    assert (1586, "FromStrVisitor::new") in found  # in ``parse_socket_impl!``, after ``tuple_impls!``
    assert (1418, "size_hint::cautious") in found  # an argument of ``map_impl!`` at module level
