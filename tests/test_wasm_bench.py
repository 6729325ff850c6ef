"""benchmarks/plugins_wasm.py's ``measure`` runs on a small graph and reports every figure."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import SimpleNamespace

from query_graphs import shop

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "plugins_wasm.py"


def test_measure_rows() -> None:
    spec = importlib.util.spec_from_file_location("plugins_wasm", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    before = os.environ.get("PT_TUI_CACHE_DIR")
    rows = bench.measure(SimpleNamespace(isg=shop()[0]), queries=5)
    assert os.environ.get("PT_TUI_CACHE_DIR") == before  # restored
    assert rows[0]["tier"] == "view" and rows[0]["view_bytes"] > 0
    assert len(rows[0]["generation_patch_ms"]) == 4 and len(rows[0]["generation_rebuild_ms"]) == 2
    assert rows[0]["generations_patched"] == 4  # every synthetic generation was patched, not rebuilt
    wasm_rows = [r for r in rows if r["tier"] == "wasm"]
    assert [r["plugin"].split(" ")[0] for r in wasm_rows] == ["wat/fan-in", "c/hotspots", "rust/dead-code"]
    for row in rows[1:]:
        assert row["load_cold_ms"] > 0 and row["load_warm_ms"] > 0
        assert row["floor_us"] > 0 and 0 < row["query_p50_us"] <= row["query_p99_us"]
    assert all("(compiled)" in r["plugin"] for r in wasm_rows)  # cold really compiled
    assert all(r["linear_mb"] > 0 and r["view_copy_us"] is not None for r in wasm_rows)
