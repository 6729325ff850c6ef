"""The plugin object the manager sees for an ABI plugin (a wasm module or a shared library).

It implements :class:`~pt_tui.sandbox.api.QueryPlugin` and :class:`~pt_tui.sandbox.api.ContextPlugin`
on top of a *backend* that moves bytes: the backend copies the graph view and the request in, makes
the one call and hands back the raw result bytes; this class encodes requests, decodes the untrusted
result (:func:`~pt_tui.sandbox.wasm.abi.decode_result`) and turns node indices back into nodes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pt_tui.core.query.result import Output, ResultRow
from pt_tui.sandbox.api import (
    Capability,
    Context,
    PerformanceBudget,
    PerformanceImpact,
    PluginCapabilities,
    QueryRequest,
    QueryType,
)
from pt_tui.sandbox.errors import PluginError, PluginViolation, ViolationKind
from pt_tui.sandbox.wasm import abi
from pt_tui.sandbox.wasm.host import read_source
from pt_tui.sandbox.wasm.view import GraphView, ViewImage, graph_view

if TYPE_CHECKING:
    from pt_tui.core.isg import ISG
    from pt_tui.core.model import Node
    from pt_tui.sandbox.manifest import Manifest


class Backend(Protocol):
    """Moves bytes in and out of one plugin; raises PluginViolation when the plugin misbehaves."""

    source_reader: Callable[[int], bytes | None] | None

    def columns_mask(self) -> int: ...

    def call(
        self,
        kind: str,
        view: object | None,
        image: ViewImage | None,
        build_request: Callable[[int, int], bytes],
    ) -> bytes: ...

    def discard(self) -> None: ...


class AbiPlugin:
    """A wasm module or shared library behind the plugin Protocols."""

    def __init__(
        self,
        manifest: Manifest,
        backend: Backend,
        *,
        granted: frozenset[Capability],
        budget: PerformanceBudget,
        tier: str,
        sha256: str,
        root: Path | Callable[[], Path | None] | None = None,
    ) -> None:
        self.manifest = manifest
        self.name = manifest.name
        self.version = manifest.version
        self.tier = tier
        self.sha256 = sha256
        self.backend = backend
        self.granted = granted
        self.budget = budget
        self.root = root
        self.load_ms = 0.0
        self.load_source = ""  # "cache" or "compiled" for wasm, "dlopen" for shared libraries
        self._mask = abi.WANT_ALL
        self._view: GraphView | None = None
        self._times: deque[float] = deque(maxlen=256)
        backend.source_reader = self._read_source

    # -- Plugin --------------------------------------------------------------------------------

    def performance_budget(self) -> PerformanceBudget:
        return self.budget

    def capabilities(self) -> PluginCapabilities:
        return self.manifest.declared()

    def query_types(self) -> Sequence[QueryType]:
        return self.manifest.query_types

    def context_formats(self) -> Sequence[str]:
        return self.manifest.context_formats

    def performance_impact(self) -> PerformanceImpact:
        times = sorted(self._times)
        typical = int(times[len(times) // 2]) if times else 0
        notes = f"{self.tier} plugin; {'measured over the last calls' if times else 'not measured yet'}"
        memory = self.budget.max_memory_mb
        return PerformanceImpact(typical_query_time_us=typical, memory_mb=memory, notes=notes)

    def prepare(self, isg: ISG | None = None) -> None:
        """Instantiate now and read the plugin's column mask (load-time checks, not first-query ones).

        The manager passes the current graph: its view is then built here, during the load or
        hot-swap, instead of inside the first query's budget.
        """
        self._mask = self.backend.columns_mask()
        if isg is not None:
            self._view_for(isg)

    # -- calls ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Drop the live instance (the next call would re-create it)."""
        self.backend.discard()

    def _read_source(self, index: int) -> bytes | None:
        view = self._view
        if view is None or index >= view.node_count:
            return None
        root = self.root() if callable(self.root) else self.root
        return read_source(root, view.nodes[index])

    def _view_for(self, isg: ISG) -> tuple[GraphView, ViewImage | None]:
        view = graph_view(isg)
        self._view = view
        image = view.image(self._mask) if Capability.GRAPH_READ in self.granted else None
        return view, image

    def _call(
        self, kind: str, isg: ISG, build: Callable[[GraphView, int, int], bytes], limit: int
    ) -> tuple[GraphView, abi.DecodedResult]:
        started = time.perf_counter()
        view, data = self._view_for(isg)

        def request(addr: int, length: int) -> bytes:
            return build(view, addr, length)

        raw = self.backend.call(kind, (view, self._mask), data, request)
        try:
            result = abi.decode_result(raw, node_count=view.node_count, limit=limit)
        except abi.Malformed as exc:
            self.backend.discard()
            raise PluginViolation(self.name, ViolationKind.MALFORMED, str(exc)) from None
        self._times.append((time.perf_counter() - started) * 1e6)
        if result.status == abi.STATUS_ERROR:
            raise PluginError(f"{self.name}: {result.text or 'the plugin refused the request'}")
        return view, result

    def execute_query(self, query: QueryRequest, isg: ISG) -> Output:
        limit = max(0, query.limit)

        def build(view: GraphView, addr: int, length: int) -> bytes:
            return abi.encode_request(
                verb=query.verb,
                view_addr=addr,
                view_len=length,
                limit=limit,
                args=query.args,
                entities={k: view.indices(v) for k, v in query.entities.items()},
                inputs=None if query.inputs is None else view.indices(query.inputs),
            )

        view, result = self._call("query", isg, build, limit)
        nodes = view.nodes
        rows = [
            ResultRow(node=nodes[r.node], distance=r.distance, via=r.via, detail=r.detail)
            for r in result.rows
        ]
        return Output(rows=rows, text=result.text, notes=result.notes)

    def generate_context(self, entity: Node, isg: ISG) -> Context:
        fmt = self.manifest.context_formats[0] if self.manifest.context_formats else "text"

        def build(view: GraphView, addr: int, length: int) -> bytes:
            return abi.encode_request(
                verb=fmt,
                view_addr=addr,
                view_len=length,
                limit=0,
                args={},
                entities={},
                inputs=view.indices([entity.id]),
                context=True,
            )

        _, result = self._call("context", isg, build, 0)
        return Context(format=fmt, text=result.text, data={"notes": result.notes} if result.notes else {})
