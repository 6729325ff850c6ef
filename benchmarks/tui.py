"""Dashboard benchmark: time to first frame, and key-to-screen latency while work runs.

- first frame, real terminal (tmux; skipped without it), against a baseline measured in the same run:
  ``python -c "import textual"`` and a bare Textual app's first frame (spawn -> its text on screen);
  ``pt-tui --demo`` and ``pt-tui STDLIB``, cold (fresh config, data and cache folders: no snapshot) and
  warm (the same folders again), spawn -> the four panes drawn (the first frame: the status line,
  every pane's frame and title, the graph pane's content), then -> every pane's content drawn (the
  query line, the plugin and budget tables: mounted right after the first frame); each repeated
  ``--rounds`` times. Every process caches its bytecode in a private folder (warmed by one start that
  is not timed), as an installed package does: this environment sets PYTHONDONTWRITEBYTECODE, which
  would otherwise recompile pt-tui's own modules (not Textual's, installed with their .pyc) at every
  start; ``--no-bytecode-cache`` measures that way;
- first frame, in process: ``DashboardApp`` constructed -> first screen refresh (``run_test``);
- key-to-screen while plugin calls run (Pilot, in process): a key posted -> the next frame the app
  renders with the character in the query input, idle and while a thread keeps a slow native plugin
  call in flight (a dev plugin spinning the CPU; it holds the GIL as any Python plugin does);
- real terminal: typing latency (a key sent -> the character visible in capture-pane), idle and
  while a cold ingest of the corpus runs (thread worker + extraction processes).

Usage: python benchmarks/tui.py [--rounds N] [--presses N] [--corpus PATH] [--ingest-corpus PATH]
                                [--skip-tmux] [--first-frame-only] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any


def _pct(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def first_frame_in_process(root: Path) -> tuple[float, float, float]:
    """(wall seconds to the first frame, CPU seconds the process used for it, wall to graph ready)."""
    from pt_tui.app.dashboard import DashboardApp

    started = time.perf_counter()
    cpu = time.process_time()
    app = DashboardApp(root, watch=False, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while app.first_frame_seconds is None:
            await pilot.pause(0.001)
        first = time.perf_counter() - started
        first_cpu = time.process_time() - cpu
        while app.engine is None:
            await pilot.pause(0.01)
        ready = time.perf_counter() - started
    return first, first_cpu, ready


class Terminal:
    """``pt-tui`` running in a private tmux server (``-L``), driven by send-keys, read by capture-pane."""

    #: Variables removed from the program's environment (``PYTHONDONTWRITEBYTECODE`` too when a
    #: bytecode cache folder is given in ``PYTHONPYCACHEPREFIX``).
    UNSET = ("COLUMNS", "LINES")

    def __init__(self, args: list[str], env: dict[str, str], program: str | None = None) -> None:
        tmux = shutil.which("tmux")
        assert tmux is not None
        self.tmux = tmux
        self.name = f"pt-tui-bench-{uuid.uuid4().hex[:8]}"
        exe = program or shlex.quote(str(Path(sys.executable).with_name("pt-tui")))
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        unset = (*self.UNSET, "PYTHONDONTWRITEBYTECODE") if "PYTHONPYCACHEPREFIX" in env else self.UNSET
        removed = " ".join(f"-u {name}" for name in unset)
        command = f"env {removed} {exports} TERM=xterm-256color {exe} {' '.join(args)}"
        self.started = time.perf_counter()
        self._run("new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", command)

    def _run(self, *args: str) -> str:
        return subprocess.run(
            [self.tmux, "-L", self.name, *args], capture_output=True, text=True, check=True
        ).stdout

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self._run("send-keys", "-t", self.name, *keys)

    def wait(self, check: Any, timeout: float = 60.0) -> float:
        """Seconds until ``check(screen)`` holds (polling capture-pane; ~2-5 ms resolution)."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if check(self.screen()):
                return time.perf_counter() - started
        raise TimeoutError("the screen never showed the change")

    def close(self) -> None:
        subprocess.run([self.tmux, "-L", self.name, "kill-server"], capture_output=True)


def _input_line(screen: str) -> str:
    return next((line for line in screen.splitlines() if "›" in line), "")


