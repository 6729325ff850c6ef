"""The ``pt-tui`` command line: the headless engine (index, stats, query, export, demo).

Errors the user can act on (a missing path, a bad query, an unknown entity) print one line on stderr
and exit non-zero; they never show a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console

if TYPE_CHECKING:
    from pt_tui.core.engine import Engine

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
    path: Path, *, workers: int | None = None, follow_symlinks: bool = False, exclude: tuple[str, ...] = ()
) -> Engine:
    """Index ``path``, with a progress bar on an interactive stderr for long ingests."""
    from pt_tui.app.progress import IngestProgress
    from pt_tui.core.engine import Engine, EngineError

    engine = Engine(path, workers=workers, follow_symlinks=follow_symlinks, exclude=exclude)
    try:
        with IngestProgress(_stderr()) as progress:
            engine.index(progress=progress.update)
    except EngineError as exc:
        fail(str(exc))
    return engine


@click.group(context_settings=CONTEXT_SETTINGS, invoke_without_command=True)
@click.version_option(package_name="pt-tui", prog_name="pt-tui")
@click.pass_context
def main(ctx: click.Context) -> None:
    """pt-tui: an Interface Signature Graph of your Python and Rust code, and queries on it.

    \b
    Examples:
      pt-tui index .                       build the graph of the current folder
      pt-tui query . "callers parse --depth 2"
      pt-tui query . "blast-radius Engine.index" --json
      pt-tui export . --format mermaid -o graph.mmd
      pt-tui demo                          a tour of the engine on the bundled sample
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


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
def index(
    path: Path, workers: int | None, follow_symlinks: bool, exclude: tuple[str, ...], as_json: bool
) -> None:
    """Build the graph of PATH and report what was indexed and skipped.

    \b
    Examples:
      pt-tui index .
      pt-tui index ~/src/project --workers 2 --json
      pt-tui index /usr/lib/python3.11 --exclude site-packages/
    """
    from pt_tui.app.render import render_report, report_as_dict

    engine = load_engine(path, workers=workers, follow_symlinks=follow_symlinks, exclude=exclude)
    if as_json:
        _print_json(report_as_dict(engine))
    else:
        render_report(_stdout(), engine)


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


def _run_query(path: Path, text: str, as_json: bool) -> None:
    from pt_tui.app.render import render_result
    from pt_tui.core.query import QueryError, parse_query, run_query

    try:
        parse_query(text)  # a bad query fails before any indexing
    except QueryError as exc:
        fail(str(exc), EXIT_USAGE)
    engine = load_engine(path)
    try:
        result = run_query(engine.isg, text, root=engine.root)
    except QueryError as exc:
        fail(str(exc), EXIT_USAGE)
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
