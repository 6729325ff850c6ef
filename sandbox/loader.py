"""``load_plugin``: one plugin folder to a checked, ready :class:`LoadedPlugin`, whatever its tier.

Order: manifest (strict), artifact sha256, budget against the tier ceiling (tightened by the user's
override), capabilities (declared and granted for that sha256), trust (native tiers, in the tier's
loader), the tier's loader, then calibration on the synthetic graph (cached per sha256 and budget, in
memory and, when accepted, on disk).
Any failure raises a :class:`PluginError` subclass and leaves nothing behind.
"""

from __future__ import annotations

import importlib
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from pt_tui.sandbox.api import Capability, PerformanceBudget
from pt_tui.sandbox.budget import (
    RUNS,
    Calibration,
    calibrate,
    calibration_path,
    store_calibration,
    stored_calibration,
    tighten,
    validate_budget,
)
from pt_tui.sandbox.capabilities import Grants, resolve_grants
from pt_tui.sandbox.errors import BudgetRejected, PluginError, TrustError
from pt_tui.sandbox.host import PluginHost
from pt_tui.sandbox.manifest import Manifest, load_manifest
from pt_tui.sandbox.tiers import python_native
from pt_tui.sandbox.trust import TrustPolicy, require_trust


@dataclass
class LoadOptions:
    """Per-load settings the manager passes down (all optional)."""

    budget_override: PerformanceBudget | None = None
    run_in: str | None = None  # "process" | "worker"; None: the manifest's choice
    calibrate: bool = True
    calibration_runs: int = RUNS
    reject_factor: float = 3.0
    root: Callable[[], Path | None] = lambda: None
    worker_argv: Sequence[str] | None = None
    worker_slack_ms: float = 200.0


@dataclass
class LoadedPlugin:
    """One loaded version of a plugin: the adapter the host calls and what it was checked against."""

    manifest: Manifest
    folder: Path
    sha256: str
    plugin: Any  # QueryPlugin | ContextPlugin adapter of its tier
    budget: PerformanceBudget
    granted: frozenset[Capability]
    dev: bool
    run_in: str
    load_ms: float
    calibration: Calibration | None = None
    calls: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def tier(self) -> str:
        tier = self.manifest.tier
        return f"{tier}/worker" if self.run_in == "worker" else tier

    def close(self) -> None:
        close = getattr(self.plugin, "close", None)
        if callable(close):
            close()


#: Calibration outcomes by (sha256, budget us, tier): a report, or the refusal to raise again.
_CALIBRATED: dict[tuple[str, int, str], Calibration | BudgetRejected] = {}
_CALIBRATED_LOCK = threading.Lock()


def load_plugin(
    folder: str | Path,
    *,
    grants: Grants | None,
    trust: TrustPolicy | None,
    dev: bool = False,
    options: LoadOptions | None = None,
) -> LoadedPlugin:
    """Load the plugin in ``folder``; ``dev=True`` for the user's own local plugin (untrusted,
    its declared capabilities granted for this session)."""
    opts = options or LoadOptions()
    started = time.perf_counter()
    path = Path(folder).resolve()
    manifest = load_manifest(path)
    sha = manifest.sha256(path)
    # an installed version re-hashes against its install record on every load (a local folder
    # without a record is the developer's own and is left alone)
    from pt_tui.sandbox.registry.store import check_folder

    check_folder(path)
    budget = validate_budget(
        manifest.name, manifest.tier, tighten(manifest.performance_budget(), opts.budget_override)
    )
    if dev:
        granted = resolve_grants(manifest.name, manifest.tier, manifest.capabilities, manifest.capabilities)
    else:
        have = grants.granted(sha) if grants is not None else frozenset()
        granted = resolve_grants(manifest.name, manifest.tier, manifest.capabilities, have)
    run_in = opts.run_in or manifest.run_in
    if run_in == "worker":
        plugin = _load_in_worker(manifest, path, sha, granted, budget, trust, dev, opts)
    else:
        plugin = load_in_process(manifest, path, sha, granted, budget, trust, dev, opts)
    load_ms = (time.perf_counter() - started) * 1000
    loaded = LoadedPlugin(manifest, path, sha, plugin, budget, granted, dev, run_in, load_ms)
    if opts.calibrate and run_in == "process":
        try:
            loaded.calibration = _calibrate(loaded, opts)
        except BaseException:
            loaded.close()
            raise
    return loaded