def focus_query(term: Terminal) -> None:
    """Press 2 until the footer shows the query input's keys (the terminal handshake may eat keys)."""
    for _ in range(20):
        term.keys("2")
        try:
            term.wait(lambda s: "older" in s, timeout=1.0)
            return
        except TimeoutError:
            continue
    raise TimeoutError("could not focus the query console")


def typing_latency(term: Terminal, presses: int) -> tuple[list[float], bool]:
    """Type ``x`` into the query input and time until it is on screen; returns (samples, whether
    the graph was still being built after the last one)."""
    samples: list[float] = []
    for i in range(presses):
        before = _input_line(term.screen()).count("x")
        started = time.perf_counter()
        term.keys("x")
        term.wait(lambda s, n=before: _input_line(s).count("x") > n)
        samples.append(time.perf_counter() - started)
        if i % 10 == 9:
            term.keys("C-u")  # clear the line (keeps it short)
            term.wait(lambda s: _input_line(s).count("x") == 0)
    still_indexing = "indexing" in term.screen()
    return samples, still_indexing


PANE_TITLES = ("1 Codebase graph", "2 Query console", "3 Plugins", "4 Budget monitor")

BARE_APP = """
from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("BARE-APP-READY")


Bare().run()
"""


#: Text each pane's content draws at start, at 120x40: the graph filter's and the query line's
#: placeholders, a column of the plugin table and of the budget table.
PANE_CONTENT = ("filter entities", "--kind function", "tier", "p50")


def _panes_drawn(screen: str) -> bool:
    return all(title in screen for title in PANE_TITLES)


def _content_drawn(screen: str) -> bool:
    return all(text in screen for text in PANE_CONTENT)


def first_frames(corpus: Path, rounds: int, tmp: Path, bytecode_cache: bool = True) -> dict[str, list[float]]:
    """Seconds from spawn to the first frame, per kind of start, ``rounds`` times each, interleaved
    so that load changes hit every kind alike; for the dashboard also to every pane's content."""
    env = {k: v for k, v in os.environ.items() if k.startswith("PT_TUI_")}
    if bytecode_cache:
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        _warm_bytecode(env, tmp)
    bare = tmp / "bare_app.py"
    bare.write_text(BARE_APP)
    python = shlex.quote(sys.executable)
    samples: dict[str, list[float]] = {}
    for round_ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import textual.app"], check=True, env=_python_env(env))
        samples.setdefault("python -c 'import textual.app'", []).append(time.perf_counter() - started)
        starts: list[tuple[str, list[str], Any, dict[str, str], str | None]] = [
            ("bare Textual app", [shlex.quote(str(bare))], lambda s: "BARE-APP-READY" in s, env, python)
        ]
        for label, args in (("pt-tui --demo", ["--demo"]), (f"pt-tui {corpus.name}", [str(corpus)])):
            dirs = tmp / f"start-{round_}-{label.replace(' ', '_')}"
            fresh = {**env, **{f"PT_TUI_{n}_DIR": str(dirs / n.lower()) for n in ("CONFIG", "DATA", "CACHE")}}
            starts.append((f"{label} cold", args, _panes_drawn, fresh, None))
            # the same folders again, once the cold start has indexed and saved its snapshot
            starts.append((f"{label} warm", args, _panes_drawn, fresh, None))
        for label, args, check, start_env, program in starts:
            term = Terminal(args, start_env, program)
            try:
                samples.setdefault(label, []).append(term.wait(check, timeout=60) + 0.0)
                if program is None:  # the dashboard: then every pane's content
                    term.wait(_content_drawn, timeout=60)
                    complete = time.perf_counter() - term.started
                    samples.setdefault(f"{label}, content", []).append(complete)
                if label.endswith("cold"):  # let it index and save its snapshot for the warm start
                    term.wait(lambda s: "entities" in s, timeout=600)
                    time.sleep(1.0)
            finally:
                term.close()
    return samples


