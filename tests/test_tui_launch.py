"""Launching the dashboard from the command line, beside the headless subcommands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_tui_support import tui_env  # noqa: F401

from pt_tui.app import launch as launch_module
from pt_tui.app.cli import main
from pt_tui.app.demo import sample_root


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path | None, dict[str, Any]]]:
    calls: list[tuple[Path | None, dict[str, Any]]] = []
    monkeypatch.setattr(launch_module, "launch", lambda path, **kw: calls.append((path, kw)))
    return calls


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_no_arguments_opens_the_dashboard_on_the_current_folder(launched: list[Any]) -> None:
    code, _, _ = invoke()
    assert code == 0
    assert launched == [(None, {"demo": False, "serve": False, "port": 8000})]


def test_a_folder_opens_the_dashboard_on_it(launched: list[Any], tmp_path: Path) -> None:
    code, _, _ = invoke(str(tmp_path))
    assert code == 0 and launched == [(tmp_path, {"demo": False, "serve": False, "port": 8000})]


def test_demo_and_serve_flags(launched: list[Any], tmp_path: Path) -> None:
    assert invoke("--demo")[0] == 0
    assert invoke("--serve", "--port", "9001", str(tmp_path))[0] == 0
    assert launched == [
        (None, {"demo": True, "serve": False, "port": 8000}),
        (tmp_path, {"demo": False, "serve": True, "port": 9001}),
    ]


def test_subcommands_still_work(launched: list[Any]) -> None:
    code, out, _ = invoke("stats", str(sample_root()))
    assert code == 0 and "nodes" in out and not launched


def test_help_shows_the_dashboard_and_the_commands(launched: list[Any]) -> None:
    code, out, _ = invoke("--help")
    assert code == 0 and not launched
    assert "[PATH | COMMAND [ARGS]...]" in out
    for word in ("--demo", "--serve", "--port", "index", "query", "stats", "export", "demo"):
        assert word in out


def test_dashboard_flags_do_not_mix_with_a_command(launched: list[Any]) -> None:
    code, _, err = invoke("--demo", "stats", ".")
    assert code == 2 and "do not go with a command" in err and not launched


def test_a_missing_folder_is_one_line_exit_1(tmp_path: Path) -> None:
    code, out, err = invoke(str(tmp_path / "nope"))
    assert code == 1 and out == ""
    assert err.startswith("pt-tui: no such file or directory") and err.count("\n") == 1


def test_a_typo_in_a_command_name_hints_at_the_commands() -> None:
    code, _, err = invoke("stat")
    assert code == 1 and "not a command either" in err and "Traceback" not in err


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("x = 1\n")
    code, _, err = invoke(str(tmp_path / "f.py"))
    assert code == 1 and "not a directory" in err


def test_without_a_terminal_the_dashboard_says_so(tmp_path: Path) -> None:
    code, _, err = invoke(str(tmp_path))  # CliRunner's streams are not terminals
    assert code == 1 and "needs a terminal" in err and err.count("\n") == 1


def test_serve_binds_to_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    import textual_serve.server

    served: list[tuple[str, str, int]] = []

    class FakeServer:
        def __init__(self, command: str, host: str, port: int, title: str) -> None:
            served.append((command, host, port))

        def serve(self) -> None:
            pass

    monkeypatch.setattr(textual_serve.server, "Server", FakeServer)
    code, _, err = invoke("--serve", "--port", "8765", "--demo")
    assert code == 0, err
    ((command, host, port),) = served
    assert host == "127.0.0.1" and port == 8765
    assert command.endswith("-m pt_tui --demo")  # the served app opens the sample with the demo registry


def test_console_script_help() -> None:
    exe = Path(sys.executable).with_name("pt-tui")
    if not exe.exists():
        pytest.skip("the pt-tui console script is not installed in this environment")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--demo" in proc.stdout


def _modules_after(code: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with one of ``prefixes`` that ``code`` imports, in a fresh interpreter."""
    probe = (
        f"import json, sys\n{code}\nprint(json.dumps([m for m in sys.modules if m.startswith({prefixes!r})]))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return sorted(json.loads(proc.stdout))


def test_the_command_line_imports_a_subcommand_module_only_to_run_it() -> None:
    heavy = ("pt_tui.app.cli_", "pt_tui.sandbox", "pt_tui.core.query")
    assert _modules_after("import pt_tui.app.cli, pt_tui.app.launch", heavy) == []
    assert "pt_tui.app.cli_registry" in _modules_after(
        "from pt_tui.app.cli import main\nmain.get_command(None, 'plugin')", heavy
    )


def test_the_dashboard_starts_without_the_engine_or_the_plugin_host() -> None:
    """Up to its first frame the dashboard needs neither: they load in workers after it."""
    code = """
import asyncio
from pt_tui.app.dashboard import DashboardApp
from pt_tui.app.demo import sample_root

async def first_frame():
    app = DashboardApp(sample_root(), watch=False)
    painted = []
    app._first_frame = lambda: painted.append(True)  # the first frame, without starting the ingest
    async with app.run_test(size=(120, 40)) as pilot:
        while not painted:
            await pilot.pause(0.01)

asyncio.run(first_frame())
"""
    heavy = ("pt_tui.sandbox", "pt_tui.core.query", "pt_tui.core.engine", "wasmtime", "git", "cryptography")
    assert _modules_after(code, heavy) == []
