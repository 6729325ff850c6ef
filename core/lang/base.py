"""The one interface every language implements: extract facts from a file, resolve them into edges.

A language is a module in ``pt_tui.core.lang`` that defines ``LANGUAGE`` (an instance of a
:class:`Language` subclass) and keeps its tree-sitter queries in ``.scm`` files beside it. Adding a
language means adding such a module and its query file; the registry discovers it.

Extraction works on one file alone (so it can run in worker processes and again on a single
changed file). It yields the file's nodes, the edges known from the file alone (CONTAINS) and a
language-specific payload of unresolved facts (imports, calls, type uses, bindings). Resolution
reads the payloads of every file of the language and turns references into edges.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import ClassVar, TypeVar

import msgspec
from tree_sitter import Node as TSNode

from pt_tui.core.model import Edge, Node, NodeKind, Visibility, node_id

T = TypeVar("T")


class FileFacts(msgspec.Struct, kw_only=True):
    """Everything extraction learnt from one file."""

    path: str  # posix, relative to the indexed root
    language: str
    module: str  # qualified name of the file's module node
    nodes: list[Node]
    edges: list[Edge]  # edges known from this file alone (CONTAINS)
    payload: bytes = b""  # msgpack of the language's own unresolved facts, read by its resolver
    lines: int = 0
    syntax_errors: int = 0  # ERROR / MISSING nodes in the tree; what parsed is still extracted


class ExtractContext:
    """What an extractor may know beyond the file itself: the indexed root, with cached lookups."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[tuple[str, str], object] = {}

    def memo(self, namespace: str, key: str, compute: Callable[[], T]) -> T:
        """Cache a per-root fact (e.g. a directory's nearest Cargo.toml) across files."""
        slot = (namespace, key)
        if slot not in self._cache:
            self._cache[slot] = compute()
        return self._cache[slot]  # type: ignore[return-value]


class Resolver(abc.ABC):
    """Resolves the references of every file of one language against an index of all of them."""

    @abc.abstractmethod
    def resolve_file(self, path: str) -> list[Edge]:
        """The cross-file-aware edges (CALLS, USES, IMPLEMENTS, IMPORTS) whose source is in ``path``."""

    def resolve_all(self) -> Iterable[Edge]:
        for path in self.paths():
            yield from self.resolve_file(path)

    @abc.abstractmethod
    def paths(self) -> Iterable[str]:
        """The files this resolver knows."""

    def affected(
        self,
        changes: Mapping[str, tuple[FileFacts | None, FileFacts | None]],
        facts: Mapping[str, FileFacts],
        previous: Resolver | None,
    ) -> set[str] | None:
        """Optional, for incremental updates: this resolver was built on ``facts``, ``previous`` on
        the facts before ``changes`` (path -> (old, new), None for a missing file). The files of
        ``facts`` whose edges may differ from before (the new and changed ones included), or None
        (the default) when every file must be resolved again."""
        return None

    def patched(
        self,
        changes: Mapping[str, tuple[FileFacts | None, FileFacts | None]],
        facts: Mapping[str, FileFacts],
        keep: bool,
    ) -> Resolver | None:
        """Optional, for incremental updates: the resolver of ``facts`` (the state after ``changes``,
        as in :meth:`affected`), made from this one (built on the state before) and resolving exactly
        as ``language.resolver(facts)`` would. This one is spent unless ``keep``. None (the default):
        the caller builds it afresh."""
        return None


class Language(abc.ABC):
    """A language: its name, its file extensions, an extractor and a resolver."""

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]

    @abc.abstractmethod
    def extract(self, path: str, source: bytes, ctx: ExtractContext) -> FileFacts:
        """Facts of one file. Must not raise on malformed source: extract what parsed."""

    @abc.abstractmethod
    def resolver(self, facts: Mapping[str, FileFacts]) -> Resolver:
        """A resolver over all files of this language (path -> facts)."""

    def parse_only(self, source: bytes) -> object:
        """Parse without extracting (the benchmark's baseline). Returns the tree."""
        raise NotImplementedError


@cache
def query_source(package: str, filename: str) -> str:
    """The text of a ``.scm`` query file shipped beside a language module."""
    return resources.files(package).joinpath(filename).read_text(encoding="utf-8")


def make_node(
    language: str,
    kind: NodeKind,
    qualname: str,
    name: str,
    file: str,
    line: int,
    end_line: int,
    *,
    signature: str = "",
    doc: str = "",
    visibility: Visibility = Visibility.PUBLIC,
    parent: str = "",
) -> Node:
    """A node with its stable id computed from ``language``, ``kind`` and ``qualname``."""
    return Node(
        id=node_id(language, kind, qualname),
        kind=kind,
        name=name,
        qualname=qualname,
        language=language,
        file=file,
        line=line,
        end_line=end_line,
        signature=signature,
        doc=doc,
        visibility=visibility,
        parent=parent,
    )


def count_lines(source: bytes) -> int:
    """Lines in a file, counting a last line without a newline (0 for an empty file)."""
    if not source:
        return 0
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def count_errors(root: TSNode) -> int:
    """ERROR and MISSING nodes of a tree, descending only into subtrees that contain some."""
    if not (root.has_error or root.is_missing):
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    return count
