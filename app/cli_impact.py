"""``pt-tui impact``: the entities a git change touches, ranked by what depends on them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from pt_tui.app.cli import CONTEXT_SETTINGS, PATH_ARG, fail, load_engine

if TYPE_CHECKING:
    from pt_tui.core.impact import ImpactReport


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=PATH_ARG, default=".")
@click.option(
    "--rev",
    metavar="A..B",
    help="Compare two revisions (A..B; A...B from their merge base; A alone: A against the working tree).",
)
@click.option("--staged", is_flag=True, help="Compare the index (staged changes) with HEAD.")
@click.option(
    "--depth", type=click.IntRange(1, 50), default=3, show_default=True, help="Blast radius hops to follow."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for CI).")
def impact(path: Path, rev: str | None, staged: bool, depth: int, as_json: bool) -> None:
    """What a git change touches in PATH's graph, ranked by blast radius.

    By default the working tree is compared with HEAD (untracked files are not part of a git diff:
    `git add -N` them). Each hunk line maps to the innermost entity it falls in; entities are
    added, removed, modified or moved (a renamed file), and ranked by how many entities depend on
    them (callers, subtypes, users, importers, callers of members, up to --depth hops).

    \b
    JSON keys (stable):
      root, repository, base, target, depth
      summary   {files, entities, added, removed, modified, moved, outside_root}
      files     [{path, old_path, status, language, hunks, lines_added, lines_removed,
                  entities, note}]
      entities  [{id, qualname, kind, language, change, file, line, end_line, old_file,
                  old_line, lines_changed, blast_radius, blast_depth, dependents}]
      notes     [str]
    Entities come largest blast radius first; blast_radius is null for a removed entity no graph has.
    Exit status: 0 done (with or without changes), 1 not a git repository or a bad revision.

    \b
    Examples:
      pt-tui impact .
      pt-tui impact . --staged
      pt-tui impact . --rev main..HEAD --json
      pt-tui impact src --rev HEAD~3
    """
    from pt_tui.core.gitdiff import GitDiffError
    from pt_tui.core.impact import impact as compute

    try:
        report = compute(path, rev=rev, staged=staged, depth=depth, open_worktree=load_engine)
    except GitDiffError as exc:
        fail(str(exc))
    if as_json:
        import msgspec

        sys.stdout.write(msgspec.json.format(msgspec.json.encode(report)).decode() + "\n")
        return
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=1000)
    render(console, report)


def render(console: Console, report: ImpactReport) -> None:
    """The summary line, the entities by blast radius, and the files that had no entities to show."""
    s = report.summary
    console.print(f"[bold]{report.root}[/]: {report.base} → {report.target}")
    if report.empty:
        for note in report.notes:
            console.print(f"  {note}")
        return
    counts = ", ".join(f"{s[k]} {k}" for k in ("added", "removed", "modified", "moved") if s[k])
    console.print(
        f"  {s['files']} file{'s' if s['files'] != 1 else ''} changed, "
        f"{s['entities']} entit{'ies' if s['entities'] != 1 else 'y'}" + (f" ({counts})" if counts else "")
    )
    if report.entities:
        table = Table(header_style="bold", box=None, pad_edge=False)
        table.add_column("entity", overflow="fold", ratio=3)
        table.add_column("kind")
        table.add_column("change")
        table.add_column("location", overflow="fold", ratio=2)
        table.add_column("blast", justify="right")
        table.add_column("top dependents", overflow="fold", ratio=3)
        for e in report.entities:
            blast = "-" if e.blast_radius is None else f"{e.blast_radius:,}"
            table.add_row(
                e.qualname, e.kind, e.change, f"{e.file}:{e.line}", blast, ", ".join(e.dependents[:3])
            )
        console.print(table)
    for f in report.files:
        if f.note:
            console.print(f"  [dim]{f.path}: {f.status}, {f.note}[/]")
    if s["outside_root"]:
        console.print(f"  [dim]{s['outside_root']} changed file(s) outside {report.root} not shown[/]")
    for note in report.notes:
        console.print(f"  [dim]{note}[/]")
