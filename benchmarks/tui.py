"""Dashboard benchmark: time to first frame, and key-to-screen latency while work runs.

- first frame, in process: ``DashboardApp`` constructed -> first screen refresh (``run_test``);
- real terminal (tmux; skipped without it): ``pt-tui --demo`` process start -> panes drawn, and
  key-to-screen for typing (a key sent -> the character visible in capture-pane), idle and while
  a cold ingest of the corpus runs (thread worker + extraction processes).

Usage: python benchmarks/tui.py [--presses N] [--corpus PATH] [--ingest-corpus PATH] [--skip-tmux]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
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

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        tmux = shutil.which("tmux")
        assert tmux is not None
        self.tmux = tmux
        self.name = f"pt-tui-bench-{uuid.uuid4().hex[:8]}"
        exe = Path(sys.executable).with_name("pt-tui")
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        command = f"env -u COLUMNS -u LINES {exports} TERM=xterm-256color {exe} {' '.join(args)}"
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


def real_terminal(corpus: Path, presses: int, tmp: Path) -> dict[str, Any]:
    if shutil.which("tmux") is None or not Path(sys.executable).with_name("pt-tui").exists():
        return {}
    results: dict[str, Any] = {}
    env = {k: v for k, v in os.environ.items() if k.startswith("PT_TUI_")}
    term = Terminal(["--demo"], env)
    try:
        results["first frame"] = (
            term.wait(lambda s: "Codebase graph" in s, timeout=30)
            + (time.perf_counter() - term.started - 0) * 0
        )
        results["first frame"] = time.perf_counter() - term.started
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
    print(f"    pt-tui --demo first frame (process start -> panes drawn): {_ms(real['first frame'])}")
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
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(sysconfig.get_paths()["stdlib"]) / "idlelib",
        help="folder indexed while keys are pressed (default: the standard library's idlelib)",
    )
    parser.add_argument(
        "--ingest-corpus",
        type=Path,
        default=Path(sysconfig.get_paths()["stdlib"]),
        help="folder indexed cold while keys are typed in the real terminal (default: the stdlib)",
    )
    parser.add_argument("--skip-tmux", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("CONFIG", "DATA", "CACHE"):
            os.environ[f"PT_TUI_{name}_DIR"] = str(Path(tmp) / name.lower())
        from pt_tui.app.demo import sample_root

        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"pt-tui dashboard benchmark ({os.cpu_count()} cores, load average {load:.1f})")
        for label, root in (("demo sample", sample_root()), (args.corpus.name, args.corpus)):
            first, cpu, ready = asyncio.run(first_frame_in_process(root))
            print(
                f"  first frame (in process, {label}):{' ' * max(1, 19 - len(label))}"
                f"{_ms(first)} (CPU {_ms(cpu)})   graph ready {_ms(ready)}"
            )
        if not args.skip_tmux:
            real = real_terminal(args.ingest_corpus, args.presses, Path(tmp))
            print_real(real, args.presses, str(args.ingest_corpus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
