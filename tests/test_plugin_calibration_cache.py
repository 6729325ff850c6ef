"""Accepted calibrations are stored in the cache dir: a new process (here: the memory cache cleared)
loads a known artifact without measuring it again."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from pt_tui.sandbox import loader
from pt_tui.sandbox.api import PerformanceBudget
from pt_tui.sandbox.budget import Calibration, calibration_path
from pt_tui.sandbox.errors import BudgetRejected
from pt_tui.sandbox.loader import LoadOptions, forget_calibrations, load_plugin

FAN_IN = Path(__file__).resolve().parents[1] / "plugins" / "wat" / "fan-in"
DEAD_CODE = Path(__file__).resolve().parents[1] / "plugins" / "rust" / "dead-code"


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the plugins calibration measured and accepted (the real measurement still runs; a
    round refused on a busy machine and measured again counts once)."""
    calls: list[str] = []
    real = loader.calibrate

    def counting(plugin: object, **kwargs: object) -> Calibration:
        report = real(plugin, **kwargs)  # type: ignore[arg-type]
        calls.append(getattr(plugin, "name", "?"))
        return report

    monkeypatch.setattr(loader, "calibrate", counting)
    forget_calibrations()
    yield calls
    forget_calibrations()


def test_second_load_reads_the_stored_calibration(measured: list[str], tmp_path: Path) -> None:
    first = load_plugin(FAN_IN, grants=None, trust=None, dev=True)
    first.close()
    assert measured == ["fan-in"]
    path = calibration_path(first.sha256, first.budget, first.manifest.tier, loader.RUNS)
    assert path.is_file() and path.parent.name == "calibration"
    forget_calibrations()  # what a restart does to the memory cache
    second = load_plugin(FAN_IN, grants=None, trust=None, dev=True)
    second.close()
    assert measured == ["fan-in"]  # not measured again
    assert second.calibration == first.calibration


def test_another_budget_or_run_count_is_measured_again(measured: list[str]) -> None:
    load_plugin(FAN_IN, grants=None, trust=None, dev=True).close()
    forget_calibrations()
    override = PerformanceBudget(max_query_time_us=400, max_memory_mb=4, max_cpu_percent=50)
    load_plugin(
        FAN_IN, grants=None, trust=None, dev=True, options=LoadOptions(budget_override=override)
    ).close()
    forget_calibrations()
    load_plugin(FAN_IN, grants=None, trust=None, dev=True, options=LoadOptions(calibration_runs=20)).close()
    assert measured == ["fan-in"] * 3


def test_a_corrupt_or_no_longer_accepted_entry_is_measured_again(measured: list[str]) -> None:
    loaded = load_plugin(FAN_IN, grants=None, trust=None, dev=True)
    loaded.close()
    path = calibration_path(loaded.sha256, loaded.budget, loaded.manifest.tier, loader.RUNS)
    path.write_bytes(b"{not json")
    forget_calibrations()
    load_plugin(FAN_IN, grants=None, trust=None, dev=True).close()
    assert len(measured) == 2
    assert msgspec.json.decode(path.read_bytes(), type=Calibration).plugin == "fan-in"  # rewritten
    # a stored report over the (stricter) reject factor is not trusted: measured again
    report = msgspec.json.decode(path.read_bytes(), type=Calibration)
    slow = msgspec.structs.replace(
        report, verbs=tuple(msgspec.structs.replace(v, p99_us=1e9) for v in report.verbs)
    )
    path.write_bytes(msgspec.json.encode(slow))
    forget_calibrations()
    load_plugin(FAN_IN, grants=None, trust=None, dev=True).close()
    assert len(measured) == 3


def test_a_refusal_is_not_stored(measured: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(plugin: object, **kwargs: object) -> Calibration:
        measured.append("refused")
        raise BudgetRejected("fan-in: too slow")

    monkeypatch.setattr(loader, "calibrate", refuse)
    with pytest.raises(BudgetRejected):
        load_plugin(FAN_IN, grants=None, trust=None, dev=True)
    cache = calibration_path("x", PerformanceBudget(), "wasm", loader.RUNS).parent
    assert not cache.exists() or not list(cache.iterdir())


def test_a_fresh_process_loads_without_measuring(tmp_path: Path) -> None:
    """Two processes sharing the cache dir (the conftest's): the second one does not calibrate."""
    script = (
        "import sys\n"
        "from pt_tui.sandbox import loader\n"
        "real = loader.calibrate\n"
        "def spy(*a, **k):\n"
        "    print('MEASURED', flush=True)\n"
        "    return real(*a, **k)\n"
        "loader.calibrate = spy\n"
        f"loader.load_plugin({str(FAN_IN)!r}, grants=None, trust=None, dev=True).close()\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
        )
        for _ in range(2)
    ]
    assert "MEASURED" in runs[0].stdout
    assert "MEASURED" not in runs[1].stdout


def test_calibration_gives_a_wasm_plugin_its_own_fuel_rate(
    measured: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rate measured over the calibration's calls becomes the plugin's (and is stored with it)."""
    from pt_tui.sandbox.wasm import host, runtime
    from pt_tui.sandbox.wasm.host import FUEL_SLACK

    monkeypatch.setattr(host, "MIN_SAMPLE_CALL_NS", 1)  # dead-code's calls may be short on a fast machine

    first = load_plugin(DEAD_CODE, grants=None, trust=None, dev=True)
    rate = first.calibration.fuel_per_us if first.calibration else None
    assert rate is not None and runtime.MIN_FUEL_PER_US <= rate <= runtime.max_fuel_per_us()
    backend = first.plugin.backend
    assert backend.fuel_per_us == rate
    assert backend._fuel() == int(first.budget.max_query_time_us * rate * FUEL_SLACK) + 100_000
    first.close()
    forget_calibrations()
    second = load_plugin(DEAD_CODE, grants=None, trust=None, dev=True)  # from the stored calibration
    assert measured == ["dead-code"] and second.plugin.backend.fuel_per_us == rate
    second.close()


def test_short_calls_keep_the_engines_fuel_rate(measured: list[str]) -> None:
    """fan-in's calls take a few us: too short to tell its rate from the call's fixed cost."""
    loaded = load_plugin(FAN_IN, grants=None, trust=None, dev=True)
    assert loaded.calibration is not None and loaded.calibration.fuel_per_us is None
    assert loaded.plugin.backend.fuel_per_us is None
    loaded.close()
