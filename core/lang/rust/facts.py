"""The Rust payload of a file's facts: what extraction saw and resolution turns into edges.

Everything refers to nodes by their index in ``FileFacts.nodes``. A *scope* is the node a name is
looked up from: the innermost module, function, const or static around a reference (the resolver
walks outwards from it). An *owner* is the innermost ``impl`` or ``trait`` around it (``Self``).
Paths are tuples of segments with generic arguments stripped; ``::`` as the first segment is a
global path (``::std::io``), ``crate`` / ``self`` / ``super`` / ``Self`` are kept as written.
"""

from __future__ import annotations

from enum import IntEnum

import msgspec

Path = tuple[str, ...]


class TypeRef(msgspec.Struct, frozen=True, array_like=True):
    """A written type, reduced to what name resolution needs: ``&mut Box<Foo<T>>`` is ``Foo<T>``."""

    path: Path
    args: tuple[TypeRef, ...] = ()


# -- the type of an expression, as far as extraction can tell (evaluated by the resolver) -----------


class TPath(msgspec.Struct, frozen=True, array_like=True, tag="p"):
    """A value of a written type (``let x: Foo``, ``x: &Foo``, ``Foo { .. }``)."""

    ref: TypeRef


class TBounds(msgspec.Struct, frozen=True, array_like=True, tag="b"):
    """A value known only by its traits (``&dyn Tr``, ``impl Tr``, a type parameter ``T: Tr``)."""

    traits: tuple[TypeRef, ...]


class TCall(msgspec.Struct, frozen=True, array_like=True, tag="c"):
    """What calling the path returns (``Foo::new()``, ``make_foo()``)."""

    path: Path


class TMethod(msgspec.Struct, frozen=True, array_like=True, tag="m"):
    """What a method call returns (``x.build()``)."""

    recv: TExpr
    name: str


class TField(msgspec.Struct, frozen=True, array_like=True, tag="f"):
    """A field of a value (``self.parser``)."""

    recv: TExpr
    name: str


class TSelf(msgspec.Struct, frozen=True, array_like=True, tag="s"):
    """``self``: the owner's self type, or the trait in a trait's default method."""


class TUnwrap(msgspec.Struct, frozen=True, array_like=True, tag="u"):
    """``x?``: the first type argument of an ``Option`` / ``Result``."""

    inner: TExpr


class TValue(msgspec.Struct, frozen=True, array_like=True, tag="v"):
    """A path used as a value: a unit struct (``Unit``), a variant (``E::B``), a const or static."""

    path: Path


TExpr = TPath | TBounds | TCall | TMethod | TField | TSelf | TUnwrap | TValue


class RefKind(IntEnum):
    TYPE = 0  # a type named in a signature, field, let, alias: USES
    LITERAL = 1  # a struct literal ``Foo { .. }``: USES
    CALL = 2  # a call through a path: CALLS
    METHOD = 3  # a method call ``recv.name()``: CALLS
    MACRO = 4  # a macro invocation ``name!``: CALLS
    SUPERTRAIT = 5  # ``trait A: B``: A IMPLEMENTS B


class Ref(msgspec.Struct, frozen=True, array_like=True):
    """One reference to resolve, from the node ``src``."""

    kind: RefKind
    src: int
    scope: int
    owner: int
    line: int
    path: Path = ()
    name: str = ""  # method name
    recv: TExpr | None = None  # the receiver's type, when known


class Use(msgspec.Struct, frozen=True, array_like=True):
    """One leaf of a ``use`` tree (or an ``extern crate``): ``path`` bound to ``alias`` in ``scope``."""

    scope: int
    path: Path
    alias: str  # "" for a glob
    public: bool
    line: int


class ModDecl(msgspec.Struct, frozen=True, array_like=True):
    """``mod name;`` in the module ``scope``."""

    scope: int
    name: str
    line: int
    macro_use: bool = False  # ``#[macro_use] mod name;``: its macros stay visible after it
    file: str = ""  # ``#[path = "file"] mod name;``: the file, relative to the declaring file's folder


class Impl(msgspec.Struct, frozen=True, array_like=True):
    node: int
    scope: int
    self_type: TypeRef | None  # None when not a nameable type (``[T]``, tuples)
    trait: TypeRef | None
    blanket: bool  # the self type is one of the impl's type parameters
    line: int
    bounds: tuple[TypeRef, ...] = ()  # a blanket impl's bounds on its self type (what ``self`` can do)


class Fn(msgspec.Struct, frozen=True, array_like=True):
    """A function's return type (a const's or static's type), for values used as receivers."""

    node: int
    scope: int
    owner: int
    ret: TExpr


class Fields(msgspec.Struct, frozen=True, array_like=True):
    """The typed fields of a struct or union (tuple fields are ``0``, ``1`` ...)."""

    node: int
    scope: int
    types: dict[str, TExpr]


class Variants(msgspec.Struct, frozen=True, array_like=True):
    node: int
    names: tuple[str, ...]


class Alias(msgspec.Struct, frozen=True, array_like=True):
    """``type A = B;``: what ``A`` stands for."""

    node: int
    scope: int
    owner: int
    target: TypeRef


class Trait(msgspec.Struct, frozen=True, array_like=True):
    node: int
    scope: int
    supertraits: tuple[TypeRef, ...]


class Payload(msgspec.Struct, array_like=True):
    crate_root: str  # the qualified name ``crate::`` stands for in this file
    refs: list[Ref] = []
    uses: list[Use] = []
    mods: list[ModDecl] = []
    impls: list[Impl] = []
    fns: list[Fn] = []
    fields: list[Fields] = []
    variants: list[Variants] = []
    aliases: list[Alias] = []
    traits: list[Trait] = []
    macro_use: list[int] = []  # inline modules marked ``#[macro_use]``
    required: list[int] = []  # trait methods without a default body


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(Payload)


def encode(payload: Payload) -> bytes:
    return _ENCODER.encode(payload)


def decode(data: bytes) -> Payload:
    return _DECODER.decode(data)
