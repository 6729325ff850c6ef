"""One plugin's wasmtime instance: capability-gated linking, the one call per query, containment.

A :class:`WasmInstance` owns a Store (not thread-safe, so every use holds the instance's lock), the
instance and its memory. Per call it re-arms fuel (from the time budget and the calibrated fuel per
microsecond) and the epoch deadline, copies the graph view in when the generation changed, writes
the request, makes the call and copies the result out, bounds-checked and capped. Any trap, timeout
or broken bound raises :class:`PluginViolation` and discards the store; the next call re-creates it.
"""

from __future__ import annotations

import ctypes
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import wasmtime
from wasmtime import _ffi as ffi

from pt_tui.core.model import Node
from pt_tui.sandbox.api import Capability, PerformanceBudget
from pt_tui.sandbox.errors import CapabilityRefused, PluginError, PluginViolation, ViolationKind
from pt_tui.sandbox.wasm import abi, runtime

if TYPE_CHECKING:
    from pt_tui.sandbox.wasm.view import ViewImage

log = logging.getLogger("pt_tui.plugins")

MIB: Final = 1 << 20
PAGE: Final = 1 << 16
FUEL_SLACK: Final = 2.0  # fuel allowance = budget x fuel per us x slack (fuel is cheaper in tight loops)
# The epoch deadline is the wall-clock backstop (host time, a plugin stuck in host calls): budget x
# slack but at least MIN_DEADLINE_US, so a host descheduled for a few ms on a busy machine does not
# turn a fast call into a false timeout. Fuel is the precise, load-independent budget.
DEADLINE_SLACK: Final = 4.0
MIN_DEADLINE_US: Final = 50_000
MAX_LOG_LINES: Final = 64  # per call; more are dropped
MAX_LOG_BYTES: Final = 1024
MAX_SOURCE_BYTES: Final = 1 << 20
# A plugin's own fuel rate is trusted only from calls of >= 100 us of CPU on average: in shorter ones
# the ~5-10 us of fixed cost around the wasm call would make the rate (and the allowance) too low.
MIN_SAMPLE_CALL_NS: Final = 100_000

_I32 = wasmtime.ValType.i32()
_I64 = wasmtime.ValType.i64()


@dataclass(frozen=True)
class HostImport:
    capability: Capability
    params: tuple[str, ...]
    results: tuple[str, ...]


#: The host functions a plugin may import from module "pt", and the capability each needs.
HOST_IMPORTS: Final = {
    "log": HostImport(Capability.LOG, ("i32", "i32"), ()),
    "clock_ns": HostImport(Capability.CLOCK, (), ("i64",)),
    "source": HostImport(Capability.SOURCE_READ, ("i32", "i32", "i32"), ("i32",)),
}
#: Exports every plugin has, with their types; ``pt_query`` / ``pt_context`` by kind.
Sig = tuple[tuple[str, ...], tuple[str, ...]]
REQUIRED_EXPORTS: Final[dict[str, Sig]] = {"pt_alloc": (("i32",), ("i32",))}
ENTRY_EXPORTS: Final = {"query": "pt_query", "context": "pt_context"}
ENTRY_TYPE: Final[Sig] = (("i32", "i32"), ("i64",))
OPTIONAL_EXPORTS: Final[dict[str, Sig]] = {"pt_free": (("i32", "i32"), ()), "pt_columns": ((), ("i64",))}


def _sig(ty: wasmtime.FuncType) -> Sig:
    return tuple(str(p) for p in ty.params), tuple(str(r) for r in ty.results)


