"""Open the dashboard from the command line: checks first (one-line errors), Textual imported late."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click


def _fail(message: str) -> None:
    click.echo(f"pt-tui: {message}", err=True)
    sys.exit(1)


def dashboard_root(path: Path | None, demo: bool) -> Path:
    """The folder the dashboard opens on; exits with one line if it is not a readable folder."""
    if demo:
        if path is not None:
            _fail("--demo opens the bundled sample: give either --demo or a PATH")
        from pt_tui.app.demo import sample_root

        return sample_root()
    root = (path or Path(".")).expanduser()
    if not root.exists():
        bare = path is not None and "/" not in str(path)
        hint = " (not a command either: see pt-tui --help)" if bare else ""
        _fail(f"no such file or directory: {root}{hint}")
    if not root.is_dir():
        _fail(f"not a directory: {root}")
    if not os.access(root, os.R_OK | os.X_OK):
        _fail(f"cannot read the folder {root}")
    return root.resolve()


def launch(
    path: Path | None, *, demo: bool = False, serve: bool = False, port: int = 8000, tour: bool = False
) -> None:
    root = dashboard_root(path, demo)
    if serve:
        serve_dashboard(root, port, demo=demo, tour=tour)
        return
    web = "TEXTUAL_DRIVER" in os.environ  # textual-serve runs us through pipes, not a terminal
    if not web and not (sys.stdin.isatty() and sys.stdout.isatty()):
        _fail("the dashboard needs a terminal (for scripts: pt-tui index|stats|query|export PATH)")
    if demo:  # the demo installs plugins and trusts the demo reviewers: never in the user's own folders
        from pt_tui.app.demo_state import isolate_demo_state

        isolate_demo_state()
    from pt_tui.app.dashboard import DashboardApp

    DashboardApp(root, demo=demo, tour=tour).run()


def serve_dashboard(root: Path, port: int, *, demo: bool = False, tour: bool = False) -> None:
    """Serve the dashboard on http://127.0.0.1:PORT (textual-serve; one app process per browser tab)."""
    from textual_serve.server import Server

    target = (["--demo", "--tour"] if tour else ["--demo"]) if demo else [str(root)]
    command = shlex.join([sys.executable, "-m", "pt_tui", *target])
    click.echo(f"pt-tui: serving the dashboard on http://127.0.0.1:{port} (ctrl+c stops)", err=True)
    Server(command, host="127.0.0.1", port=port, title="pt-tui").serve()
