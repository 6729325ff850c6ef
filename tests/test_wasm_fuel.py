"""Fuel at scale: a plugin whose compiled code burns fuel faster than the engine's tight loop is not
stopped inside its time budget (its rate is learnt and the call re-run once), while a runaway loop
is still a timeout, and a dense runaway is stopped after one re-run."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime
from query_graphs import shop
from test_wasm_host import PRELUDE  # the usual bump allocator

from pt_tui.sandbox import wasm
from pt_tui.sandbox.api import Capability, QueryRequest
from pt_tui.sandbox.errors import PluginViolation, ViolationKind
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.wasm import AbiPlugin, runtime
from pt_tui.sandbox.wasm.host import FUEL_SLACK, WasmInstance

PLUGINS = Path(__file__).resolve().parent.parent / "plugins" / "wat"
READ = frozenset({Capability.GRAPH_READ})
BUDGET_US = 800
#: Fuel per iteration of the dense loop below: 40 x (local.get, i32.const, i32.add, local.set) and
#: the counter (local.get, i32.const, i32.sub, local.tee, br_if); Cranelift folds the adds into
#: one, so this code burns fuel several times faster than the engine's calibration loop.
DENSE_STEP = 40 * 4 + 5


def dense_module(iterations: int | None) -> str:
    """A query plugin that spins ``iterations`` times (forever for None) in fuel-dense code, then
    answers an empty result."""
    adds = " ".join("(local.set $a (i32.add (local.get $a) (i32.const 3)))" for _ in range(40))
    count = (
        "(br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1))))"
        if iterations is not None
        else "(local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $top)"
    )
    return f"""(module{PRELUDE}
  (func (export "pt_query") (param $req i32) (param i32) (result i64) (local $n i32) (local $a i32)
    (local.set $n (i32.const {iterations or 1}))
    (loop $top {adds} {count})
    (i32.store (i32.const 8192) (i32.const 0x31525450))
    (i64.store (i32.const 8196) (i64.const 0))
    (i64.store (i32.const 8204) (i64.const 0))
    (i64.store (i32.const 8212) (i64.const 0))
    (i64.store (i32.const 8220) (i64.extend_i32_u (i32.and (local.get $a) (i32.const 0))))
    (i64.store offset=48 (local.get $req) (i64.const 8192))
    (i32.store offset=56 (local.get $req) (i32.const 32))
    (i64.const 0)))"""


def plugin(tmp_path: Path, wat: str) -> AbiPlugin:
    folder = tmp_path / "dense"
    folder.mkdir(exist_ok=True)
    (folder / "p.wasm").write_bytes(wasmtime.wat2wasm(wat))
    (folder / "plugin.toml").write_text(
        'name = "dense"\nversion = "1.0.0"\ntier = "wasm"\nkind = "query"\nabi_version = 1\n'
        'capabilities = ["graph.read"]\nquery_types = [{ name = "dense", takes_input = true }]\n'
        f'[artifact]\nwasm = "p.wasm"\n[budget]\nmax_query_time_us = {BUDGET_US}\nmax_memory_mb = 1.0\n'
    )
    return wasm.load(load_manifest(folder), folder, granted=READ, use_cache=False)


def backend(p: AbiPlugin) -> WasmInstance:
    b = p.backend
    assert isinstance(b, WasmInstance)
    return b


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def test_a_fuel_dense_plugin_inside_its_budget_is_not_stopped(tmp_path: Path) -> None:
    isg, _ = shop()
    allowance = int(BUDGET_US * runtime.fuel_per_us() * FUEL_SLACK) + 100_000
    # 1.5x the fuel the engine's rate allows: only a learnt rate lets this call finish
    p = plugin(tmp_path, dense_module(int(1.5 * allowance / DENSE_STEP)))
    b = backend(p)
    assert b.fuel_per_us is None and b._fuel() == allowance
    out = p.execute_query(QueryRequest(verb="dense"), isg)
    assert out.rows == [] and out.text == ""
    assert b.fuel_learnt == 1 and b.instances_created == 2  # the out-of-fuel call re-ran on a fresh one
    assert b.fuel_per_us is not None
    assert runtime.fuel_per_us() < b.fuel_per_us <= runtime.max_fuel_per_us()
    p.execute_query(QueryRequest(verb="dense"), isg)  # the learnt rate stays: no second re-run
    assert b.fuel_learnt == 1 and b.instances_created == 2


def test_a_dense_runaway_is_stopped_after_one_rerun(tmp_path: Path) -> None:
    isg, _ = shop()
    p = plugin(tmp_path, dense_module(None))
    b = backend(p)
    with pytest.raises(PluginViolation, match="out of fuel") as caught:
        p.execute_query(QueryRequest(verb="dense"), isg)
    assert caught.value.kind is ViolationKind.TIMEOUT
    assert b.fuel_learnt == 1 and b.fuel_per_us is not None
    assert b.fuel_per_us <= runtime.max_fuel_per_us()
    with pytest.raises(PluginViolation, match="out of fuel"):
        p.execute_query(QueryRequest(verb="dense"), isg)
    assert b.fuel_learnt <= 2  # at most one re-run per call, and the rate only ever reaches the ceiling


def test_the_hostile_loop_learns_nothing_and_times_out() -> None:
    isg, n = shop()
    folder = PLUGINS / "hostile-loop"
    p = wasm.load(load_manifest(folder), folder, granted=READ)
    b = backend(p)
    for attempt in range(2):
        with pytest.raises(PluginViolation, match=r"out of fuel|deadline") as caught:
            p.execute_query(QueryRequest(verb="hostile-loop", inputs=(n["log"].id,)), isg)
        assert caught.value.kind is ViolationKind.TIMEOUT
        assert b.fuel_learnt == 0 and b.fuel_per_us is None and b.instances_created == attempt + 1
