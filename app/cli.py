"""The ``pt-tui`` command line: the headless engine (index, stats, query, export, demo).

Errors the user can act on (a missing path, a bad query, an unknown entity) print one line on stderr
and exit non-zero; they never show a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

# `pt-tui worker` (also `ssh HOST pt-tui worker`) serves a host's plugin calls: start serving before
# the rest of the CLI is imported (the worker needs none of it; ~0.5 s of start-up). Added by the
# plugins work (H4); the `worker` command below stays for `pt-tui worker --help`.
if sys.argv[1:] == ["worker"]:  # pragma: no cover - runs in a worker subprocess
    from pt_tui.sandbox.worker import serve

    sys.exit(serve())

# `pt-tui`, `pt-tui PATH` and `pt-tui --demo [--tour]` (the console script with nothing but the
# dashboard's plain arguments) open the dashboard without importing click: a tenth of the time to the
# first frame. Anything else goes through click below.
if Path(sys.argv[0]).name == "pt-tui":
    from pt_tui.app.launch import launch_plain

    launch_plain(sys.argv[1:])  # exits if it opened the dashboard

import click
from rich.console import Console

if TYPE_CHECKING:
    from collections.abc import Callable

    from pt_tui.core.engine import Engine
    from pt_tui.core.isg import ISG
    from pt_tui.core.warm import WarmReport
    from pt_tui.sandbox.manager import PluginManager

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

EXIT_ERROR = 1  # the engine could not do it (missing path, unreadable root)
EXIT_USAGE = 2  # the request is wrong (bad query, unknown entity); click uses 2 for bad options too

PATH_ARG = click.Path(exists=False, file_okay=False, path_type=Path)


def _stdout() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        # piped or redirected: never fold a qualified name across lines (tables size to content)
        console = Console(highlight=False, width=1000)
    return console


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print one line on stderr and exit."""
    click.echo(f"pt-tui: {message}", err=True)
    sys.exit(code)


def load_engine(
    path: Path,
    *,
    workers: int | None = None,
    follow_symlinks: bool = False,
    exclude: tuple[str, ...] = (),
    cold: bool = False,
    cache: bool = True,
) -> Engine:
    """Index ``path`` (warm from its snapshot when it has one), with a progress bar on an
    interactive stderr for long ingests."""
    return open_warm(
        path, workers=workers, follow_symlinks=follow_symlinks, exclude=exclude, cold=cold, cache=cache
    )[0]


def open_warm(
    path: Path,
    *,
    workers: int | None = None,
    follow_symlinks: bool = False,
    exclude: tuple[str, ...] = (),
    cold: bool = False,
    cache: bool = True,
) -> tuple[Engine, WarmReport]:
    """:func:`load_engine` and how it started: warm from the snapshot, or cold (and why).

    A snapshot that exists but cannot be used, or cannot be written, is one warning line on stderr.
    """
    from pt_tui.app.progress import IngestProgress
    from pt_tui.core.engine import EngineError
    from pt_tui.core.warm import warm_start

    try:
        with IngestProgress(_stderr()) as progress:
            engine, report = warm_start(
                path,
                cold=cold,
                exclude=exclude,
                follow_symlinks=follow_symlinks,
                progress=progress.update,
                workers=workers,
                write=cache,
            )
    except EngineError as exc:
        fail(str(exc))
    for message in (report.warning, report.save_error):
        if message:
            click.echo(f"pt-tui: warning: {message}", err=True)
    return engine, report


#: Commands imported on first use: name -> (module, attribute); filled at the end of this module.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {}


class DashboardGroup(click.Group):
    """A command group whose first positional argument, when it is not a command, is the dashboard's
    PATH: ``pt-tui``, ``pt-tui somedir`` and ``pt-tui --demo`` open the dashboard, ``pt-tui stats X``
    runs a command."""

    #: Group options that take a value (their value is never the PATH).
    VALUE_OPTIONS = frozenset({"--port"})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            import importlib

            module, attribute = LAZY_COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = list(args)
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                break
            if arg.startswith("-"):
                i += 2 if arg in self.VALUE_OPTIONS else 1
                continue
            if arg not in self.commands and arg not in LAZY_COMMANDS:
                args[i : i + 1] = ["--path", arg]
            break
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return ["[OPTIONS] [PATH | COMMAND [ARGS]...]"]


