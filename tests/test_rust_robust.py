"""Rust extraction and resolution never raise, whatever the source: mangled real code included."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pt_tui.core.lang.base import ExtractContext
from pt_tui.core.lang.rust import LANGUAGE
from pt_tui.core.model import NodeKind

SAMPLE = b"""\
//! Docs.
use crate::a::{b::{self, C as D}, e::*};
pub mod a { pub mod b { pub struct C; } pub mod e { pub fn f() {} } }
#[derive(Debug)]
pub struct S<T: Clone> where T: Copy { x: Vec<T>, y: Box<dyn Tr> }
pub trait Tr: Sized { fn m(&self) -> u8; fn d(&self) { self.m(); } }
impl<T: Clone + Copy> Tr for S<T> { fn m(&self) -> u8 { let z = S::new(); z.y.m(); 0 } }
impl<T> Tr for T where T: Send { fn m(&self) -> u8 { 1 } }
macro_rules! mm { ($x:expr) => { $x } }
cfg_x! { pub fn hidden() { mm!(1); assert_eq!(a::e::f(), ()); } }
fn main() { let s: S<u8> = S { x: vec![], y: Box::new(1) }; s.d(); <S<u8> as Tr>::m(&s); b::C; D; }
"""


@settings(max_examples=60)
@given(st.data())
def test_mangled_sources_extract_and_resolve(data: st.DataObject) -> None:
    source = bytearray(SAMPLE)
    for _ in range(data.draw(st.integers(0, 6))):
        start = data.draw(st.integers(0, len(source)))
        end = data.draw(st.integers(start, min(len(source), start + 40)))
        insert = data.draw(st.sampled_from([b"", b"{", b"}", b"::", b"<", b">", b"impl", b"fn", b"(", b";"]))
        source[start:end] = insert
    ctx = ExtractContext(Path("/nonexistent-root"))
    facts = LANGUAGE.extract("src/lib.rs", bytes(source), ctx)
    other = LANGUAGE.extract("src/other.rs", SAMPLE, ctx)
    assert facts.nodes[0].kind is NodeKind.MODULE
    resolver = LANGUAGE.resolver({"src/lib.rs": facts, "src/other.rs": other})
    ids = {n.id for n in facts.nodes} | {n.id for n in other.nodes}
    for edge in resolver.resolve_all():
        assert edge.src in ids and edge.dst in ids
