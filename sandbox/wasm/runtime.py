"""The process-wide wasmtime engine, its epoch ticker and the fuel calibration.

One :class:`wasmtime.Engine` per process with fuel and epoch interruption. The ticker thread bumps
the epoch every :data:`TICK_S` while calls are in flight (and for :data:`LINGER_S` after the last
one, so a burst of queries does not wake it per call), then parks: an idle host costs nothing.
Fuel per microsecond is measured once (a tight loop) and turns a plugin's time budget into a fuel
allowance. Fuel per microsecond depends on the code's shape (a loop of plain arithmetic or memory
reads burns ~4-7k/us here, an empty ``loop br`` ~0.8k/us, compiled C or Rust 9-16k/us: its locals
live in registers), so fuel bounds a runaway plugin to between ~1x and ~10x its budget at the
tight-loop rate (a plugin whose own rate was measured or learnt higher gets more: at most
:data:`MAX_FUEL_FACTOR` times the tight loop's); the epoch deadline is the wall-clock backstop.
"""

from __future__ import annotations

import hashlib
import threading
import time
from importlib.metadata import version
from typing import Final

import wasmtime

TICK_S: Final = 0.002
LINGER_S: Final = 0.5
MAX_WASM_STACK: Final = 512 * 1024
#: What decides whether a compiled artifact fits this engine (part of the cache key).
ENGINE_SETTINGS: Final = (
    f"consume_fuel=1;epoch_interruption=1;max_wasm_stack={MAX_WASM_STACK};opt=speed;"
    "multi_memory=0;threads=0;simd=1"
)
WASMTIME_VERSION: Final = version("wasmtime")
MIN_FUEL_PER_US: Final = 1000.0  # a floor for the calibration (a machine this slow is not a target)
#: The most fuel per microsecond a plugin's rate may reach, as a multiple of the tight loop's: compiled
#: C or Rust keeps locals in registers (each ``local.get`` / ``local.set`` is one fuel and no machine
#: instruction) and burns 2-4x the tight loop's rate, straight-line arithmetic on locals up to ~7x.
MAX_FUEL_FACTOR: Final = 8.0

_lock = threading.Lock()
_engine: wasmtime.Engine | None = None
_ticker: _Ticker | None = None
_fuel_per_us: float | None = None


def config_digest() -> str:
    """A short digest of the engine configuration (the cache key's third part)."""
    return hashlib.sha256(ENGINE_SETTINGS.encode()).hexdigest()[:16]


def engine() -> wasmtime.Engine:
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                cfg = wasmtime.Config()
                cfg.consume_fuel = True
                cfg.epoch_interruption = True
                cfg.max_wasm_stack = MAX_WASM_STACK
                cfg.cranelift_opt_level = "speed"
                cfg.wasm_multi_memory = False
                cfg.wasm_threads = False
                cfg.wasm_simd = True
                _engine = wasmtime.Engine(cfg)
    return _engine


class _Ticker:
    """Increments the engine's epoch every tick while calls are in flight."""

    def __init__(self, eng: wasmtime.Engine) -> None:
        self._engine = eng
        self._active = 0
        self._cond = threading.Condition()
        self._parked = True
        self._last = 0.0
        self._thread = threading.Thread(target=self._run, name="pt-tui-wasm-epoch", daemon=True)
        self._thread.start()

    def enter(self) -> None:
        with self._cond:
            self._active += 1
            if self._parked:
                self._parked = False
                self._cond.notify()

    def leave(self) -> None:
        with self._cond:
            self._active -= 1
            self._last = time.monotonic()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._active == 0 and time.monotonic() - self._last > LINGER_S:
                    self._parked = True
                while self._parked:
                    self._cond.wait()
            time.sleep(TICK_S)
            self._engine.increment_epoch()


def ticker() -> _Ticker:
    global _ticker
    if _ticker is None:
        with _lock:
            if _ticker is None:
                _ticker = _Ticker(engine())
    return _ticker


_CALIBRATE_WAT: Final = """
(module
  (func (export "spin") (param $n i32) (result i32)
    (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $acc)))
"""


def max_fuel_per_us() -> float:
    """The ceiling of a plugin's fuel rate (what a learnt or calibrated rate may reach)."""
    return MAX_FUEL_FACTOR * fuel_per_us()


def fuel_per_us() -> float:
    """Fuel the engine burns per microsecond of a tight loop (measured once, best of three).

    Timed in thread CPU time, so a busy machine (the thread preempted mid-loop) does not make fuel
    look slow and every budget tight.
    """
    global _fuel_per_us
    if _fuel_per_us is None:
        eng = engine()
        module = wasmtime.Module(eng, _CALIBRATE_WAT)
        store = wasmtime.Store(eng)
        store.set_epoch_deadline(1 << 40)
        spin = wasmtime.Instance(store, module, []).exports(store)["spin"]
        assert isinstance(spin, wasmtime.Func)
        best = float("inf")
        iterations = 300_000
        used = 0
        for _ in range(3):
            store.set_fuel(1 << 40)
            started = time.thread_time_ns()
            spin(store, iterations)
            best = min(best, max(1, time.thread_time_ns() - started))
            used = (1 << 40) - store.get_fuel()
        _fuel_per_us = max(MIN_FUEL_PER_US, used / (best / 1e3))
    return _fuel_per_us