@click.group(
    cls=DashboardGroup, context_settings=CONTEXT_SETTINGS, invoke_without_command=True, no_args_is_help=False
)
@click.version_option(package_name="pt-tui", prog_name="pt-tui")
@click.option("--path", "dashboard_path", type=click.Path(path_type=Path), default=None, hidden=True)
@click.option("--demo", is_flag=True, help="Open the dashboard on the bundled sample codebase.")
@click.option("--tour", is_flag=True, help="With --demo: walk through the onboarding tour (implies --demo).")
@click.option("--serve", is_flag=True, help="Serve the dashboard in a browser (textual-serve, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port for --serve."
)
@click.pass_context
def main(
    ctx: click.Context, dashboard_path: Path | None, demo: bool, tour: bool, serve: bool, port: int
) -> None:
    """pt-tui: an Interface Signature Graph of your Python and Rust code, and queries on it.

    Without a command, opens the dashboard on PATH (default: the current folder).

    \b
    Examples:
      pt-tui                               the dashboard on the current folder
      pt-tui ~/src/project                 the dashboard on a project
      pt-tui --demo                        the dashboard on the bundled sample
      pt-tui --demo --tour                 the onboarding tour, step by step
      pt-tui --serve --port 8000           the dashboard in a browser, on 127.0.0.1:8000
      pt-tui index .                       build the graph of the current folder
      pt-tui query . "callers parse --depth 2"
      pt-tui query . "blast-radius Engine.index" --json
      pt-tui export . --format mermaid -o graph.mmd
      pt-tui demo                          a headless tour of the engine on the bundled sample
    """
    if ctx.invoked_subcommand is not None:
        if dashboard_path is not None or demo or tour or serve:
            fail("--demo, --serve and PATH open the dashboard: they do not go with a command", EXIT_USAGE)
        return
    from pt_tui.app.launch import launch

    tour_option = {"tour": True} if tour else {}  # --tour implies --demo
    launch(dashboard_path, demo=demo or tour, serve=serve, port=port, **tour_option)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=PATH_ARG, default=".")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="Extraction processes (default: auto)."
)
@click.option("--follow-symlinks", is_flag=True, help="Follow directory symlinks (loops are detected).")
@click.option(
    "--exclude", multiple=True, metavar="PATTERN", help="Skip paths matching a .gitignore-style pattern."
)
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@click.option("--cold", is_flag=True, help="Ignore the snapshot: index everything (and rewrite it).")
@click.option("--no-cache", "no_cache", is_flag=True, help="Write no snapshot (read-only use).")
def index(
    path: Path,
    workers: int | None,
    follow_symlinks: bool,
    exclude: tuple[str, ...],
    as_json: bool,
    cold: bool,
    no_cache: bool,
) -> None:
    """Build the graph of PATH and report what was indexed and skipped.

    Starts warm from PATH's snapshot (in the user cache dir, or $PT_TUI_CACHE_DIR) when there is
    one made with the same options: only files whose size, mtime or content changed are indexed
    again. Every command that indexes starts the same way.

    \b
    Examples:
      pt-tui index .
      pt-tui index ~/src/project --workers 2 --json
      pt-tui index /usr/lib/python3.11 --exclude site-packages/
      pt-tui index . --cold
    """
    import dataclasses

    from pt_tui.app.render import render_report, report_as_dict

    engine, warm = open_warm(
        path, workers=workers, follow_symlinks=follow_symlinks, exclude=exclude, cold=cold, cache=not no_cache
    )
    if as_json:
        _print_json(report_as_dict(engine) | {"start": dataclasses.asdict(warm)})
    else:
        console = _stdout()
        render_report(console, engine)
        console.print(f"  {_describe_start(warm)}", highlight=False)


def _describe_start(warm: WarmReport) -> str:
    """One line on how the index started: warm (what was reused) or cold (why), and the snapshot."""
    if warm.mode == "warm":
        line = (
            f"warm start: {warm.files_reused:,} files reused, {warm.files_reindexed:,} re-indexed "
            f"({warm.files_changed:,} changed, {warm.files_added:,} added, {warm.files_deleted:,} deleted) "
            f"in {warm.total_seconds:.2f} s (setup {warm.setup_seconds:.2f} s, "
            f"load {warm.load_seconds:.2f} s, restore {warm.restore_seconds:.2f} s, "
            f"walk {warm.walk_seconds:.2f} s, update {warm.update_seconds:.2f} s)"
        )
    else:
        line = f"cold index ({warm.reason or 'no snapshot'})"
    if warm.saved:
        line += f"; snapshot saved ({warm.snapshot_bytes / 1e6:.1f} MB)"
    elif warm.mode == "warm":
        line += "; snapshot up to date"
    return line


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=PATH_ARG, default=".")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def stats(path: Path, as_json: bool) -> None:
    """Count the nodes and edges of PATH's graph by kind.

    \b
    Examples:
      pt-tui stats .
      pt-tui stats . --json
    """
    _run_query(path, "stats", as_json)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=PATH_ARG)
