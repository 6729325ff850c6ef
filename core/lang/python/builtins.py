"""What the builtins provide, so resolution can tell a builtin from a missing definition.

Computed once from the running interpreter: the builtin names, and the method names of the builtin
types (the global fallback never links ``x.append()`` to the one ``append`` someone defined).
"""

from __future__ import annotations

import builtins
import io
import re
import types

BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__"}

_BUILTIN_TYPES: tuple[type, ...] = (
    object,
    type,
    list,
    dict,
    str,
    bytes,
    bytearray,
    memoryview,
    set,
    frozenset,
    tuple,
    int,
    float,
    complex,
    bool,
    range,
    slice,
    property,
    BaseException,
    io.TextIOWrapper,
    io.BufferedReader,
    io.BufferedWriter,
    io.BufferedRandom,
    io.FileIO,
    io.BytesIO,
    io.StringIO,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    type({}.keys()),
    type({}.values()),
    type({}.items()),
    re.Pattern,
    re.Match,
)

#: Method names of builtin types (dunders excluded: they are never linked by the fallback anyway).
BUILTIN_METHODS: frozenset[str] = frozenset(
    name for cls in _BUILTIN_TYPES for name in dir(cls) if not name.startswith("__")
)


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")
