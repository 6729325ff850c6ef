"""Render engine reports and query results for the terminal with rich (the headless CLI)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

if TYPE_CHECKING:
    from pt_tui.core.engine import Engine
    from pt_tui.core.query import QueryResult, ResultRow


def report_as_dict(engine: Engine) -> dict[str, Any]:
    report = dataclasses.asdict(engine.report)
    report["root"] = str(engine.root)
    report["nodes"] = engine.isg.node_count
    report["edges"] = engine.isg.edge_count
    report["node_kinds"] = engine.isg.kind_counts()
    report["edge_kinds"] = engine.isg.edge_kind_counts()
    return report


def render_report(console: Console, engine: Engine) -> None:
    r = engine.report
    isg = engine.isg
    langs = ", ".join(f"{n} {lang}" for lang, n in sorted(r.by_language.items())) or "no source files"
    console.print(f"[bold]{engine.root}[/]")
    console.print(
        f"  indexed {r.files_indexed:,} files ({langs}), {r.lines:,} lines "
        f"in {r.total_seconds:.2f} s (extract {r.extract_seconds:.2f} s on {r.workers} "
        f"process{'es' if r.workers > 1 else ''}, resolve {r.resolve_seconds:.2f} s)"
    )
    console.print(f"  graph: {isg.node_count:,} nodes, {isg.edge_count:,} edges")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("nodes")
    table.add_column("", justify="right")
    table.add_column("   edges")
    table.add_column("", justify="right")
    nodes = list(isg.kind_counts().items())
    edges = list(isg.edge_kind_counts().items())
    for i in range(max(len(nodes), len(edges))):
        nk, nv = nodes[i] if i < len(nodes) else ("", "")
        ek, ev = edges[i] if i < len(edges) else ("", "")
        table.add_row(str(nk), f"{nv:,}" if nv != "" else "", f"   {ek}", f"{ev:,}" if ev != "" else "")
    console.print(table)
    skipped = {
        "syntax errors (partly indexed)": r.files_with_syntax_errors,
        "binary": r.skipped_binary,
        "huge": r.skipped_huge,
        "not UTF-8": r.skipped_non_utf8,
        "unreadable": r.skipped_unreadable,
        "ignored (.gitignore, build dirs)": r.ignored,
        "symlinks not followed": r.symlinks_skipped,
    }
    shown = {k: v for k, v in skipped.items() if v}
    if shown:
        console.print("  " + ", ".join(f"{k}: {v:,}" for k, v in shown.items()))
    for problem in r.problems[:10]:
        console.print(f"  [dim]{problem}[/]")
    if len(r.problems) > 10:
        console.print(f"  [dim]... and {len(r.problems) - 10} more[/]")


def render_result(console: Console, result: QueryResult) -> None:
    """A query result as a table (or markdown for context), with its measured time."""
    if result.text:
        if result.verb == "context" and not result.text.lstrip().startswith("{"):
            console.print(Markdown(result.text))
        else:
            console.print(result.text, markup=False, highlight=False)
    if result.rows:
        console.print(_rows_table(result))
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    n = len(result.rows)
    count = f"{n} result{'s' if n != 1 else ''}" if (result.rows or not result.text) else ""
    timing = f"{result.elapsed_us:,.0f} µs"
    console.print(f"[dim]{result.verb}: {count + ', ' if count else ''}{timing}[/]")


def _short_detail(row: ResultRow) -> str:
    """The detail without what the location column already says (the entity's own file)."""
    location = f"{row.node.file}:{row.node.line}"
    if row.detail == location:
        return ""
    prefix = f"{row.node.file}:"
    parts = [
        p[len(prefix) :] if p.startswith(prefix) and p[len(prefix) :].isdigit() else p
        for p in row.detail.split(", ")
    ]
    if all(p.isdigit() for p in parts):
        return ("line " if len(parts) == 1 else "lines ") + ", ".join(parts)
    return ", ".join(parts)


def _rows_table(result: QueryResult) -> Table:
    rows = result.rows
    details = [_short_detail(row) for row in rows]
    has_group = any(row.group is not None for row in rows)
    has_distance = any(row.distance is not None for row in rows)
    has_via = len({row.via for row in rows}) > 1
    has_detail = any(details)
    table = Table(header_style="bold", box=None, pad_edge=False)
    if has_group:
        table.add_column("cycle", justify="right")
    if has_distance:
        table.add_column("dist", justify="right")
    table.add_column("entity", overflow="fold", ratio=3)
    table.add_column("kind")
    table.add_column("location", overflow="fold", ratio=2)
    if has_via:
        table.add_column("via")
    if has_detail:
        table.add_column("detail", overflow="fold", ratio=2)
    for row, detail in zip(rows, details, strict=True):
        cells: list[str] = []
        if has_group:
            cells.append("" if row.group is None else str(row.group))
        if has_distance:
            cells.append("" if row.distance is None else str(row.distance))
        cells += [row.node.qualname, str(row.node.kind), f"{row.node.file}:{row.node.line}"]
        if has_via:
            cells.append(row.via)
        if has_detail:
            cells.append(detail)
        table.add_row(*cells)
    via = {row.via for row in rows}
    if len(via) == 1 and (only := via.pop()):
        table.caption = f"via {only}"
        table.caption_justify = "left"
    return table