def check_module(
    name: str,
    module: wasmtime.Module,
    *,
    kind: str,
    declared: frozenset[Capability],
    granted: frozenset[Capability],
) -> frozenset[str]:
    """Refuse, before instantiation, any import that is unknown, undeclared or ungranted.

    Returns the names of the "pt" functions to link. Also checks the exports the ABI needs.
    """
    linked: set[str] = set()
    known = ", ".join(f"pt.{n}" for n in HOST_IMPORTS)
    for imp in module.imports:
        where = f"{imp.module}.{imp.name}"
        spec = HOST_IMPORTS.get(imp.name or "") if imp.module == "pt" else None
        if spec is None:
            raise CapabilityRefused(name, where, f"not a pt-tui host function (known: {known})")
        ty = imp.type
        if not isinstance(ty, wasmtime.FuncType) or _sig(ty) != (spec.params, spec.results):
            want = f"({', '.join(spec.params)}) -> ({', '.join(spec.results)})"
            raise CapabilityRefused(name, where, f"must be a function {want}")
        cap = spec.capability
        if cap not in declared:
            raise CapabilityRefused(name, cap.value, f"imported as {where} but not declared in plugin.toml")
        if cap not in granted:
            raise CapabilityRefused(name, cap.value, f"imported as {where} but not granted for this artifact")
        linked.add(imp.name or "")
    exports: dict[str, wasmtime.FuncType | None] = {}
    has_memory = False
    for exp in module.exports:
        ety = exp.type
        if exp.name == "memory" and isinstance(ety, wasmtime.MemoryType):
            has_memory = True
        exports[exp.name] = ety if isinstance(ety, wasmtime.FuncType) else None
    if not has_memory:
        raise PluginError(f"{name}: the module exports no memory named 'memory'")
    needed = dict(REQUIRED_EXPORTS)
    needed[ENTRY_EXPORTS[kind]] = ENTRY_TYPE
    for export, sig in [*needed.items(), *OPTIONAL_EXPORTS.items()]:
        fty = exports.get(export)
        if export not in exports and export in OPTIONAL_EXPORTS:
            continue
        if fty is None or _sig(fty) != sig:
            want = f"({', '.join(sig[0])}) -> ({', '.join(sig[1])})"
            raise PluginError(f"{name}: the module must export a function {export}: {want}")
    return frozenset(linked)


class _Call:
    """A direct, pre-typed call through wasmtime's unchecked entry (types were checked at load).

    ``Func.__call__`` re-reads the function type and converts every value on each call (~25 us);
    this costs ~5 us.
    """

    def __init__(self, func: wasmtime.Func, nargs: int, *, wide: bool = False) -> None:
        self._func = func._func
        self._vals = (ffi.wasmtime_val_raw_t * max(1, nargs))()
        self._wide = wide  # the result is an i64 (else an i32, or none)

    def __call__(self, store: wasmtime.Store, *args: int) -> int:
        vals = self._vals
        for i, value in enumerate(args):
            vals[i].i64 = 0
            vals[i].i32 = value
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        error = _func_call(store._context(), ctypes.byref(self._func), vals, len(vals), ctypes.byref(trap))
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        if trap:
            raise wasmtime.Trap._from_ptr(trap)
        return int(vals[0].i64) if self._wide else int(vals[0].i32)


# Direct entries into the C API for the per-call memory reads: the binding's ``data_ptr`` returns a
# typed pointer that must be cast to an address, which costs more than the call itself. Private
# copies of the function pointers (``dll[name]`` makes a new one), so the binding's stay as they are.
_func_call = ffi.wasmtime_func_call_unchecked
_memory_data = ffi.dll["wasmtime_memory_data"]
_memory_data.restype = ctypes.c_void_p
_memory_data.argtypes = [ctypes.POINTER(ffi.wasmtime_context_t), ctypes.POINTER(ffi.wasmtime_memory_t)]
_memory_size = ffi.dll["wasmtime_memory_data_size"]
_memory_size.restype = ctypes.c_size_t
_memory_size.argtypes = [ctypes.POINTER(ffi.wasmtime_context_t), ctypes.POINTER(ffi.wasmtime_memory_t)]