def load_in_process(
    manifest: Manifest,
    folder: Path,
    sha: str,
    granted: frozenset[Capability],
    budget: PerformanceBudget,
    trust: TrustPolicy | None,
    dev: bool,
    opts: LoadOptions,
) -> Any:
    if manifest.is_python:
        host = PluginHost(manifest.name, declared=manifest.capabilities, granted=granted, root=opts.root)
        return python_native.load(
            manifest, folder, sha256=sha, granted=granted, budget=budget, trust=trust, dev=dev, host=host
        )
    if manifest.tier == "native":  # a shared library built from a reviewed wasm plugin's source
        if not dev:
            if trust is None:
                raise TrustError(f"{manifest.name}: native plugins need a trust policy")
            require_trust(trust, manifest.name, manifest.version, sha)
        loader = _tier_loader("pt_tui.sandbox.tiers.shared_lib", "shared-library native")
    else:
        loader = _tier_loader("pt_tui.sandbox.wasm", "wasm")
    return loader(manifest, folder, granted=granted, budget=budget)


def _tier_loader(module: str, what: str) -> Callable[..., Any]:
    try:
        loader = getattr(importlib.import_module(module), "load", None)
    except ImportError as exc:
        raise PluginError(f"the {what} tier is not available: {exc}") from exc
    if not callable(loader):
        raise PluginError(f"the {what} tier is not available: {module}.load is missing")
    return loader  # type: ignore[no-any-return]


def _load_in_worker(
    manifest: Manifest,
    folder: Path,
    sha: str,
    granted: frozenset[Capability],
    budget: PerformanceBudget,
    trust: TrustPolicy | None,
    dev: bool,
    opts: LoadOptions,
) -> Any:
    from pt_tui.sandbox.worker import WORKER_ARGV, WorkerPlugin

    if manifest.tier == "native" and not dev:  # the worker runs the code on our behalf: same rule
        if trust is None:
            raise TrustError(f"{manifest.name}: native plugins need a trust policy (or --dev for your own)")
        require_trust(trust, manifest.name, manifest.version, sha)
    argv = list(opts.worker_argv or WORKER_ARGV)
    plugin = WorkerPlugin(
        manifest,
        folder,
        argv=argv,
        granted=granted,
        budget=budget,
        slack_ms=opts.worker_slack_ms,
        root=opts.root(),
    )
    try:
        plugin.start()
    except BaseException:
        plugin.close()
        raise
    return plugin


def _calibrate(loaded: LoadedPlugin, opts: LoadOptions) -> Calibration:
    key = (loaded.sha256, loaded.budget.max_query_time_us, loaded.manifest.tier)
    with _CALIBRATED_LOCK:
        known = _CALIBRATED.get(key)
    if isinstance(known, BudgetRejected):
        raise BudgetRejected(str(known))
    if known is not None:
        return known
    m = loaded.manifest
    path = calibration_path(loaded.sha256, loaded.budget, m.tier, opts.calibration_runs)
    stored = stored_calibration(path, m.name, loaded.budget, opts.reject_factor)
    if stored is not None:
        with _CALIBRATED_LOCK:
            _CALIBRATED[key] = stored
        _set_fuel_rate(loaded, stored.fuel_per_us)
        return stored
    backend = getattr(loaded.plugin, "backend", None)
    sampler = backend if callable(getattr(backend, "start_fuel_sample", None)) else None
    for attempt in range(2):  # a refusal is confirmed by a second round: one busy moment does not decide
        try:
            if sampler is not None:
                sampler.start_fuel_sample()
            report = calibrate(
                loaded.plugin,
                budget=loaded.budget,
                query_types=m.query_types if m.kind == "query" else (),
                context_formats=m.context_formats if m.kind == "context" else (),
                runs=opts.calibration_runs,
                factor=opts.reject_factor,
            )
            break
        except BudgetRejected as exc:
            if attempt:
                with _CALIBRATED_LOCK:
                    _CALIBRATED[key] = exc
                raise
    if sampler is not None:
        report = msgspec.structs.replace(report, fuel_per_us=sampler.stop_fuel_sample())
        _set_fuel_rate(loaded, report.fuel_per_us)
    with _CALIBRATED_LOCK:
        _CALIBRATED[key] = report
    store_calibration(path, report)  # only an acceptance is kept: a refusal is measured again next run
    return report


def _set_fuel_rate(loaded: LoadedPlugin, rate: float | None) -> None:
    """Give a wasm plugin its own fuel rate, so its fuel allowance tracks its time budget."""
    backend = getattr(loaded.plugin, "backend", None)
    if rate and backend is not None and hasattr(backend, "fuel_per_us"):
        backend.fuel_per_us = rate


def forget_calibrations() -> None:
    """Drop the calibration outcomes cached in memory (a test, or a user who changed the machine's
    load); the accepted ones stored on disk stay (they live in the cache dir)."""
    with _CALIBRATED_LOCK:
        _CALIBRATED.clear()
