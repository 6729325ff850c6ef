"""The verb registry: each verb's typed parameters, options and handler.

Built-in verbs register themselves from :mod:`pt_tui.core.query.verbs`; plugins add verbs with
:func:`register_verb`. The parser validates a query against these specs, so a handler receives
converted values and resolved entities.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pt_tui.core.model import Node
from pt_tui.core.query.result import Output
from pt_tui.core.query.syntax import Value
from pt_tui.core.query.types import Entity, ValueType

if TYPE_CHECKING:
    from pt_tui.core.isg import ISG
    from pt_tui.core.query.indexes import QueryIndex


@dataclass(frozen=True)
class Param:
    """A positional parameter. Optional ones must come after the required ones."""

    name: str
    type: ValueType
    help: str = ""
    required: bool = True
    default: Value | None = None


@dataclass(frozen=True)
class Option:
    """A ``--name value`` option with its default."""

    name: str
    type: ValueType
    default: Value | None = None
    help: str = ""


@dataclass
class Call:
    """One stage ready to run: converted values, resolved entities and the previous stage's nodes."""

    isg: ISG
    index: QueryIndex
    root: Path | None
    values: dict[str, Value | None]
    entities: dict[str, list[Node]]
    inputs: list[Node] | None  # None for the first stage of a pipeline
    columns: dict[str, int] = field(default_factory=dict)  # where each given argument was written

    def integer(self, name: str) -> int:
        value = self.values[name]
        assert isinstance(value, int)
        return value

    def optional_integer(self, name: str) -> int | None:
        value = self.values[name]
        assert value is None or isinstance(value, int)
        return value

    def text(self, name: str) -> str:
        value = self.values[name]
        assert isinstance(value, str)
        return value

    def words(self, name: str) -> tuple[str, ...]:
        value = self.values[name]
        assert value is None or isinstance(value, tuple)
        return value or ()

    def nodes(self, name: str) -> list[Node]:
        return self.entities[name]


Handler = Callable[[Call], Output]


@dataclass(frozen=True)
class VerbSpec:
    """A verb: ``feeds`` names the entity parameter a later pipeline stage may omit (it then takes
    the previous stage's entities); ``takes_input`` lets a verb without one read them anyway
    (``search`` filters them)."""

    name: str
    handler: Handler
    params: tuple[Param, ...] = ()
    options: tuple[Option, ...] = ()
    help: str = ""
    feeds: str | None = None
    takes_input: bool = False
    option_map: dict[str, Option] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "option_map", {o.name: o for o in self.options})
        names = [p.name for p in self.params] + [o.name for o in self.options]
        if len(set(names)) != len(names):
            raise ValueError(f"verb {self.name!r}: duplicate parameter names")
        seen_optional = False
        for p in self.params:
            if not p.required:
                seen_optional = True
            elif seen_optional:
                raise ValueError(f"verb {self.name!r}: required parameter {p.name!r} after an optional one")
        if self.feeds is not None:
            fed = next((p for p in self.params if p.name == self.feeds), None)
            if fed is None or not isinstance(fed.type, Entity):
                raise ValueError(f"verb {self.name!r}: feeds must name an entity parameter")

    @property
    def accepts_input(self) -> bool:
        return self.feeds is not None or self.takes_input

    def usage(self) -> str:
        parts = [self.name]
        for p in self.params:
            word = p.name.upper()
            parts.append(word if p.required else f"[{word}]")
        parts.extend(f"[--{o.name} {o.type.name.upper()}]" for o in self.options)
        return " ".join(parts)


VERBS: dict[str, VerbSpec] = {}


def register_verb(spec: VerbSpec, *, replace: bool = False) -> VerbSpec:
    """Add a verb. Registering an existing name needs ``replace=True``."""
    if not spec.name or any(ch.isspace() or ch in "|\"'" for ch in spec.name) or spec.name.startswith("-"):
        raise ValueError(f"invalid verb name {spec.name!r}")
    if spec.name in VERBS and not replace:
        raise ValueError(f"verb {spec.name!r} is already registered")
    VERBS[spec.name] = spec
    return spec


def unregister_verb(name: str) -> None:
    VERBS.pop(name, None)


# Last, once every name above exists: the built-in verbs import this module and register themselves,
# so whoever reaches the registry (directly or through ``pt_tui.core.query``) finds them there.
importlib.import_module("pt_tui.core.query.verbs")
