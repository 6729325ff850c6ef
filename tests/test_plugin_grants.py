"""Capability grants (per sha256, atomic file), the trust check, budgets against tier ceilings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pt_tui.sandbox.api import Capability, PerformanceBudget
from pt_tui.sandbox.budget import calibrate, tighten, validate_budget
from pt_tui.sandbox.capabilities import Grants, grants_path, resolve_grants
from pt_tui.sandbox.errors import BudgetRejected, CapabilityRefused, PluginError, TrustError
from pt_tui.sandbox.loader import LoadOptions, load_plugin
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.tiers import python_native
from pt_tui.sandbox.trust import AllowAll, DenyAll, LocalApprovals, require_trust

PLUGINS = Path(__file__).resolve().parent.parent / "plugins" / "python"
SHA = "a" * 64
NO_CALIBRATION = LoadOptions(calibrate=False)


def test_grants_round_trip_and_keep_comments(tmp_path: Path) -> None:
    path = tmp_path / "grants.toml"
    grants = Grants(path)
    assert grants.granted(SHA) == frozenset()
    grants.grant(SHA, [Capability.GRAPH_READ, Capability.LOG], plugin="p")
    assert Grants(path).granted(SHA) == {Capability.GRAPH_READ, Capability.LOG}
    path.write_text("# my note\n" + path.read_text())
    grants.grant("b" * 64, [Capability.CLOCK])
    assert "# my note" in path.read_text()
    assert grants.revoke(SHA, [Capability.LOG]) == {Capability.GRAPH_READ}
    assert grants.revoke(SHA) == frozenset()
    assert SHA not in grants.entries() and "b" * 64 in grants.entries()
    assert not list(tmp_path.glob(".grants.toml.*"))  # no temporary file left behind


def test_grants_file_defaults_to_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PT_TUI_CONFIG_DIR", str(tmp_path / "cfg"))
    assert grants_path() == tmp_path / "cfg" / "grants.toml"
    Grants().grant(SHA, [Capability.GRAPH_READ])
    assert (tmp_path / "cfg" / "grants.toml").is_file()


def test_corrupt_grants_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "grants.toml"
    path.write_text("grants = [")
    with pytest.raises(PluginError, match=r"grants\.toml"):
        Grants(path).granted(SHA)


def test_resolve_grants_names_the_capability() -> None:
    declared = frozenset({Capability.GRAPH_READ, Capability.LOG})
    assert resolve_grants("p", "native", declared, declared | {Capability.NET}) == declared
    with pytest.raises(CapabilityRefused, match="'log'") as info:
        resolve_grants("p", "native", declared, frozenset({Capability.GRAPH_READ}))
    assert info.value.capability == "log"
    with pytest.raises(CapabilityRefused, match=r"'net'.*wasm"):
        resolve_grants("p", "wasm", frozenset({Capability.NET}), frozenset({Capability.NET}))


def test_local_approvals(tmp_path: Path) -> None:
    approvals = LocalApprovals(tmp_path / "approvals.toml")
    decision = approvals.check("p", "1.0.0", SHA)
    assert not decision.approved and decision.needed == 1
    with pytest.raises(TrustError, match="not approved"):
        require_trust(approvals, "p", "1.0.0", SHA)
    approvals.approve("p", "1.0.0", SHA, by="me")
    assert approvals.check("p", "1.0.0", SHA).approved
    other = approvals.check("p", "1.0.1", "c" * 64)
    assert not other.approved and "another version" in other.reason
    two = LocalApprovals(tmp_path / "approvals.toml", needed=2)
    assert not two.check("p", "1.0.0", SHA).approved
    two.approve("p", "1.0.0", SHA, by="you")
    assert two.check("p", "1.0.0", SHA).reviews == 2
    assert not DenyAll().check("p", "1", SHA).approved and AllowAll().check("p", "1", SHA).approved


def test_native_load_needs_trust_for_its_exact_sha(tmp_path: Path) -> None:
    folder = tmp_path / "hotspots"
    shutil.copytree(PLUGINS / "hotspots", folder)
    grants = Grants(tmp_path / "grants.toml")
    manifest = load_manifest(folder)
    sha = manifest.sha256(folder)
    grants.grant(sha, [Capability.GRAPH_READ])
    approvals = LocalApprovals(tmp_path / "approvals.toml")
    with pytest.raises(TrustError, match=r"hotspots 1.0.0"):
        load_plugin(folder, grants=grants, trust=approvals, options=NO_CALIBRATION)
    with pytest.raises(TrustError):
        load_plugin(folder, grants=grants, trust=None, options=NO_CALIBRATION)
    approvals.approve("hotspots", "1.0.0", sha)
    loaded = load_plugin(folder, grants=grants, trust=approvals, options=NO_CALIBRATION)
    assert loaded.sha256 == sha and not loaded.dev
    # a changed artifact is another sha256: neither trusted nor granted any more
    (folder / "hotspots.py").write_text((folder / "hotspots.py").read_text() + "\n# changed\n")
    with pytest.raises(CapabilityRefused, match=r"graph.read"):
        load_plugin(folder, grants=grants, trust=approvals, options=NO_CALIBRATION)
    grants.grant(load_manifest(folder).sha256(folder), [Capability.GRAPH_READ])
    with pytest.raises(TrustError):
        load_plugin(folder, grants=grants, trust=approvals, options=NO_CALIBRATION)


def test_dev_plugins_skip_trust_and_get_their_declared_capabilities() -> None:
    loaded = load_plugin(PLUGINS / "hotspots", grants=None, trust=DenyAll(), dev=True, options=NO_CALIBRATION)
    assert loaded.dev and loaded.granted == {Capability.GRAPH_READ}


def test_undeclared_capability_claimed_by_the_class_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "claims"
    shutil.copytree(PLUGINS / "hotspots", folder)
    source = folder / "hotspots.py"
    source.write_text(
        source.read_text()
        + "\n\ndef _caps(self):\n"
        + "    from pt_tui.sandbox.api import Capability, PluginCapabilities\n"
        + "    return PluginCapabilities(declared=frozenset({Capability.NET}))\n\n"
        + "Hotspots.capabilities = _caps\n"
    )
    with pytest.raises(CapabilityRefused, match=r"'net'.*not declared"):
        load_plugin(folder, grants=None, trust=None, dev=True, options=NO_CALIBRATION)


def test_budget_against_the_tier_ceiling() -> None:
    ok = PerformanceBudget(max_query_time_us=500, max_memory_mb=2.0)
    assert validate_budget("p", "wasm", ok) is ok
    with pytest.raises(BudgetRejected, match=r"max_query_time_us.*wasm ceiling"):
        validate_budget("p", "wasm", PerformanceBudget(max_query_time_us=999))
    with pytest.raises(BudgetRejected, match="max_memory_mb"):
        validate_budget("p", "native", PerformanceBudget(max_query_time_us=100, max_memory_mb=64))
    with pytest.raises(BudgetRejected, match="positive"):
        validate_budget("p", "core", PerformanceBudget(max_query_time_us=0))
    tight = tighten(ok, PerformanceBudget(max_query_time_us=100, max_memory_mb=9.0))
    assert tight.max_query_time_us == 100 and tight.max_memory_mb == 2.0


def _python_plugin(name: str) -> python_native.PythonPlugin:
    folder = PLUGINS / name
    m = load_manifest(folder)
    budget = m.performance_budget()
    return python_native.load(
        m, folder, sha256=m.sha256(folder), granted=m.capabilities, budget=budget, trust=None, dev=True
    )


def test_calibration_refuses_a_plugin_far_over_its_budget_with_the_numbers() -> None:
    slow = _python_plugin("slow-native")
    with pytest.raises(BudgetRejected, match=r"slow: measured p99 \d+ us .* over 3x its budget of 200 us"):
        calibrate(slow, budget=slow.performance_budget(), query_types=slow.query_types(), runs=10, warmup=1)


def test_calibration_measures_a_fast_plugin() -> None:
    fast = _python_plugin("largest")
    report = calibrate(fast, budget=fast.performance_budget(), query_types=fast.query_types(), runs=20)
    assert report.graph_nodes > 20_000
    (verb,) = report.verbs
    assert verb.verb == "largest" and verb.runs == 20 and verb.errors == 0
    assert 0 < verb.p50_us <= verb.p99_us <= verb.max_us


def test_calibration_counts_errors_without_judging_them() -> None:
    raising = _python_plugin("raising")
    report = calibrate(
        raising, budget=raising.performance_budget(), query_types=raising.query_types(), runs=5
    )
    assert report.verbs[0].errors == 5 + 3 and report.verbs[0].runs == 0
