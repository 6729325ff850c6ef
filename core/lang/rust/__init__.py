"""Rust support: items as nodes, and name resolution of paths, methods, macros and imports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pt_tui.core.lang.base import ExtractContext, FileFacts, Language
from pt_tui.core.lang.rust.extract import extract_file, parse
from pt_tui.core.lang.rust.resolve import RustResolver

__all__ = ["LANGUAGE", "RustLanguage", "RustResolver"]


class RustLanguage(Language):
    name: ClassVar[str] = "rust"
    extensions: ClassVar[tuple[str, ...]] = (".rs",)

    def extract(self, path: str, source: bytes, ctx: ExtractContext) -> FileFacts:
        return extract_file(path, source, ctx)

    def resolver(self, facts: Mapping[str, FileFacts]) -> RustResolver:
        return RustResolver(facts)

    def parse_only(self, source: bytes) -> object:
        return parse(source)


LANGUAGE = RustLanguage()