class _Live:
    """A store and its instance; dropped whole on any violation."""

    def __init__(self, store: wasmtime.Store, instance: wasmtime.Instance) -> None:
        self.store = store
        exports = instance.exports(store)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        self.memory = memory
        self._ctx = store._context()  # stable for the store's life
        self._mem = ctypes.byref(memory._memory)

        def func(name: str) -> wasmtime.Func | None:
            f = exports.get(name)
            return f if isinstance(f, wasmtime.Func) else None

        alloc, free, columns = func("pt_alloc"), func("pt_free"), func("pt_columns")
        assert alloc is not None
        self.alloc = _Call(alloc, 1)
        self.free = _Call(free, 2) if free is not None else None
        self.columns = _Call(columns, 0, wide=True) if columns is not None else None
        self.entries = {
            kind: _Call(f, 2, wide=True) for kind, name in ENTRY_EXPORTS.items() if (f := func(name))
        }
        self.view: object | None = None  # the host view object currently copied in
        self.image: ViewImage | None = None  # the bytes of it that memory holds (for partial writes)
        self.view_addr = 0
        self.view_len = 0
        self.req_addr = 0
        self.req_cap = 0
        self.mask: int | None = None

    def base(self) -> int:
        """The address of linear memory now (it may move when the memory grows)."""
        return int(_memory_data(self._ctx, self._mem) or 0)

    def size(self) -> int:
        """The linear memory's size in bytes now."""
        return int(_memory_size(self._ctx, self._mem))


SourceReader = Callable[[int], bytes | None]


