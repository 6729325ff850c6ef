"""The headless demo: index the bundled Python + Rust sample and walk through the queries."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

#: (what the step shows, the query). Entities are named as a user would: short where unique.
TOUR: tuple[tuple[str, str], ...] = (
    ("Graph size by kind", "stats"),
    ("Who calls Entity.describe (inherited self.describe() from other files)", "callers Entity.describe"),
    ("What OrderService.advance calls (a handler dict dispatched by key)", "callees OrderService.advance"),
    ("Python subclasses of Discount, transitively", "what-implements shop.models.Discount"),
    ("Rust implementors of the PricingRule trait", "what-implements pricing_engine::rules::PricingRule"),
    ("What a change to Money::from_cents could affect", "blast-radius Money::from_cents --depth 2"),
    ("Import cycles", "cycles imports"),
    ("Call cycles (mutual recursion)", "cycles calls"),
    ("Shortest call path from the CLI to the tree renderer", "path shop.cli.main shop.reports.render_node"),
    ("Search by glob across both languages", "search '*Discount*'"),
    ("Search, then who calls the matches", "search 'from_*' --kind method | callers"),
    ("LLM context for one entity, bounded", "context shop.orders.Order --max-tokens 600"),
)


def sample_root() -> Path:
    """The bundled sample codebase (inside the installed package)."""
    return Path(str(resources.files("pt_tui") / "demo" / "sample"))


def run_demo(console: Console, path: Path | None = None) -> None:
    from pt_tui.app.render import render_report, render_result
    from pt_tui.core.engine import Engine
    from pt_tui.core.query import QueryError, run_query

    root = path or sample_root()
    console.print(Rule("[bold]pt-tui engine demo"))
    console.print(
        "Indexing a small order-processing service (Python) and its pricing engine (Rust) into an "
        "Interface Signature Graph, then asking it questions. Each answer shows its measured time.\n"
    )
    engine = Engine(root)
    engine.index()
    render_report(console, engine)
    tour = TOUR if path is None else (("Graph size by kind", "stats"), ("Import cycles", "cycles imports"))
    for title, text in tour:
        console.print()
        console.print(Rule(f"{title}", align="left", style="dim"))
        console.print(f"[bold cyan]>[/] {text}", highlight=False)
        try:
            render_result(console, run_query(engine.isg, text, root=engine.root))
        except QueryError as exc:
            console.print(f"[red]{exc}[/]", highlight=False)
    console.print()
    console.print(
        'Try your own: [bold]pt-tui query PATH "callers NAME"[/], or [bold]pt-tui --help[/].', highlight=False
    )