@click.argument("query_text", metavar="QUERY")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def query(path: Path, query_text: str, as_json: bool) -> None:
    """Run QUERY on PATH's graph.

    \b
    Verbs:
      callers X [--depth N]        callees X [--depth N]
      blast-radius X [--depth N]   what-implements T [--depth N]
      uses T                       cycles [calls|imports]
      path A B                     search PATTERN [--kind K] [--limit N]
      show X                       file PATH
      stats                        context X [--format md|json] [--max-tokens N]
    Stages chain with '|': a stage without an entity takes the previous stage's results.

    \b
    Examples:
      pt-tui query . "callers Engine.index --depth 2"
      pt-tui query . "search 'parse*' --kind function | callers"
      pt-tui query . "context shop.orders.Order --max-tokens 800"
    """
    _run_query(path, query_text, as_json)


def _installed_plugins(graph: Callable[[], ISG], root: Path) -> PluginManager | None:
    """A plugin manager with the user's installed plugins discovered (their verbs registered; each
    loads on first use), or None when none are installed, so plain queries pay nothing for it."""
    from pt_tui.app.cli_plugin import default_plugin_dirs

    dirs = [d for d in default_plugin_dirs() if d.is_dir() and any(d.iterdir())]
    if not dirs:
        return None
    from pt_tui.app.cli_plugin import _manager

    manager = _manager(graph)
    manager.root = root
    manager.discover(*dirs)
    return manager


def _run_query(path: Path, text: str, as_json: bool) -> None:
    from pt_tui.app.render import render_result
    from pt_tui.core.query import QueryError, parse_query, run_query

    engines: list[Engine] = []
    plugins = _installed_plugins(lambda: engines[0].isg, path)  # their verbs join the language
    try:
        try:
            parse_query(text)  # a bad query fails before any indexing
        except QueryError as exc:
            fail(str(exc), EXIT_USAGE)
        engine = load_engine(path)
        engines.append(engine)
        try:
            result = run_query(engine.isg, text, root=engine.root)
        except QueryError as exc:
            fail(str(exc), EXIT_USAGE)
    finally:
        if plugins is not None:
            plugins.close()
    if as_json:
        import msgspec

        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    else:
        render_result(_stdout(), result)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=PATH_ARG, default=".")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "dot", "mermaid"]),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def export(path: Path, fmt: str, output: Path | None) -> None:
    """Export PATH's graph as JSON, Graphviz DOT or Mermaid.

    \b
    Examples:
      pt-tui export . > graph.json
      pt-tui export . --format dot -o graph.dot && dot -Tsvg graph.dot > graph.svg
      pt-tui export . --format mermaid
    """
    from pt_tui.core.export import export_dot, export_json, export_mermaid

    engine = load_engine(path)
    if fmt == "json":
        data = export_json(engine.isg)
    elif fmt == "dot":
        data = export_dot(engine.isg).encode()
    else:
        data = export_mermaid(engine.isg).encode()
    if output is None:
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"wrote {output} ({len(data):,} bytes)", err=True)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.option("--path", type=PATH_ARG, default=None, help="Run the demo on another folder.")
def demo(path: Path | None) -> None:
    """A guided tour of the engine on the bundled Python + Rust sample codebase.

    \b
    Examples:
      pt-tui demo
      make demo
    """
    from pt_tui.app.demo import run_demo

    # a narrative for a person: wrap to the terminal (80 columns when piped), unlike data output
    run_demo(Console(highlight=False), path)


def _print_json(data: object) -> None:
    import msgspec

    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data)).decode() + "\n")


# Commands defined in other modules: (module, attribute), imported only when the command runs (or
# --help lists it), so the dashboard and the commands above start without them.
LAZY_COMMANDS.update(
    {
        "impact": ("pt_tui.app.cli_impact", "impact"),
        # importing cli_registry adds the registry commands to the plugin group (registries issue)
        "plugin": ("pt_tui.app.cli_registry", "plugin"),
        "worker": ("pt_tui.app.cli_plugin", "worker"),  # the out-of-process plugin worker (plugins issue)
        "watch": ("pt_tui.app.cli_watch", "watch"),  # live updates (incremental issue)
    }
)
