"""``pt-tui plugin ...`` (list, stats, run, grant, revoke, approve) and ``pt-tui worker``.

Registries add their commands (install, promote, ...) to the same :data:`plugin` group.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from pt_tui.app.cli import CONTEXT_SETTINGS, EXIT_USAGE, PATH_ARG, fail, load_engine

if TYPE_CHECKING:
    from pt_tui.sandbox.manager import PluginManager
    from pt_tui.sandbox.tracker import Snapshot

DIR_ARG = click.Path(exists=True, file_okay=False, path_type=Path)


def default_plugin_dirs() -> list[Path]:
    """``PT_TUI_PLUGIN_PATH`` (os.pathsep-separated), else the installed plugins folder."""
    value = os.environ.get("PT_TUI_PLUGIN_PATH")
    if value:
        return [Path(p) for p in value.split(os.pathsep) if p]
    from pt_tui.core.userdirs import data_dir

    return [data_dir() / "plugins"]


def _console() -> Console:
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=1000)


def _print_json(data: object) -> None:
    import msgspec

    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data)).decode() + "\n")


def _manager(engine: Any = None) -> PluginManager:
    from pt_tui.core.query.verbs import register_builtins
    from pt_tui.sandbox.capabilities import Grants
    from pt_tui.sandbox.manager import PluginManager
    from pt_tui.sandbox.registry.trustpolicy import default_trust

    register_builtins()
    # signed reviews from the registries, or the user's own approvals
    return PluginManager(engine, grants=Grants(), trust=default_trust())


@click.group("plugin", context_settings=CONTEXT_SETTINGS)
def plugin() -> None:
    """Plugins: list them, run local ones, see their budgets and timings, grant capabilities."""


@plugin.command("list", context_settings=CONTEXT_SETTINGS)
@click.option("--dir", "dirs", type=DIR_ARG, multiple=True, help="Plugin folders to scan (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_plugins(dirs: tuple[Path, ...], as_json: bool) -> None:
    """Discovered plugins with their tier, verbs, capabilities, grants and trust.

    \b
    Examples:
      pt-tui plugin list --dir plugins/python
      PT_TUI_PLUGIN_PATH=plugins/python pt-tui plugin list --json
    """
    from pt_tui.sandbox.manager import State

    manager = _manager()
    folders = list(dirs) or [d for d in default_plugin_dirs() if d.is_dir()]
    manager.discover(*folders)
    rows: list[dict[str, Any]] = []
    for record in manager.plugins():
        m = record.manifest
        sha = m.sha256(record.folder)
        granted = manager.grants.granted(sha) if manager.grants else frozenset()
        trust = manager.trust.check(m.name, m.version, sha) if manager.trust and m.tier == "native" else None
        rows.append(
            {
                "name": m.name,
                "version": m.version,
                "tier": m.tier + ("/worker" if m.run_in == "worker" else ""),
                "kind": m.kind,
                "verbs": list(m.verbs) or [f"--format {f}" for f in m.context_formats],
                "capabilities": sorted(c.value for c in m.capabilities),
                "granted": sorted(c.value for c in granted),
                "trusted": None if trust is None else trust.approved,
                "state": record.state.value,
                "reason": record.reason,
                "budget_us": m.budget.max_query_time_us,
                "sha256": sha,
                "folder": str(record.folder),
            }
        )
    failed = [
        s
        for s in manager.tracker.snapshot().plugins
        if s.state == State.FAILED.value and s.plugin.startswith("?")
    ]
    for status in failed:
        rows.append({"name": status.plugin, "state": "failed", "reason": status.reason})
    manager.close()
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"{len(rows)} plugins")
    for column in (
        "name",
        "version",
        "tier",
        "verbs",
        "capabilities",
        "granted",
        "trusted",
        "budget",
        "state",
    ):
        table.add_column(column)
    for r in rows:
        if "tier" not in r:
            table.add_row(r["name"], "", "", "", "", "", "", "", f"failed: {r['reason']}")
            continue
        trusted = "-" if r["trusted"] is None else ("yes" if r["trusted"] else "no")
        state = r["state"] + (f": {r['reason']}" if r["reason"] else "")
        table.add_row(
            r["name"],
            r["version"],
            r["tier"],
            ", ".join(r["verbs"]),
            ", ".join(r["capabilities"]),
            ", ".join(r["granted"]) or "none",
            trusted,
            f"{r['budget_us']} us",
            state,
        )
    _console().print(table)


def stats_table(snapshot: Snapshot) -> Table:
    """The tracker as a table: one row per plugin and query type."""
    table = Table(title="plugin calls")
    for column in ("plugin", "query", "tier", "calls", "p50 us", "p95 us", "p99 us", "max us", "budget us"):
        table.add_column(column, justify="right" if column.endswith("us") or column == "calls" else "left")
    table.add_column("cpu us")
    table.add_column("mem MB")
    table.add_column("violations")
    for q in snapshot.queries:
        violations = ", ".join(f"{k} {v}" for k, v in sorted(q.violations.items())) or "-"
        table.add_row(
            q.plugin,
            q.query,
            q.tier,
            str(q.count),
            f"{q.p50_us:.1f}",
            f"{q.p95_us:.1f}",
            f"{q.p99_us:.1f}",
            f"{q.max_us:.1f}",
            str(q.budget_us or "-"),
            f"{q.cpu_us_mean:.1f}",
            f"{q.memory_mb_max:.2f}" if q.memory_samples else "-",
            violations,
        )
    return table


def _print_stats(console: Console, snapshot: Snapshot) -> None:
    console.print(stats_table(snapshot))
    troubled = [s for s in snapshot.plugins if s.state in ("quarantined", "failed")]
    for status in troubled:
        console.print(f"{status.plugin}: {status.state}: {status.reason}")


def _run_queries(
    path: Path, queries: tuple[str, ...], plugin_dirs: tuple[Path, ...], repeat: int
) -> tuple[PluginManager, list[Any], list[str]]:
    from pt_tui.core.query.errors import QueryError
    from pt_tui.core.query.run import run_query

    engine = load_engine(path)
    manager = _manager(engine)
    manager.install_core()
    # the installed plugins (trusted by their reviews or approvals), then the local dev folders
    manager.discover(*[d for d in default_plugin_dirs() if d.is_dir()])
    for folder in plugin_dirs:
        try:
            manager.add(folder, dev=True)
        except Exception as exc:  # a broken plugin folder is reported, the others still run
            click.echo(f"pt-tui: {exc}", err=True)
    results: list[Any] = []
    errors: list[str] = []
    for text in queries:
        for _ in range(repeat):
            try:
                results.append(run_query(engine.isg, text, root=engine.root))
            except QueryError as exc:
                errors.append(f"{text}: {exc}")
                break
    return manager, results, errors


@plugin.command("run", context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=PATH_ARG)
@click.argument("query")
@click.option(
    "--plugin", "plugin_dirs", type=DIR_ARG, multiple=True, help="A local plugin folder (repeatable)."
)
@click.option("--repeat", type=click.IntRange(1, 100_000), default=1, help="Run the query N times (timings).")
@click.option("--json", "as_json", is_flag=True, help="Print the result and the timings as JSON.")
def run(path: Path, query: str, plugin_dirs: tuple[Path, ...], repeat: int, as_json: bool) -> None:
    """Index PATH, run QUERY with the installed plugins plus local dev folders, show timings.

    Installed plugins load when their verb is first used; ``--plugin`` folders load as untrusted
    dev plugins.

    \b
    Examples:
      pt-tui plugin run . "hotspots --top 10" --plugin plugins/python/hotspots
      pt-tui plugin run . "callers Engine | dead-code" --plugin plugins/python/dead-code
    """
    from pt_tui.app.render import render_result

    manager, results, errors = _run_queries(path, (query,), plugin_dirs, repeat)
    snapshot = manager.tracker.snapshot()
    manager.close()
    if as_json:
        _print_json({"result": results[-1] if results else None, "errors": errors, "stats": snapshot})
    else:
        console = _console()
        if results:
            render_result(console, results[-1])
        _print_stats(console, snapshot)
    if errors:
        for message in errors:
            click.echo(f"pt-tui: {message}", err=True)
        sys.exit(EXIT_USAGE)


@plugin.command("stats", context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=PATH_ARG)
@click.option("-q", "--query", "queries", multiple=True, help="A query to run (repeatable).")
@click.option(
    "--plugin", "plugin_dirs", type=DIR_ARG, multiple=True, help="A local plugin folder (repeatable)."
)
@click.option(
    "--repeat", type=click.IntRange(1, 100_000), default=100, show_default=True, help="Runs per query."
)
@click.option("--json", "as_json", is_flag=True, help="Print the tracker as JSON.")
def stats(
    path: Path, queries: tuple[str, ...], plugin_dirs: tuple[Path, ...], repeat: int, as_json: bool
) -> None:
    """Run queries on PATH and print the budget tracker: latency percentiles, CPU, memory, violations,
    and the plugin events (load, quarantine, ...).

    \b
    Examples:
      pt-tui plugin stats . -q "hotspots" -q "search Engine | dead-code" --plugin plugins/python/hotspots \\
          --plugin plugins/python/dead-code
    """
    manager, _, errors = _run_queries(path, queries, plugin_dirs, repeat)
    snapshot = manager.tracker.snapshot()
    manager.close()
    if as_json:
        _print_json(snapshot)
    else:
        console = _console()
        _print_stats(console, snapshot)
        for event in snapshot.events:
            if event.kind != "violation":
                console.print(f"[dim]{event.kind}[/dim] {event.plugin} {event.version} {event.detail}")
    for message in errors:
        click.echo(f"pt-tui: {message}", err=True)


def _sha_of(target: str) -> tuple[str, str]:
    """(sha256, plugin name) of a plugin folder, or a sha256 given as is."""
    from pt_tui.sandbox.errors import ManifestError
    from pt_tui.sandbox.manifest import load_manifest

    path = Path(target)
    if path.is_dir():
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            fail(str(exc))
        return manifest.sha256(path), manifest.name
    if len(target) == 64 and all(c in "0123456789abcdef" for c in target):
        return target, ""
    fail(f"{target}: neither a plugin folder nor a sha256", EXIT_USAGE)


def _capabilities(values: tuple[str, ...]) -> list[Any]:
    from pt_tui.sandbox.api import Capability

    known = {c.value: c for c in Capability}
    bad = [v for v in values if v not in known]
    if bad:
        fail(f"unknown capability {bad[0]!r} (known: {', '.join(known)})", EXIT_USAGE)
    return [known[v] for v in values]


@plugin.command("grant", context_settings=CONTEXT_SETTINGS)
@click.argument("target")
@click.argument("capabilities", nargs=-1, required=True)
def grant(target: str, capabilities: tuple[str, ...]) -> None:
    """Grant CAPABILITIES to the artifact of a plugin folder (or a sha256).

    \b
    Example:
      pt-tui plugin grant plugins/python/hotspots graph.read
    """
    from pt_tui.sandbox.capabilities import Grants

    sha, name = _sha_of(target)
    now = Grants().grant(sha, _capabilities(capabilities), plugin=name)
    click.echo(f"{name or sha[:16]}: granted {', '.join(sorted(c.value for c in now))}")


@plugin.command("revoke", context_settings=CONTEXT_SETTINGS)
@click.argument("target")
@click.argument("capabilities", nargs=-1)
def revoke(target: str, capabilities: tuple[str, ...]) -> None:
    """Revoke CAPABILITIES (all of them when none is named) from a plugin folder's artifact or a sha256."""
    from pt_tui.sandbox.capabilities import Grants

    sha, name = _sha_of(target)
    now = Grants().revoke(sha, _capabilities(capabilities) if capabilities else None)
    click.echo(f"{name or sha[:16]}: granted {', '.join(sorted(c.value for c in now)) or 'nothing'}")


