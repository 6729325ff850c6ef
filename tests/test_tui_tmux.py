"""The real ``pt-tui --demo`` console script in a real terminal (tmux), checked on screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_tui_support import tui_env  # noqa: F401

TMUX = shutil.which("tmux")
EXE = Path(sys.executable).with_name("pt-tui")

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.skipif(not EXE.exists(), reason="the pt-tui console script is not installed"),
]


@pytest.fixture
def session(tui_env: Path) -> Iterator[str]:  # noqa: F811
    assert TMUX is not None
    name = f"pt-tui-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k.startswith("PT_TUI_")}
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    command = f"env -u COLUMNS -u LINES {exports} TERM=xterm-256color {EXE} --demo; sleep 5"
    # a private server (-L): the test never touches the user's tmux sessions or options
    tmux(name, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", command)
    tmux(name, "set-option", "-t", name, "window-size", "manual")
    tmux(name, "resize-window", "-t", name, "-x", "120", "-y", "40")
    try:
        yield name
    finally:
        subprocess.run([TMUX, "-L", name, "kill-server"], capture_output=True, timeout=30)


def tmux(name: str, *args: str) -> str:
    assert TMUX is not None
    proc = subprocess.run([TMUX, "-L", name, *args], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def screen(name: str) -> str:
    return tmux(name, "capture-pane", "-p", "-t", name)


def keys(name: str, *sequence: str) -> None:
    tmux(name, "send-keys", "-t", name, *sequence)


def wait_for(name: str, check: Callable[[str], bool], timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen(name)
        if check(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"screen never matched; last screen:\n{text}")


def _input_line(text: str) -> str:
    line = next((line for line in text.splitlines() if "›" in line), "›")
    return line[line.index("›") :]


def test_demo_in_a_real_terminal(session: str) -> None:
    wait_for(session, lambda s: "4 Budget monitor" in s)  # the first frame
    # Type at once, while the graph builds and the plugin host loads. Such type-ahead was once lost:
    # "2" moved the focus only after the keys queued behind it had been routed to the old focus.
    keys(session, "2")
    keys(session, "-l", "callers Entity.describe")
    text = wait_for(session, lambda s: "185 entities" in s and "demo registry pinned" in s)
    for title in ("1 Codebase graph", "2 Query console", "3 Plugins", "4 Budget monitor"):
        assert title in text
    assert "mod shop.models (7)" in text
    typed = _input_line(wait_for(session, lambda s: "callers Entity.describe" in _input_line(s), timeout=10))
    assert typed.split("▊")[1].split("▎")[0].strip() == "callers Entity.describe"  # every key, once
    keys(session, "Enter")
    text = wait_for(session, lambda s: "rows in" in s)
    assert "shop.models" in text
    for key in ("Escape", "?"):  # one at a time: ESC then ? in one write reads as alt+?
        keys(session, key)
        time.sleep(0.3)
    wait_for(session, lambda s: "pt-tui keys" in s)
    for key in ("Escape", "q"):
        keys(session, key)
        time.sleep(0.3)
    wait_for(session, lambda s: "Codebase graph" not in s, timeout=15)
