"""The plugin API: what every plugin declares and the calls the host makes on it.

A plugin is any object with ``name``, ``version``, ``performance_budget()`` and ``capabilities()``.
A :class:`QueryPlugin` adds verbs to the query language; a :class:`ContextPlugin` adds formats to
``context``. The same Protocols are implemented by every tier: core (built-in verbs), native (a
Python class or a shared library) and WASM (a wasmtime instance behind an adapter).

Python plugins may declare their budget with :func:`performance_contract` instead of writing
``performance_budget()`` by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import msgspec

from pt_tui.core.query.result import Output

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.isg import ISG
    from pt_tui.core.model import Node

#: What a query plugin returns: rows of entities, text, structured data and notes.
QueryOutput = Output


class Capability(StrEnum):
    """The host services a plugin may ask for. WASM plugins may never have ``fs.read`` or ``net``."""

    GRAPH_READ = "graph.read"  # the graph view (nodes, names, edges)
    SOURCE_READ = "source.read"  # source text of entities, through the host
    LOG = "log"  # write log lines the host shows
    CLOCK = "clock"  # a monotonic clock
    FS_READ = "fs.read"  # native only: read files under the indexed root
    NET = "net"  # native only: network access

    @property
    def wasm_allowed(self) -> bool:
        return self not in (Capability.FS_READ, Capability.NET)


class PerformanceBudget(msgspec.Struct, frozen=True, kw_only=True):
    """The most a plugin may take per call. The host validates it at load and enforces it at run time."""

    max_query_time_us: int = 1000
    max_memory_mb: float = 5.0
    max_cpu_percent: float = 100.0


class PluginCapabilities(msgspec.Struct, frozen=True, kw_only=True):
    """Capabilities a plugin declares; it gets only those the user also granted for its artifact."""

    declared: frozenset[Capability] = frozenset()

    def __contains__(self, item: object) -> bool:
        return item in self.declared


class PerformanceImpact(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin's own estimate of its cost, shown to the user before it is enabled."""

    typical_query_time_us: int = 0
    memory_mb: float = 0.0
    notes: str = ""


class ParamSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A verb parameter a plugin adds. ``type`` is one of ``entity``, ``text``, ``int``, ``kind``."""

    name: str
    type: str = "text"
    required: bool = True
    default: str | int | None = None
    help: str = ""


class QueryType(msgspec.Struct, frozen=True, kw_only=True):
    """A verb a plugin adds to the query language.

    ``takes_input``: the verb reads the previous pipeline stage's entities (``callers X | dead-code``).
    ``feeds`` names the entity parameter a later stage may omit, as for built-in verbs.
    """

    name: str
    help: str = ""
    params: tuple[ParamSpec, ...] = ()
    options: tuple[ParamSpec, ...] = ()
    takes_input: bool = False
    feeds: str | None = None


class QueryRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One call to a query plugin: the verb, its converted arguments, and its input entities.

    ``entities`` maps each entity parameter to the ids it resolved to; ``inputs`` holds the ids out of
    the previous pipeline stage (None for a first stage).
    """

    verb: str
    args: dict[str, str | int | tuple[str, ...] | None] = {}
    entities: dict[str, tuple[str, ...]] = {}
    inputs: tuple[str, ...] | None = None
    limit: int = 1000


class Context(msgspec.Struct, frozen=True, kw_only=True):
    """What a context plugin returns for one entity."""

    format: str
    text: str
    data: dict[str, Any] = {}


@runtime_checkable
class Plugin(Protocol):
    name: str
    version: str

    def performance_budget(self) -> PerformanceBudget: ...

    def capabilities(self) -> PluginCapabilities: ...


@runtime_checkable
class QueryPlugin(Plugin, Protocol):
    def query_types(self) -> Sequence[QueryType]: ...

    def execute_query(self, query: QueryRequest, isg: ISG) -> QueryOutput: ...

    def performance_impact(self) -> PerformanceImpact: ...


@runtime_checkable
class ContextPlugin(Plugin, Protocol):
    def context_formats(self) -> Sequence[str]: ...

    def generate_context(self, entity: Node, isg: ISG) -> Context: ...


@runtime_checkable
class GraphUpdateHook(Protocol):
    """Optional: called after each applied graph change; must return inside the 12 ms update window."""

    def on_graph_update(self, diff: GraphDiff) -> None: ...


_CONTRACT_ATTR = "__pt_tui_budget__"
T = TypeVar("T")


def performance_contract(
    *, max_query_time_us: int = 1000, max_memory_mb: float = 5.0, max_cpu_percent: float = 100.0
) -> Callable[[T], T]:
    """Declare a Python plugin class's budget: ``@performance_contract(max_query_time_us=500)``.

    The class then needs no ``performance_budget()`` of its own; :func:`declared_budget` reads it.
    """
    budget = PerformanceBudget(
        max_query_time_us=max_query_time_us, max_memory_mb=max_memory_mb, max_cpu_percent=max_cpu_percent
    )

    def mark(cls: T) -> T:
        setattr(cls, _CONTRACT_ATTR, budget)
        if not hasattr(cls, "performance_budget"):
            setattr(cls, "performance_budget", _budget_from_contract)  # noqa: B010 - T is any class
        return cls

    return mark


def _budget_from_contract(self: object) -> PerformanceBudget:
    budget: PerformanceBudget = getattr(self, _CONTRACT_ATTR)
    return budget


def declared_budget(plugin: object) -> PerformanceBudget | None:
    """The budget a plugin declared by decorator or method, or None if it declared none."""
    budget = getattr(plugin, _CONTRACT_ATTR, None)
    if isinstance(budget, PerformanceBudget):
        return budget
    method = getattr(plugin, "performance_budget", None)
    if callable(method):
        value = method()
        if isinstance(value, PerformanceBudget):
            return value
    return None