@plugin.command("approve", context_settings=CONTEXT_SETTINGS)
@click.argument("folder", type=DIR_ARG)
@click.option("--by", default="local", show_default=True, help="Who approves (recorded in approvals.toml).")
def approve(folder: Path, by: str) -> None:
    """Approve a native plugin folder's exact sha256 locally (the registries' signed reviews come later)."""
    from pt_tui.sandbox.errors import ManifestError
    from pt_tui.sandbox.manifest import load_manifest
    from pt_tui.sandbox.trust import LocalApprovals

    try:
        manifest = load_manifest(folder)
    except ManifestError as exc:
        fail(str(exc))
    sha = manifest.sha256(folder)
    LocalApprovals().approve(manifest.name, manifest.version, sha, by=by)
    click.echo(f"{manifest.name} {manifest.version}: approved sha256 {sha}")


@click.command("worker", context_settings=CONTEXT_SETTINGS)
def worker() -> None:
    """Serve plugin calls on stdin/stdout (length-prefixed msgpack); started by the host, locally or
    as ``ssh HOST pt-tui worker``."""
    from pt_tui.sandbox.worker import serve

    sys.exit(serve())


@plugin.command("load", context_settings=CONTEXT_SETTINGS)
@click.argument("folders", nargs=-1, required=True, type=DIR_ARG)
@click.option(
    "--dev", is_flag=True, help="Your own local plugins: no trust check, declared capabilities granted."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def load(folders: tuple[Path, ...], dev: bool, as_json: bool) -> None:
    """Load plugin folders the way the host does (manifest, grants, trust, budget calibration) and
    report the outcome, the load time and the calibration figures. Exits 1 if any is refused.

    \b
    Examples:
      pt-tui plugin load plugins/python/hotspots --dev
      pt-tui plugin load ~/.local/share/pt-tui/plugins/dead-code/1.2.0
    """
    from pt_tui.sandbox.capabilities import Grants
    from pt_tui.sandbox.errors import PluginError
    from pt_tui.sandbox.loader import load_plugin
    from pt_tui.sandbox.registry.trustpolicy import default_trust

    rows: list[dict[str, Any]] = []
    trust = default_trust()
    for folder in folders:
        try:
            loaded = load_plugin(folder, grants=Grants(), trust=trust, dev=dev)
        except PluginError as exc:
            rows.append({"folder": str(folder), "ok": False, "error": str(exc)})
            continue
        calibration = loaded.calibration
        rows.append(
            {
                "folder": str(folder),
                "ok": True,
                "name": loaded.name,
                "version": loaded.version,
                "tier": loaded.tier + (" (dev, untrusted)" if loaded.dev else ""),
                "sha256": loaded.sha256,
                "load_ms": round(loaded.load_ms, 2),
                "granted": sorted(c.value for c in loaded.granted),
                "budget_us": loaded.budget.max_query_time_us,
                "calibration": None
                if calibration is None
                else [
                    {
                        "verb": v.verb,
                        "p50_us": round(v.p50_us, 1),
                        "p99_us": round(v.p99_us, 1),
                        "errors": v.errors,
                    }
                    for v in calibration.verbs
                ],
            }
        )
        loaded.close()
    if as_json:
        _print_json(rows)
    else:
        for r in rows:
            if not r["ok"]:
                click.echo(f"refused {r['folder']}: {r['error']}")
                continue
            click.echo(
                f"loaded {r['name']} {r['version']} [{r['tier']}] in {r['load_ms']} ms, "
                f"budget {r['budget_us']} us"
            )
            for v in r["calibration"] or ():
                click.echo(
                    f"  {v['verb']}: calibration p50 {v['p50_us']} us, p99 {v['p99_us']} us, "
                    f"errors {v['errors']}"
                )
    if not all(r["ok"] for r in rows):
        sys.exit(1)
