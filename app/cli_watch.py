"""``pt-tui watch PATH``: index, then keep the graph live and print each applied batch until Ctrl-C."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from pathlib import Path

import click

from pt_tui.app.cli import CONTEXT_SETTINGS, PATH_ARG
from pt_tui.core.diff import GraphDiff


def describe(diff: GraphDiff, *, max_files: int = 3) -> str:
    """One line for an applied batch: when, which files, nodes and edges +/-, time."""
    files = ", ".join(diff.files[:max_files])
    if len(diff.files) > max_files:
        files += f" (+{len(diff.files) - max_files} more)"
    return (
        f"{time.strftime('%H:%M:%S')}  {len(diff.files)} file{'s' if len(diff.files) != 1 else ''}"
        f"  nodes +{len(diff.added_nodes)} -{len(diff.removed_nodes)} ~{len(diff.changed_nodes)}"
        f"  edges +{len(diff.added_edges)} -{len(diff.removed_edges)}"
        f"  {diff.elapsed_ms:.1f} ms  gen {diff.generation}  {files}"
    )


def _open(path: Path, exclude: tuple[str, ...], cold: bool) -> object:
    from pt_tui.app import cli

    open_warm = getattr(cli, "open_warm", None)  # warm start from the snapshot when available
    if open_warm is not None:
        return open_warm(path, exclude=exclude, cold=cold)[0]
    return cli.load_engine(path, exclude=exclude)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=PATH_ARG, default=".")
@click.option("--exclude", multiple=True, metavar="PATTERN", help="Extra .gitignore-style pattern to skip.")
@click.option(
    "--debounce", "debounce_ms", default=1600, show_default=True, help="Longest wait (ms) grouping a burst."
)
@click.option("--step", "step_ms", default=50, show_default=True, help="Quiet time (ms) that ends a batch.")
@click.option("--cold", is_flag=True, help="Index from scratch, ignoring any snapshot.")
def watch(path: Path, exclude: tuple[str, ...], debounce_ms: int, step_ms: int, cold: bool) -> None:
    """Index PATH, then apply every file change as it happens and print each batch (Ctrl-C stops)."""
    from pt_tui.core.engine import Engine
    from pt_tui.core.watch import Watcher

    engine = _open(path, exclude, cold)
    assert isinstance(engine, Engine)
    isg = engine.isg
    click.echo(
        f"watching {engine.root}: {len(engine.facts)} files, {isg.node_count} nodes, {isg.edge_count} edges"
        " (Ctrl-C to stop)"
    )
    sys.stdout.flush()

    def show(diff: GraphDiff) -> None:
        click.echo(describe(diff))
        sys.stdout.flush()

    stop = threading.Event()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C during an update: stop quietly too
        Watcher(engine, debounce_ms=debounce_ms, step_ms=step_ms).run(stop, show)
    click.echo("stopped")