def _python_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment with ``env`` added (and bytecode written when it names a cache)."""
    merged = {**os.environ, **env}
    if "PYTHONPYCACHEPREFIX" in env:
        merged.pop("PYTHONDONTWRITEBYTECODE", None)
    return merged


def _warm_bytecode(env: dict[str, str], tmp: Path) -> None:
    """Compile every module a dashboard start imports into the bytecode cache (one start, not timed)."""
    script = "import pt_tui.app.cli, pt_tui.app.launch, pt_tui.app.dashboard, pt_tui.app.demo_state"
    subprocess.run([sys.executable, "-c", script], check=True, env=_python_env(env))
    term = Terminal(["--demo"], {**env, "PT_TUI_CACHE_DIR": str(tmp / "warm-cache")})
    try:
        term.wait(lambda s: "entities" in s and _content_drawn(s), timeout=120)
    finally:
        term.close()


def print_first_frames(samples: dict[str, list[float]], bytecode_cache: bool = True) -> None:
    cache = "bytecode cached" if bytecode_cache else "no bytecode cache"
    print(f"  first frame, real terminal (spawn -> panes drawn; tmux 120x40; {cache}; min / median / max):")
    bare = statistics.median(samples["bare Textual app"])
    for label, values in samples.items():
        ratio = "" if label.startswith("python") else f"   x{statistics.median(values) / bare:4.2f} bare app"
        print(
            f"    {label:34s} {_ms(min(values))} / {_ms(statistics.median(values))} / {_ms(max(values))}"
            + ratio
        )


SPIN_MANIFEST = """\
name = "bench-spinner"
version = "1.0.0"
description = "benchmark: a native plugin whose verb spins the CPU (it holds the GIL) for a while"
tier = "native"
kind = "query"
query_types = [{ name = "bench-spin", help = "spins the CPU" }]

[artifact]
entry = "spin:Spin"

[budget]
max_query_time_us = 900
"""

SPIN_CODE = """\
import time

from pt_tui.core.query.result import Output


class Spin:
    def execute_query(self, query, isg):
        start = time.perf_counter()
        while time.perf_counter() - start < {seconds}:
            pass
        return Output(text="spun")
