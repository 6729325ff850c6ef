"""The WASM tier: plugins compiled to WebAssembly, run by wasmtime under fuel, deadline and memory caps.

:func:`load` turns a validated manifest into a plugin object (:class:`AbiPlugin`) that implements
the query or context Protocol. The ABI is described in ``docs/plugin-abi.md``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pt_tui.sandbox.api import Capability, PerformanceBudget
from pt_tui.sandbox.errors import PluginError
from pt_tui.sandbox.wasm import cache, runtime
from pt_tui.sandbox.wasm.adapter import AbiPlugin
from pt_tui.sandbox.wasm.host import WasmInstance, check_module

if TYPE_CHECKING:
    from pt_tui.sandbox.manifest import Manifest

__all__ = ["AbiPlugin", "load"]


def load(
    manifest: Manifest,
    folder: str | Path,
    *,
    granted: frozenset[Capability],
    budget: PerformanceBudget | None = None,
    tracker: object | None = None,
    root: Path | Callable[[], Path | None] | None = None,
    use_cache: bool = True,
) -> AbiPlugin:
    """Compile (or fetch from the cache), check imports and exports, instantiate, and wrap a wasm plugin.

    Raises :class:`CapabilityRefused` (naming the import) before instantiation for any import not
    declared and granted, :class:`PluginError` for an invalid module, and :class:`PluginViolation`
    if instantiation itself breaks a limit. ``tracker`` is accepted for the common loader shape; the
    manager records the calls. ``root`` (a path, or a callable giving the current one) is the indexed
    root the ``source`` host function reads.
    """
    del tracker
    started = time.perf_counter()
    if manifest.artifact.wasm is None:
        raise PluginError(f"{manifest.name}: the manifest names no artifact.wasm")
    path = Path(folder) / manifest.artifact.wasm
    try:
        wasm = path.read_bytes()
    except OSError as exc:
        raise PluginError(f"{manifest.name}: cannot read {path}: {exc.strerror or exc}") from None
    sha256 = hashlib.sha256(wasm).hexdigest()
    runtime.engine()
    try:
        module, source = cache.load_module(wasm, sha256, use_cache=use_cache)
    except Exception as exc:  # wasmtime raises WasmtimeError for invalid bytes
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PluginError(f"{manifest.name}: {path.name} is not a valid wasm module: {first}") from None
    linked = check_module(
        manifest.name, module, kind=manifest.kind, declared=manifest.capabilities, granted=granted
    )
    effective = budget or manifest.performance_budget()
    instance = WasmInstance(manifest.name, module, linked=linked, budget=effective)
    plugin = AbiPlugin(
        manifest, instance, granted=granted, budget=effective, tier="wasm", sha256=sha256, root=root
    )
    plugin.prepare()
    plugin.load_source = source
    plugin.load_ms = (time.perf_counter() - started) * 1e3
    return plugin
