"""Native Python plugins: a class from a plugin folder, loaded in-process after the trust check.

The folder is imported as a private package (``_pt_tui_plugins.p_<name>_<sha12>``), so two versions
of one plugin can live side by side during a hot-swap, and modules of the folder import each other
relatively (``from . import helpers``). ``entry = "module:Class"``; a constructor with one parameter
receives the :class:`~pt_tui.sandbox.host.PluginHost`.

Loading needs ``TrustPolicy.check`` to approve the folder's sha256, except for development plugins
(``dev=True``: the user's own folder, marked untrusted wherever it is shown). Calls are measured by the
manager, like every tier's.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pt_tui.sandbox.api import (
    Capability,
    Context,
    PerformanceBudget,
    PerformanceImpact,
    PluginCapabilities,
    QueryOutput,
    QueryRequest,
    QueryType,
)
from pt_tui.sandbox.errors import CapabilityRefused, PluginError, TrustError
from pt_tui.sandbox.host import PluginHost
from pt_tui.sandbox.manifest import Manifest
from pt_tui.sandbox.trust import TrustPolicy, require_trust

if TYPE_CHECKING:
    from pt_tui.core.diff import GraphDiff
    from pt_tui.core.isg import ISG
    from pt_tui.core.model import Node

PACKAGE = "_pt_tui_plugins"


class PythonPlugin:
    """Adapter giving any loaded Python plugin the full Plugin / QueryPlugin / ContextPlugin surface.

    The manifest is authoritative for name, version, verbs, formats, capabilities and budget.
    """

    def __init__(
        self, manifest: Manifest, instance: Any, *, budget: PerformanceBudget, granted: frozenset[Capability]
    ) -> None:
        self.manifest = manifest
        self.instance = instance
        self.name = manifest.name
        self.version = manifest.version
        self.granted = granted
        self._budget = budget
        hook = getattr(instance, "on_graph_update", None)
        self.has_update_hook = callable(hook)

    def performance_budget(self) -> PerformanceBudget:
        return self._budget

    def capabilities(self) -> PluginCapabilities:
        return self.manifest.declared()

    def query_types(self) -> Sequence[QueryType]:
        return self.manifest.query_types

    def performance_impact(self) -> PerformanceImpact:
        method = getattr(self.instance, "performance_impact", None)
        value = method() if callable(method) else None
        return value if isinstance(value, PerformanceImpact) else PerformanceImpact()

    def execute_query(self, query: QueryRequest, isg: ISG) -> QueryOutput:
        result: QueryOutput = self.instance.execute_query(query, isg)
        return result

    def context_formats(self) -> Sequence[str]:
        return self.manifest.context_formats

    def generate_context(self, entity: Node, isg: ISG) -> Context:
        result: Context = self.instance.generate_context(entity, isg)
        return result

    def prepare(self, isg: ISG) -> None:
        """Let the plugin build its per-graph caches outside any query's budget (optional hook)."""
        method = getattr(self.instance, "prepare", None)
        if callable(method):
            method(isg)

    def on_graph_update(self, diff: GraphDiff) -> None:
        if self.has_update_hook:
            self.instance.on_graph_update(diff)

    def handover_state(self) -> Any:
        method = getattr(self.instance, "handover_state", None)
        return method() if callable(method) else None

    def accept_state(self, state: Any) -> None:
        method = getattr(self.instance, "accept_state", None)
        if callable(method) and state is not None:
            method(state)

    def close(self) -> None:
        method = getattr(self.instance, "close", None)
        if callable(method):
            method()


def _package_for(manifest: Manifest, folder: Path, sha256: str) -> str:
    if PACKAGE not in sys.modules:
        root = types.ModuleType(PACKAGE)
        root.__path__ = []
        sys.modules[PACKAGE] = root
    name = f"{PACKAGE}.p_{manifest.name.replace('-', '_')}_{sha256[:12]}"
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package = importlib.util.module_from_spec(spec)
        package.__path__ = [str(folder.resolve())]
        sys.modules[name] = package
    return name


def import_entry(manifest: Manifest, folder: Path, sha256: str) -> type[Any]:
    """The plugin class named by ``artifact.entry``; any import problem is a :class:`PluginError`."""
    entry = manifest.artifact.entry
    if entry is None:
        raise PluginError(f"{manifest.name}: no artifact.entry")
    module_name, _, class_name = entry.partition(":")
    full = (
        module_name if manifest.tier == "core" else f"{_package_for(manifest, folder, sha256)}.{module_name}"
    )
    try:
        module = importlib.import_module(full)
    except Exception as exc:
        raise PluginError(
            f"{manifest.name}: cannot import {module_name}: {type(exc).__name__}: {exc}"
        ) from exc
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise PluginError(f"{manifest.name}: {entry}: no class {class_name!r} in the module")
    return cls


def load(
    manifest: Manifest,
    folder: Path,
    *,
    sha256: str,
    granted: frozenset[Capability],
    budget: PerformanceBudget,
    trust: TrustPolicy | None,
    dev: bool = False,
    host: PluginHost | None = None,
) -> PythonPlugin:
    """Import, check and instantiate a Python plugin (tier native with an entry, or core)."""
    if manifest.tier == "native" and not dev:
        if trust is None:
            raise TrustError(f"{manifest.name}: native plugins need a trust policy (or --dev for your own)")
        require_trust(trust, manifest.name, manifest.version, sha256)
    cls = import_entry(manifest, folder, sha256)
    host = host or PluginHost(manifest.name, declared=manifest.capabilities, granted=granted)
    try:
        takes_host = len(inspect.signature(cls).parameters) >= 1
    except (TypeError, ValueError):
        takes_host = False
    try:
        instance = cls(host) if takes_host else cls()
    except CapabilityRefused:
        raise
    except Exception as exc:
        raise PluginError(f"{manifest.name}: {cls.__name__}() failed: {type(exc).__name__}: {exc}") from exc
    _check_surface(manifest, instance)
    return PythonPlugin(manifest, instance, budget=budget, granted=granted)


def _check_surface(manifest: Manifest, instance: Any) -> None:
    method = "execute_query" if manifest.kind == "query" else "generate_context"
    if not callable(getattr(instance, method, None)):
        raise PluginError(f"{manifest.name}: a {manifest.kind} plugin defines {method}()")
    caps = getattr(instance, "capabilities", None)
    if callable(caps):
        claimed = caps()
        wanted = claimed.declared if isinstance(claimed, PluginCapabilities) else frozenset()
        for cap in sorted(wanted - manifest.capabilities):
            raise CapabilityRefused(
                manifest.name, cap.value, "asked for by the plugin but not declared in plugin.toml"
            )
