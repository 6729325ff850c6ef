"""The Interface Signature Graph data model: nodes, edges and their stable ids.

A node id is a hash of (language, kind, qualified name) and never of a line number, so an edit
above an entity leaves its id unchanged. Entities that would share a qualified name (a function
defined twice in one module, two ``impl`` blocks of one type) get an ordinal suffix ``#2``,
``#3`` ... in order of appearance in their file.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

import msgspec


class NodeKind(StrEnum):
    MODULE = "module"
    FUNCTION = "function"
    METHOD = "method"
    CLASS = "class"
    STRUCT = "struct"
    ENUM = "enum"
    UNION = "union"
    TRAIT = "trait"
    IMPL = "impl"
    TYPE_ALIAS = "type_alias"
    CONST = "const"
    STATIC = "static"
    MACRO = "macro"
    LAMBDA = "lambda"


#: Kinds that are types: targets of USES and IMPLEMENTS edges.
TYPE_KINDS = frozenset(
    {NodeKind.CLASS, NodeKind.STRUCT, NodeKind.ENUM, NodeKind.UNION, NodeKind.TRAIT, NodeKind.TYPE_ALIAS}
)
#: Kinds that can be called: sources and targets of CALLS edges (besides modules as callers).
CALLABLE_KINDS = frozenset(
    {NodeKind.FUNCTION, NodeKind.METHOD, NodeKind.LAMBDA, NodeKind.CLASS, NodeKind.STRUCT, NodeKind.MACRO}
)


class EdgeKind(StrEnum):
    CALLS = "CALLS"
    IMPLEMENTS = "IMPLEMENTS"
    USES = "USES"
    CONTAINS = "CONTAINS"
    IMPORTS = "IMPORTS"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    CRATE = "crate"  # Rust pub(crate)
    RESTRICTED = "restricted"  # Rust pub(super), pub(in path)


class Resolution(StrEnum):
    """How an edge's target was found: by name rules, by inference, or one of several candidates."""

    EXACT = "exact"
    INFERRED = "inferred"
    AMBIGUOUS = "ambiguous"


# Nodes and edges hold only strings, ints and enums, so they can never be part of a reference cycle:
# ``gc=False`` keeps the cyclic collector from tracking (and pausing on) hundreds of thousands of them.
class Node(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: str
    kind: NodeKind
    name: str
    qualname: str
    language: str
    file: str  # posix path relative to the indexed root
    line: int  # 1-based, first line of the entity
    end_line: int
    signature: str = ""
    doc: str = ""  # first line of the docstring / doc comment
    visibility: Visibility = Visibility.PUBLIC
    parent: str = ""  # id of the containing node ("" for a module)


class Edge(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    src: str
    dst: str
    kind: EdgeKind
    file: str
    line: int
    resolution: Resolution = Resolution.EXACT

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.src, self.dst, self.kind, self.file, self.line)


def node_id(language: str, kind: NodeKind | str, qualname: str) -> str:
    """The stable id of an entity: 16 hex digits of blake2b over language, kind and qualified name."""
    data = f"{language}\x00{kind}\x00{qualname}".encode()
    return hashlib.blake2b(data, digest_size=8).hexdigest()
