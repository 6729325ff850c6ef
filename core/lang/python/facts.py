"""The Python payload: what extraction learnt of one file, unresolved, as msgspec Structs.

References are *chains*: a tuple of string steps read left to right. The head is one of

- ``name``         a name looked up from the scope the chain belongs to;
- ``^name``        a name looked up from the scope's parent (parameter defaults and annotations);
- ``&k:name``      a name looked up from scope ``k`` of the same file (``global x; x = f()``);
- ``@<node id>``   a definition of this file bound by its def or class statement (a decorated
                   def: what its decorators return);
- ``*<node id>``   ``self``: an instance of that class or of any subclass (overrides count);
- ``!<node id>``   a lambda expression (a value like any other: bound names reach it ``inferred``);
- ``%a.b``         the module imported as ``a.b`` (absolute, relative imports already resolved);
- ``#str``, ...    a literal of a builtin type (its methods are builtin methods);
- ``<super>`` / ``<super>C``  ``super()`` / ``super(C, self)``;
- ``?``            anything else (unknown).

and each later step is ``.attr`` (attribute), ``()`` (call result) or ``[key]`` (subscript, with
``key`` normalised to ``s:text`` / ``i:number``, empty when not a literal; ``[~]``: an item met
iterating, as in ``for x in xs``).

Scopes and the file are encoded ``array_like`` (fields by position, trailing defaults left out):
the payload stays in memory for every file, and the field names repeated per scope cost 11% of it
(``Coll`` stays a map: a union with a tuple allows no other array-like type).
"""

from __future__ import annotations

import msgspec

Chain = tuple[str, ...]
#: First characters of the heads that are not plain names.
SPECIAL_HEADS = frozenset("@!%#?^<&*")


class Coll(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """A dict, list or tuple literal: its literal keys (``""`` when unknown) and values."""

    keys: tuple[str, ...] = ()
    values: tuple[Chain, ...] = ()


#: One value assigned to a name: a chain, or a literal collection of chains.
Value = Chain | Coll


class Call(msgspec.Struct, array_like=True, gc=False):
    callee: Chain
    line: int
    args: tuple[Chain, ...]  # positional arguments in order (() where unknown); cut at the first *splat
    kwargs: dict[str, Chain]
    synthetic: bool = False  # implicit (@dec applied to a def, `raise C`): not counted, no fallback


class Use(msgspec.Struct, array_like=True, gc=False):
    ref: Chain  # a type reference (annotation, isinstance); must resolve to a class
    line: int


class Scope(msgspec.Struct, kw_only=True, omit_defaults=True, array_like=True, gc=False):
    """A module, class, function, method or lambda: what it binds and what it references."""

    node: str  # node id
    kind: str  # NodeKind value
    name: str
    parent: int = -1  # index of the enclosing scope in this file (-1 for the module)
    line: int = 0
    bindings: dict[str, list[Value]] = {}  # every name bound here (an empty list: bound, value unknown)
    params: list[str] = []  # positional parameters in order (self/cls included)
    kwonly: list[str] = []
    flow_params: list[str] = []  # parameters referenced in this scope or nested ones (argument flow)
    static: bool = False  # @staticmethod
    classmethod: bool = False
    calls: list[Call] = []
    uses: list[Use] = []
    returns: list[Value] = []
    bases: list[Chain] = []  # class bases, looked up from the parent scope
    base_lines: list[int] = []
    attrs: dict[str, list[tuple[int, Value]]] = {}  # class: self.<attr> = value, (scope index, value)
    stars: list[str] = []  # modules star-imported here
    all_names: list[str] | None = None  # module: a literal __all__
    decorated: Chain = ()  # function: what its decorators return (its name is bound to that)


class Import(msgspec.Struct, array_like=True, gc=False):
    module: str  # absolute dotted path ("" when a relative import climbs above the root)
    names: list[str] | None  # from-import names; None for `import a.b` / star imports
    line: int


class PyFacts(msgspec.Struct, kw_only=True, array_like=True, gc=False):
    scopes: list[Scope]
    imports: list[Import] = []


ENCODER = msgspec.msgpack.Encoder()
DECODER = msgspec.msgpack.Decoder(PyFacts)