"""


async def keys_during_plugin_calls(
    root: Path, presses: int, tmp: Path, call_ms: float
) -> tuple[list[float], list[float], int]:
    """Key -> next frame with the character in the query input: idle, then while a thread keeps a
    ``call_ms`` plugin call in flight. Returns (idle samples, busy samples, plugin calls made)."""
    from textual import events
    from textual.widgets import Input

    from pt_tui.app import services
    from pt_tui.app.dashboard import DashboardApp

    folder = tmp / "bench-spinner"
    folder.mkdir(exist_ok=True)
    (folder / "plugin.toml").write_text(SPIN_MANIFEST)
    (folder / "spin.py").write_text(SPIN_CODE.format(seconds=call_ms / 1000))
    app = DashboardApp(root, watch=False, cursor_blink=False)
    frames: list[float] = []
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            frames.append(time.perf_counter())
        display(screen, renderable)

    app._display = timed_display  # type: ignore[method-assign]  # headless: count the frames rendered
    async with app.run_test(size=(120, 40)) as pilot:
        while app.engine is None or app.plugin_session is None:
            await pilot.pause(0.01)
        engine, session = app.engine, app.plugin_session
        # a deliberately slow plugin: no load-time calibration, never quarantined
        session.manager.config.calibrate = False
        session.manager.config.quarantine_after = 10**9
        session.manager.add(folder, dev=True)
        await pilot.press("2")
        box = app.screen.query_one("#query-input", Input)

        async def one_key() -> float:
            before = box.value.count("x")
            started = time.perf_counter()
            app.post_message(events.Key("x", "x"))
            while box.value.count("x") == before:
                await asyncio.sleep(0.0005)
            changed = len(frames)
            while len(frames) == changed or frames[-1] < started:
                await asyncio.sleep(0.0005)
            if len(box.value) > 40:
                box.value = ""
            return frames[-1] - started

        idle = [await one_key() for _ in range(presses)]
        stop = threading.Event()
        calls = [0]

        def keep_calling() -> None:
            while not stop.is_set():
                services.run_query(engine, "bench-spin")
                calls[0] += 1

        thread = threading.Thread(target=keep_calling, daemon=True)
        thread.start()
        try:
            await asyncio.sleep(call_ms / 1000)  # one call in flight
            busy = []
            for _ in range(presses):
                busy.append(await one_key())
                await asyncio.sleep(0.01)
        finally:
            stop.set()
            await asyncio.to_thread(thread.join)
    return idle, busy, calls[0]


def print_key_latency(idle: list[float], busy: list[float], calls: int, call_ms: float) -> None:
    print(f"  key -> frame in process (Pilot; query input; {len(idle)} keys each):")
    for label, samples in (("idle", idle), (f"during {call_ms:g} ms plugin calls", busy)):
        p50, p99 = _ms(statistics.median(samples)), _ms(_pct(samples, 99))
        print(f"    {label:34s} p50 {p50}  p99 {p99}")
    print(f"    ({calls} plugin calls made while the keys were pressed)")


def real_terminal(corpus: Path, presses: int, tmp: Path) -> dict[str, Any]:
    if shutil.which("tmux") is None or not Path(sys.executable).with_name("pt-tui").exists():
        return {}
    results: dict[str, Any] = {}
    env = {k: v for k, v in os.environ.items() if k.startswith("PT_TUI_")}
    term = Terminal(["--demo"], env)
    try:
        term.wait(_panes_drawn, timeout=30)
        term.wait(lambda s: "entities" in s)
        focus_query(term)
        results["idle"] = typing_latency(term, presses)[0]
    finally:
        term.close()
    cold = {**env, "PT_TUI_CACHE_DIR": str(tmp / "cold-cache")}  # no snapshot: a real ingest
    term = Terminal([str(corpus)], cold)
    try:
        term.wait(lambda s: "Codebase graph" in s, timeout=30)
        focus_query(term)
        results["during ingest"] = typing_latency(term, presses)
    finally:
        term.close()
    return results


def print_real(real: dict[str, Any], presses: int, corpus: str) -> None:
    if not real:
        print("  real terminal: skipped (no tmux or no pt-tui console script)")
        return
    print(f"  real terminal (pt-tui in tmux, 120x40; key -> character on screen, {presses} keys):")
    idle = real["idle"]
    print(f"    typing, idle           p50 {_ms(statistics.median(idle))}  p99 {_ms(_pct(idle, 99))}")
    during, still = real["during ingest"]
    note = "" if still else " (the ingest ended during the keys)"
    p50, p99 = _ms(statistics.median(during)), _ms(_pct(during, 99))
    print(f"    typing, during ingest  p50 {p50}  p99 {p99}  ({corpus}){note}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="first-frame starts of each kind")
    parser.add_argument("--call-ms", type=float, default=20.0, help="length of the slow plugin call")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(sysconfig.get_paths()["stdlib"]) / "idlelib",
        help="folder opened for the first frames and indexed in process (default: the stdlib's idlelib)",
    )
    parser.add_argument(
        "--ingest-corpus",
        type=Path,
        default=Path(sysconfig.get_paths()["stdlib"]),
        help="folder indexed cold while keys are typed in the real terminal (default: the stdlib)",
    )
    parser.add_argument("--skip-tmux", action="store_true")
    parser.add_argument(
        "--first-frame-only", action="store_true", help="only the real-terminal first frames (tmux)"
    )
    parser.add_argument(
        "--no-bytecode-cache",
        dest="bytecode_cache",
        action="store_false",
        help="start the dashboard as this environment does (PYTHONDONTWRITEBYTECODE kept)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("CONFIG", "DATA", "CACHE"):
            os.environ[f"PT_TUI_{name}_DIR"] = str(Path(tmp) / name.lower())
        from pt_tui.app.demo import sample_root

        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"pt-tui dashboard benchmark ({os.cpu_count()} cores, load average {load:.1f})")
        if args.first_frame_only:
            if shutil.which("tmux") is None:
                print("  first frame, real terminal: skipped (no tmux)")
                return 0
            samples = first_frames(args.corpus, args.rounds, Path(tmp), args.bytecode_cache)
            print_first_frames(samples, args.bytecode_cache)
            return 0
        for label, root in (("demo sample", sample_root()), (args.corpus.name, args.corpus)):
            first, cpu, ready = asyncio.run(first_frame_in_process(root))
            print(
                f"  first frame (in process, {label}):{' ' * max(1, 19 - len(label))}"
                f"{_ms(first)} (CPU {_ms(cpu)})   graph ready {_ms(ready)}"
            )
        idle, busy, calls = asyncio.run(
            keys_during_plugin_calls(sample_root(), args.presses, Path(tmp), args.call_ms)
        )
        print_key_latency(idle, busy, calls, args.call_ms)
        if not args.skip_tmux and shutil.which("tmux") is not None:
            print_first_frames(
                first_frames(args.corpus, args.rounds, Path(tmp), args.bytecode_cache), args.bytecode_cache
            )
            real = real_terminal(args.ingest_corpus, args.presses, Path(tmp))
            print_real(real, args.presses, str(args.ingest_corpus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
