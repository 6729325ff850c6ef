"""Open the dashboard from the command line: checks first (one-line errors), Textual imported late."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path


def _fail(message: str) -> None:
    print(f"pt-tui: {message}", file=sys.stderr)  # not click: the dashboard starts without it
    sys.exit(1)


#: Every command's name (a test checks it against the click group): any other first argument is a PATH.
COMMAND_NAMES = frozenset(
    {"index", "stats", "query", "export", "demo", "impact", "plugin", "worker", "watch"}
)
#: The dashboard's flags that take no value.
DASHBOARD_FLAGS = frozenset({"--demo", "--tour"})


def plain_dashboard(args: list[str]) -> tuple[Path | None, bool, bool] | None:
    """(PATH, demo, tour) when ``args`` only open the dashboard (none, a PATH, ``--demo``, ``--tour``
    or both), else None: options, commands and mistakes are click's (``pt_tui.app.cli``)."""
    if len(args) == 1 and args[0] not in COMMAND_NAMES and not args[0].startswith("-"):
        return Path(args[0]), False, False
    if len(set(args)) == len(args) and set(args) <= DASHBOARD_FLAGS:
        tour = "--tour" in args
        return None, "--demo" in args or tour, tour
    return None


def launch_plain(args: list[str]) -> None:
    """Open the dashboard and exit if ``args`` are :func:`plain_dashboard`'s; else return."""
    plain = plain_dashboard(args)
    if plain is None:
        return
    path, demo, tour = plain
    launch(path, demo=demo, tour=tour)
    sys.exit(0)


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
    from pt_tui.app import start_gc

    start_gc.pause()  # until the screen is complete (the app resumes it)
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
    print(f"pt-tui: serving the dashboard on http://127.0.0.1:{port} (ctrl+c stops)", file=sys.stderr)
    Server(command, host="127.0.0.1", port=port, title="pt-tui").serve()
