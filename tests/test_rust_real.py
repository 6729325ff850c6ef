"""Rust support on real crates no one here wrote (Debian's crate sources), checked against their code.

Facts were read from regex-syntax 0.6, regex 1.7 and tokio 1.24; the crates are skipped when absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pt_tui.core.engine import Engine
from pt_tui.core.isg import ISG
from pt_tui.core.model import EdgeKind, Node, NodeKind, Resolution

REGISTRY = Path("/usr/share/cargo/registry")
pytestmark = pytest.mark.slow


def _crate(prefix: str, series: str) -> Path:
    found = sorted(REGISTRY.glob(f"{prefix}-{series}*")) if REGISTRY.is_dir() else []
    if not found:
        pytest.skip(f"no {prefix}-{series}* under {REGISTRY} (Debian's librust-*-dev sources)")
    return found[-1]


def _index(path: Path) -> Engine:
    engine = Engine(path)
    engine.index()
    return engine


@pytest.fixture(scope="module")
def regex_syntax() -> Engine:
    return _index(_crate("regex-syntax", "0.6."))


@pytest.fixture(scope="module")
def regex() -> Engine:
    return _index(_crate("regex", "1."))


@pytest.fixture(scope="module")
def tokio() -> Engine:
    return _index(_crate("tokio", "1."))


def one(isg: ISG, qualname: str) -> Node:
    found = isg.by_qualname(qualname)
    assert len(found) == 1, qualname
    return found[0]


def targets(isg: ISG, src: str, kind: EdgeKind) -> dict[str, Resolution]:
    return {isg.nodes[e.dst].qualname: e.resolution for e in isg.out_edges(one(isg, src).id, kind)}


def sources(isg: ISG, dst: str, kind: EdgeKind) -> set[str]:
    return {isg.nodes[e.src].qualname for e in isg.in_edges(one(isg, dst).id, kind)}


def test_regex_syntax_indexes_cleanly(regex_syntax: Engine) -> None:
    report = regex_syntax.report
    files = list((regex_syntax.root / "src").rglob("*.rs"))
    assert report.by_language.get("rust", 0) >= len(files) and report.files_with_syntax_errors == 0
    assert report.problems == []
    kinds = regex_syntax.isg.kind_counts()
    assert kinds[NodeKind.TRAIT] >= 2 and kinds[NodeKind.IMPL] > 100


def test_regex_syntax_visitor_implementors(regex_syntax: Engine) -> None:
    """ast's Visitor: the printer, the nest limiter and the translator implement it; hir's: its printer."""
    isg = regex_syntax.isg
    assert {
        "regex_syntax::ast::print::Writer",
        "regex_syntax::ast::parse::NestLimiter",
        "regex_syntax::hir::translate::TranslatorI",
    } <= sources(isg, "regex_syntax::ast::visitor::Visitor", EdgeKind.IMPLEMENTS)
    assert "regex_syntax::hir::print::Writer" in sources(
        isg, "regex_syntax::hir::visitor::Visitor", EdgeKind.IMPLEMENTS
    )
    trait_method = one(isg, "regex_syntax::ast::visitor::Visitor::visit_pre")
    assert trait_method.kind is NodeKind.METHOD


def test_regex_syntax_parsers_call_what_their_bodies_call(regex_syntax: Engine) -> None:
    isg = regex_syntax.isg
    # ast::parse::Parser::parse is `ParserI::new(self, pattern).parse()`
    calls = targets(isg, "regex_syntax::ast::parse::Parser::parse", EdgeKind.CALLS)
    assert calls["regex_syntax::ast::parse::ParserI::new"] is Resolution.EXACT
    assert calls["regex_syntax::ast::parse::ParserI::parse"] is Resolution.INFERRED
    # the top-level Parser::parse is `self.ast.parse(pattern)?` then `self.hir.translate(pattern, &ast)?`
    calls = targets(isg, "regex_syntax::parser::Parser::parse", EdgeKind.CALLS)
    assert calls == {
        "regex_syntax::ast::parse::Parser::parse": Resolution.EXACT,
        "regex_syntax::hir::translate::Translator::translate": Resolution.EXACT,
    }


def test_regex_syntax_reexports_and_imports(regex_syntax: Engine) -> None:
    isg = regex_syntax.isg
    # lib.rs: `pub use crate::parser::{Parser, ParserBuilder};` and `mod parser;`
    assert "regex_syntax::parser" in targets(isg, "regex_syntax", EdgeKind.IMPORTS)
    # hir::translate's tests call `ParserBuilder::new()` through the crate root's re-export
    users = sources(isg, "regex_syntax::parser::ParserBuilder::new", EdgeKind.CALLS)
    assert "regex_syntax::parser::Parser::new" in users


def test_regex_methods_on_self(regex: Engine) -> None:
    isg = regex.isg
    # `pub fn is_match(&self, text: &str) -> bool { self.is_match_at(text, 0) }`
    assert targets(isg, "regex::re_unicode::Regex::is_match", EdgeKind.CALLS) == {
        "regex::re_unicode::Regex::is_match_at": Resolution.EXACT
    }
    assert targets(isg, "regex::re_bytes::Regex::is_match", EdgeKind.CALLS) == {
        "regex::re_bytes::Regex::is_match_at": Resolution.EXACT
    }


def test_tokio_items_inside_cfg_macros_and_reexports(tokio: Engine) -> None:
    isg = tokio.isg
    # src/task/spawn.rs defines `spawn` inside `cfg_rt! { ... }`; lib.rs re-exports it as `tokio::spawn`
    spawn = one(isg, "tokio::task::spawn::spawn")
    assert spawn.kind is NodeKind.FUNCTION and spawn.line == 161
    callers = {e.file for e in isg.in_edges(spawn.id, EdgeKind.CALLS) if e.resolution is Resolution.EXACT}
    assert any(f.startswith("tests/") for f in callers)


def test_tokio_trait_impls_and_method_calls(tokio: Engine) -> None:
    isg = tokio.isg
    assert {"tokio::io::async_read::AsyncRead", "tokio::io::async_write::AsyncWrite"} <= set(
        targets(isg, "tokio::net::tcp::stream::TcpStream", EdgeKind.IMPLEMENTS)
    )
    # Runtime::block_on: `let _enter = self.enter();`
    calls = targets(isg, "tokio::runtime::runtime::Runtime::block_on", EdgeKind.CALLS)
    assert calls["tokio::runtime::runtime::Runtime::enter"] is Resolution.EXACT