class WasmInstance:
    """The live side of one wasm plugin (one store, guarded by a lock)."""

    def __init__(
        self,
        name: str,
        module: wasmtime.Module,
        *,
        linked: frozenset[str],
        budget: PerformanceBudget,
    ) -> None:
        self.name = name
        self.module = module
        self.linked = linked
        self.budget = budget
        self.lock = threading.Lock()
        self.logs: deque[str] = deque(maxlen=200)
        self.instances_created = 0
        self.source_reader: SourceReader | None = None
        self._live: _Live | None = None
        self._logged = 0
        self._linker = self._make_linker()
        #: This plugin's own fuel burn rate (fuel per us of its calls, measured while the loader
        #: calibrates it), so its fuel allowance tracks its time budget; None: the engine's rate.
        self.fuel_per_us: float | None = None
        self._sample: list[int] | None = None  # [fuel, thread CPU ns, calls] while sampling
        self.fuel_learnt = 0  # times an out-of-fuel call inside its budget raised the rate (and re-ran)

    # -- setup ---------------------------------------------------------------------------------

    def _make_linker(self) -> wasmtime.Linker:
        linker = wasmtime.Linker(runtime.engine())
        if "log" in self.linked:
            ty = wasmtime.FuncType([_I32, _I32], [])
            linker.define_func("pt", "log", ty, self._log, access_caller=True)
        if "clock_ns" in self.linked:
            linker.define_func("pt", "clock_ns", wasmtime.FuncType([], [_I64]), time.monotonic_ns)
        if "source" in self.linked:
            ty = wasmtime.FuncType([_I32, _I32, _I32], [_I32])
            linker.define_func("pt", "source", ty, self._source, access_caller=True)
        return linker

    # Host functions never raise: an exception would surface as a trap here and be re-raised by
    # wasmtime-py at some later, unrelated call.

    def _log(self, caller: wasmtime.Caller, ptr: int, length: int) -> None:
        if self._logged >= MAX_LOG_LINES:
            return
        self._logged += 1
        try:
            data = _caller_read(caller, ptr, min(max(length, 0), MAX_LOG_BYTES))
        except Exception:
            data = None
        line = (data or b"").decode("utf-8", "replace")
        self.logs.append(line)
        log.info("%s: %s", self.name, line)

    def _source(self, caller: wasmtime.Caller, node: int, ptr: int, length: int) -> int:
        try:
            return self._copy_source(caller, node, ptr, length)
        except Exception:
            return -1

    def _copy_source(self, caller: wasmtime.Caller, node: int, ptr: int, length: int) -> int:
        reader = self.source_reader
        text = reader(node) if reader is not None and node >= 0 else None
        if text is None:
            return -1
        text = text[:MAX_SOURCE_BYTES]
        memory = caller.get("memory")
        if not isinstance(memory, wasmtime.Memory) or ptr < 0 or length < 0:
            return -1
        n = min(length, len(text))
        if ptr + n > memory.data_len(caller):
            return -1
        if n:
            memory.write(caller, text[:n], ptr)
        return len(text)

    def memory_limit(self, view_len: int) -> int:
        """Bytes of linear memory the store allows: the budget plus room for the graph view copy."""
        pages = math.ceil(view_len / PAGE) + 1  # + one page for the request
        return int(self.budget.max_memory_mb * MIB) + pages * PAGE

    def _instantiate(self, view_len: int) -> _Live:
        store = wasmtime.Store(runtime.engine())
        store.set_limits(memory_size=self.memory_limit(view_len), instances=1, tables=4, memories=1)
        store.set_fuel(self._fuel())
        store.set_epoch_deadline(self._deadline_ticks())
        try:
            instance = self._linker.instantiate(store, self.module)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
            raise self._violation_for(exc, None) from None
        self.instances_created += 1
        return _Live(store, instance)

    def _fuel(self) -> int:
        rate = self.fuel_per_us or runtime.fuel_per_us()
        return int(self.budget.max_query_time_us * rate * FUEL_SLACK) + 100_000

    def start_fuel_sample(self) -> None:
        """Sum the fuel and thread CPU time of the plugin's calls from now on (for its calibration)."""
        with self.lock:
            self._sample = [0, 0, 0]

    def stop_fuel_sample(self) -> float | None:
        """Fuel per microsecond over the sampled calls, within [the floor, the engine's ceiling]
        (:func:`runtime.max_fuel_per_us`); None when the calls were too short to tell (then the
        engine's tight-loop rate stays, raised by :meth:`_learn_fuel_rate` if the plugin's code burns
        fuel faster)."""
        with self.lock:
            sample, self._sample = self._sample, None
        if sample is None or not sample[2] or sample[1] < MIN_SAMPLE_CALL_NS * sample[2] or sample[0] <= 0:
            return None
        rate = sample[0] / (sample[1] / 1000)
        return min(max(rate, runtime.MIN_FUEL_PER_US), runtime.max_fuel_per_us())

    def _deadline_ticks(self) -> int:
        wall_us = max(self.budget.max_query_time_us * DEADLINE_SLACK, MIN_DEADLINE_US)
        return math.ceil(wall_us / (runtime.TICK_S * 1e6)) + 1

    # -- the call ------------------------------------------------------------------------------

    def discard(self) -> None:
        self._live = None

    def columns_mask(self) -> int:
        """The plugin's ``pt_columns()`` (all columns if it does not export one)."""
        with self.lock:
            live = self._ensure(0)
            if live.mask is None:
                live.mask = abi.WANT_ALL
                if live.columns is not None:
                    live.store.set_fuel(self._fuel())
                    live.store.set_epoch_deadline(self._deadline_ticks())
                    try:
                        live.mask = live.columns(live.store) & abi.WANT_ALL
                    except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
                        self._live = None
                        raise self._violation_for(exc, live) from None
            return live.mask

    def _ensure(self, view_len: int) -> _Live:
        if self._live is None:
            self._live = self._instantiate(view_len)
        return self._live

    def call(
        self,
        kind: str,
        view: object | None,
        image: ViewImage | None,
        build_request: Callable[[int, int], bytes],
    ) -> bytes:
        """Write the view (if it changed: only its changed columns when the layout is the same) and
        the request, make the one call, return the result bytes."""
        with self.lock:
            ticker = runtime.ticker()
            ticker.enter()
            live: _Live | None = None
            try:
                for retry in (False, True):
                    self._logged = 0
                    live = self._ensure(len(image) if image is not None else 0)
                    store = live.store
                    fuel = self._fuel()
                    store.set_fuel(fuel)
                    store.set_epoch_deadline(self._deadline_ticks())
                    if live.view != view:
                        self._write_view(live, view, image)
                    request = build_request(live.view_addr, live.view_len)
                    req_addr = self._request_area(live, len(request))
                    ctypes.memmove(live.base() + req_addr, request, len(request))
                    entry = live.entries.get(kind)
                    if entry is None:
                        raise PluginError(f"{self.name}: the module has no {ENTRY_EXPORTS[kind]} export")
                    sample = self._sample
                    before = store.get_fuel() if sample is not None else fuel  # pt_alloc burnt some
                    cpu = time.thread_time_ns()
                    try:
                        status = entry(store, req_addr, len(request))
                    except wasmtime.Trap as exc:
                        if retry or exc.trap_code != wasmtime.TrapCode.OUT_OF_FUEL:
                            raise
                        if not self._learn_fuel_rate(fuel, time.thread_time_ns() - cpu):
                            raise
                        self._live = live = None  # a trapped instance is not reused: a fresh one
                        continue
                    if sample is not None:
                        sample[1] += time.thread_time_ns() - cpu
                        sample[0] += before - store.get_fuel()
                        sample[2] += 1
                    return self._read_result(live, req_addr, status)
                raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
            except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
                self._live = None
                raise self._violation_for(exc, live) from None
            except PluginViolation:
                self._live = None
                raise
            finally:
                ticker.leave()

    def _learn_fuel_rate(self, allowance: int, cpu_ns: int) -> bool:
        """After an out-of-fuel trap: True (and a higher rate) when the call was still inside its time
        budget, so its code burns fuel faster than the rate assumed (compiled C or Rust keeps most
        ``local.get`` / ``local.set``, each one fuel, in registers: 10-30k fuel/us against the tight
        loop's ~5k). The rate learnt is what the call burnt, capped at :func:`runtime.max_fuel_per_us`;
        a call that used up its budget (a runaway loop burns fuel slowly) is a timeout, not learnt."""
        cpu_us = cpu_ns / 1000
        rate = self.fuel_per_us or runtime.fuel_per_us()
        ceiling = runtime.max_fuel_per_us()
        if cpu_us >= self.budget.max_query_time_us or rate >= ceiling:
            return False
        learnt = min(ceiling, allowance / max(cpu_us, 1.0))
        if learnt <= rate:
            return False
        self.fuel_per_us = learnt
        self.fuel_learnt += 1
        log.info(
            "%s: out of fuel after %.0f us of its %d us budget; fuel rate %.0f -> %.0f per us",
            self.name,
            cpu_us,
            self.budget.max_query_time_us,
            rate,
            learnt,
        )
        return True

    def _alloc(self, live: _Live, size: int, what: str) -> int:
        addr = live.alloc(live.store, size) & 0xFFFFFFFF
        limit = live.size()
        if addr == 0:
            if limit + PAGE > self.memory_limit(live.view_len or size):
                detail = f"pt_alloc({size}) for the {what} failed at the memory limit ({limit} bytes)"
                raise PluginViolation(self.name, ViolationKind.MEMORY, detail)
            detail = f"pt_alloc({size}) for the {what} gave 0"
            raise PluginViolation(self.name, ViolationKind.MALFORMED, detail)
        if addr % 8 or addr + size > limit:
            detail = f"pt_alloc({size}) for the {what} gave {addr}: misaligned or outside {limit} bytes"
            raise PluginViolation(self.name, ViolationKind.MALFORMED, detail)
        return addr

    def _write_view(self, live: _Live, view: object | None, image: ViewImage | None) -> None:
        store = live.store
        held = live.image
        if image is not None and live.view_addr and image.same_layout(held):
            image.write(live.base() + live.view_addr, held)  # in place: the columns that changed
            live.view, live.image = view, image
            return
        if live.free is not None:  # newest first, so a stack allocator can pop both
            if live.req_addr:
                live.free(store, live.req_addr, live.req_cap)
            if live.view_addr:
                live.free(store, live.view_addr, live.view_len)
        live.req_addr, live.req_cap = 0, 0
        live.view, live.image, live.view_addr, live.view_len = None, None, 0, 0
        size = len(image) if image is not None else 0
        store.set_limits(memory_size=self.memory_limit(size))
        if image is not None and size:
            addr = self._alloc(live, size, f"{size}-byte graph view")
            image.write(live.base() + addr)
            live.view_addr, live.view_len, live.image = addr, size, image
        live.view = view

    def _request_area(self, live: _Live, size: int) -> int:
        if size > live.req_cap:
            if live.free is not None and live.req_addr:
                live.free(live.store, live.req_addr, live.req_cap)
            cap = max(4096, 1 << (size - 1).bit_length())
            live.req_addr = self._alloc(live, cap, "request")
            live.req_cap = cap
        return live.req_addr

    def _read_result(self, live: _Live, req_addr: int, status: int) -> bytes:
        limit = live.size()
        base = live.base()
        slot = ctypes.string_at(base + req_addr + abi.RESULT_SLOT_OFFSET, abi.RESULT_SLOT.size)
        addr, length = abi.RESULT_SLOT.unpack(slot)
        if status != 0:
            raise PluginError(f"{self.name}: the plugin failed with code {status}")
        if length > abi.MAX_RESULT_BYTES:
            detail = f"result of {length} bytes, over the {abi.MAX_RESULT_BYTES}-byte cap"
            raise PluginViolation(self.name, ViolationKind.MALFORMED, detail)
        if addr + length > limit:
            detail = f"result at {addr}..{addr + length} outside the plugin's {limit}-byte memory"
            raise PluginViolation(self.name, ViolationKind.MALFORMED, detail)
        return ctypes.string_at(base + addr, length)

    def _violation_for(self, exc: Exception, live: _Live | None) -> PluginViolation:
        budget_us = self.budget.max_query_time_us
        message = _cause(str(exc) if not isinstance(exc, wasmtime.Trap) else exc.message)
        if isinstance(exc, wasmtime.Trap):
            code = exc.trap_code
            if code == wasmtime.TrapCode.OUT_OF_FUEL:
                detail = f"out of fuel (budget {budget_us} us)"
                return PluginViolation(self.name, ViolationKind.TIMEOUT, detail)
            if code == wasmtime.TrapCode.INTERRUPT:
                detail = f"deadline passed (budget {budget_us} us)"
                return PluginViolation(self.name, ViolationKind.TIMEOUT, detail)
            if code == wasmtime.TrapCode.STACK_OVERFLOW:
                return PluginViolation(self.name, ViolationKind.TRAP, "stack overflow")
            if live is not None:
                used = live.memory.data_len(live.store)
                headroom = self.memory_limit(live.view_len) - used
                if headroom < max(2 * PAGE, int(self.budget.max_memory_mb * MIB) // 8):
                    detail = f"{message} at the memory limit ({used // 1024} KiB)"
                    return PluginViolation(self.name, ViolationKind.MEMORY, detail)
            return PluginViolation(self.name, ViolationKind.TRAP, message)
        if "memory" in message and ("limit" in message or "minimum" in message):
            return PluginViolation(self.name, ViolationKind.MEMORY, message)
        return PluginViolation(self.name, ViolationKind.TRAP, message)


def _cause(message: str) -> str:
    """The useful line of a wasmtime error: the last "Caused by" line, else the first line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return "trap"
    if "Caused by:" in lines:
        return lines[-1].removeprefix("wasm trap: ")
    return lines[0]


def _caller_read(caller: wasmtime.Caller, ptr: int, length: int) -> bytes | None:
    memory = caller.get("memory")
    if not isinstance(memory, wasmtime.Memory) or ptr < 0 or length < 0:
        return None
    if ptr + length > memory.data_len(caller):
        return None
    return bytes(memory.read(caller, ptr, ptr + length))


def read_source(root: Path | None, node: Node) -> bytes | None:
    """The lines of ``node`` from its file under ``root`` (None outside the root or unreadable)."""
    if root is None:
        return None
    try:
        path = (root / node.file).resolve()  # confined to the root, symlinks resolved
        if not path.is_relative_to(root.resolve()):
            return None
        with path.open("rb") as handle:
            lines = handle.read(8 * MIB).splitlines(keepends=True)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return None
    return b"".join(lines[max(0, node.line - 1) : max(node.line, node.end_line)])
