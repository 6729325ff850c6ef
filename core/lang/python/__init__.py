"""Python support: extraction of modules, classes, functions, methods and lambdas, and name resolution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pt_tui.core.lang.base import ExtractContext, FileFacts, Language
from pt_tui.core.lang.python.extract import extract_file, parser
from pt_tui.core.lang.python.resolve import PythonResolver


class PythonLanguage(Language):
    name: ClassVar[str] = "python"
    extensions: ClassVar[tuple[str, ...]] = (".py",)

    def extract(self, path: str, source: bytes, ctx: ExtractContext) -> FileFacts:
        return extract_file(path, source, ctx)

    def resolver(self, facts: Mapping[str, FileFacts]) -> PythonResolver:
        return PythonResolver(facts)

    def parse_only(self, source: bytes) -> object:
        return parser().parse(source)


LANGUAGE = PythonLanguage()

__all__ = ["LANGUAGE", "PythonLanguage", "PythonResolver"]
