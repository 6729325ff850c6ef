"""``pt-tui plugin ...`` commands for registries: search, install, update, promote, review, publish.

They are added to the ``plugin`` group of :mod:`pt_tui.app.cli_plugin`. All the work is done by
:mod:`pt_tui.sandbox.registry`; this module parses options and prints. Errors print one line on
stderr: exit 1 when the operation failed, 2 when the request was wrong.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from pt_tui.app.cli_plugin import plugin

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_ERROR = 1
EXIT_USAGE = 2
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.echo(f"pt-tui: {message}", err=True)
    sys.exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the plugin layer's errors into one line on stderr and exit 1."""
    from pt_tui.sandbox.errors import PluginError

    try:
        yield
    except PluginError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))


def _out() -> Console:
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=200)


def _json(data: object) -> None:
    import msgspec

    sys.stdout.write(msgspec.json.format(msgspec.json.encode(data)).decode() + "\n")


def _service() -> Any:
    from pt_tui.sandbox.registry.service import RegistryService

    return RegistryService()


def _spec(value: str) -> tuple[str, str | None]:
    from pt_tui.sandbox.registry.catalog import parse_spec
    from pt_tui.sandbox.registry.errors import RegistryError

    try:
        return parse_spec(value)
    except RegistryError as exc:
        _fail(str(exc), EXIT_USAGE)


def _warn_entry_errors(service: Any) -> None:
    for error in service.catalog.errors:
        click.echo(f"pt-tui: warning: skipped {error}", err=True)


def _changes(changes: list[Any], as_json: bool) -> None:
    if as_json:
        _json([c.as_dict() for c in changes])
        return
    for change in changes:
        click.echo(str(change))


# --- registries ------------------------------------------------------------------------------------


@plugin.group(context_settings=CONTEXT_SETTINGS)
def registry() -> None:
    """Configure plugin registries: git repositories (URL or local path) holding a plugin index.

    \b
    Registries are kept in order: the first one listed wins for the same name@version.
    Every read is pinned to the commit recorded by the last `registry update`.
    Examples:
      pt-tui plugin registry add community https://example.org/pt-tui-plugins.git
      pt-tui plugin registry add mine ~/src/my-registry --branch dev
      pt-tui plugin registry demo            the bundled demo registry (works offline)
      pt-tui plugin registry update
    """


@registry.command("add", context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.argument("url")
@click.option("--branch", default="", help="Follow this branch instead of the default one.")
def registry_add(name: str, url: str, branch: str) -> None:
    """Add registry NAME at URL (or a local PATH), fetch it and pin its commit."""
    from pt_tui.sandbox.registry.catalog import add_registry
    from pt_tui.sandbox.registry.config import load_config

    with _errors():
        source = add_registry(load_config(), name, url, branch=branch)
    click.echo(f"added {source.name} ({source.url}) at {source.commit[:12]}")


@registry.command("list", context_settings=CONTEXT_SETTINGS)
@JSON_OPTION
def registry_list(as_json: bool) -> None:
    """List the registries in precedence order, with their pinned commits."""
    from pt_tui.sandbox.registry.config import load_config

    with _errors():
        config = load_config()
    rows: list[dict[str, Any]] = [
        {"order": i + 1, "name": s.name, "url": s.url, "branch": s.branch, "commit": s.commit}
        for i, s in enumerate(config.registries)
    ]
    if as_json:
        _json(rows)
        return
    if not rows:
        click.echo("no registries (add one with `pt-tui plugin registry add NAME URL`)")
        return
    table = Table("#", "name", "url", "branch", "pinned commit", box=None)
    for row in rows:
        table.add_row(str(row["order"]), row["name"], row["url"], row["branch"] or "-", row["commit"][:12])
    _out().print(table)


@registry.command("remove", context_settings=CONTEXT_SETTINGS)
@click.argument("name")
def registry_remove(name: str) -> None:
    """Remove registry NAME (its cached clone too; installed plugins stay)."""
    from pt_tui.sandbox.registry.catalog import remove_registry
    from pt_tui.sandbox.registry.config import load_config

    with _errors():
        source = remove_registry(load_config(), name)
    click.echo(f"removed {source.name}")


@registry.command("update", context_settings=CONTEXT_SETTINGS)
@click.argument("name", required=False)
@JSON_OPTION
def registry_update(name: str | None, as_json: bool) -> None:
    """Fetch NAME (or every registry) and move its pin to the fetched commit.

    A registry that cannot be reached keeps its pin: what was fetched before still works offline.
    """
    from pt_tui.sandbox.registry.catalog import update_registries
    from pt_tui.sandbox.registry.config import load_config

    with _errors():
        results = update_registries(load_config(), name)
    if as_json:
        _json([{"name": n, "old": o, "new": c, "error": e} for n, o, c, e in results])
    else:
        for n, old, new, error in results:
            if error:
                click.echo(f"pt-tui: warning: {error} (still pinned at {old[:12] or 'nothing'})", err=True)
            elif old == new:
                click.echo(f"{n}: up to date at {new[:12]}")
            else:
                click.echo(f"{n}: {old[:12] or 'new'} -> {new[:12]}")
    if results and all(e for *_, e in results):
        sys.exit(EXIT_ERROR)


@registry.command("demo", context_settings=CONTEXT_SETTINGS)
def registry_demo() -> None:
    """Add the bundled demo registry (a local git repository made on first use) and trust its reviewers."""
    from pt_tui.sandbox.registry.demo import setup_demo

    with _errors():
        source, trusted = setup_demo()
    click.echo(f"demo registry at {source.url}, pinned at {source.commit[:12]}")
    for name in trusted:
        click.echo(f"trusted demo reviewer {name}")


# --- catalog ---------------------------------------------------------------------------------------


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("text", required=False, default="")
@JSON_OPTION
def search(text: str, as_json: bool) -> None:
    """Search the registries' plugins by name, description or verb (newest version of each).

    \b
    Examples:
      pt-tui plugin search
      pt-tui plugin search fan --json
    """
    with _errors():
        service = _service()
        offers = service.catalog.search(text)
    _warn_entry_errors(service)
    rows = [
        {
            "name": o.entry.name,
            "version": o.entry.version,
            "tiers": list(o.entry.tiers),
            "registry": o.registry,
            "description": o.entry.description,
            "verbs": list(o.entry.query_types),
        }
        for o in offers
    ]
    if as_json:
        _json(rows)
        return
    if not rows:
        click.echo("no plugin found")
        return
    table = Table("name", "version", "tiers", "registry", "description", box=None)
    for row in rows:
        table.add_row(
            row["name"], row["version"], ",".join(row["tiers"]), row["registry"], row["description"]
        )
    _out().print(table)


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("spec", metavar="NAME[@VERSION]")
@JSON_OPTION
def info(spec: str, as_json: bool) -> None:
    """Everything a registry says about a plugin version: artifacts, capabilities, reviews, trust.

    Registries are searched in order; the first one offering NAME@VERSION wins, and copies in later
    registries are listed as shadowed.
    """
    name, version = _spec(spec)
    with _errors():
        service = _service()
        data = service.info(f"{name}@{version}" if version else name)
    _warn_entry_errors(service)
    if as_json:
        _json(data)
        return
    out = _out()
    out.print(f"[bold]{data['name']}[/bold] {data['version']}  {data['description']}")
    out.print(f"registry   {data['registry']} at {data['commit'][:12]} (first registry wins)")
    if data["shadowed"]:
        out.print(f"shadowed   {', '.join(data['shadowed'])}")
    out.print(f"versions   {', '.join(data['versions'])}")
    out.print(f"tiers      {', '.join(data['tiers'])}    abi {data.get('abi_version', '-')}")
    out.print(f"caps       {', '.join(data['capabilities']) or '-'}")
    out.print(f"verbs      {', '.join(data['query_types']) or '-'}")
    budget = data["budget"]
    out.print(f"budget     {budget['max_query_time_us']} us, {budget['max_memory_mb']} MB")
    if data.get("authors"):
        out.print(f"authors    {', '.join(data['authors'])}   license {data.get('license') or '-'}")
    for kind, art in data["artifacts"].items():
        trust = data["trust"][kind]
        verdict = "approved" if trust["approved"] else "not approved"
        out.print(
            f"{kind:<10} {art['path']}  {art['size']:,} bytes  sha256 {art['sha256']}\n"
            f"           {verdict}: {trust['reviews']}/{trust['needed']} trusted reviews ({trust['reason']})"
        )
    out.print(f"installed  {data['installed'] or 'no'}")


# --- install ---------------------------------------------------------------------------------------


def _offer_grants(service: Any, names: list[str], grant: bool) -> None:
    """Grant each installed plugin its declared capabilities when asked (--grant or a prompt)."""
    from pt_tui.sandbox.manifest import load_manifest

    for name in names:
        state = service.store.current(name)
        if state is None:
            continue
        declared = sorted(c.value for c in load_manifest(service.store.folder(state.current)).capabilities)
        if not declared:
            continue
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
        ok = grant or (interactive and click.confirm(f"grant {name} {', '.join(declared)}?", default=True))
        if ok:
            service.grant(name, declared)
            click.echo(f"granted {name} ({state.current.sha256[:12]}): {', '.join(declared)}")
        else:
            click.echo(f"{name} declares {', '.join(declared)}: grant with `pt-tui plugin grant {name}`")


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("specs", nargs=-1, metavar="NAME[@VERSION]...")
@click.option("--locked", is_flag=True, help="Install exactly what the lockfile records.")
@click.option(
    "--lockfile",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The lockfile to reproduce (default: pt-tui.lock in the config dir).",
)
@click.option("--grant", is_flag=True, help="Grant the declared capabilities without asking.")
@JSON_OPTION
def install(specs: tuple[str, ...], locked: bool, lockfile: Path | None, grant: bool, as_json: bool) -> None:
    """Install plugins from the registries (checked by sha256, staged, then switched atomically).

    \b
    Examples:
      pt-tui plugin install fan-in
      pt-tui plugin install fan-in@1.0.0 --grant
      pt-tui plugin install --locked --lockfile ./pt-tui.lock
    """
    if locked == bool(specs):
        _fail("give NAME[@VERSION]... or --locked (not both)", EXIT_USAGE)
    if lockfile is not None and not locked:
        _fail("--lockfile goes with --locked", EXIT_USAGE)
    with _errors():
        service = _service()
        if locked:
            changes = service.install_locked(lockfile)
        else:
            for spec in specs:
                _spec(spec)
            changes = [service.install(spec) for spec in specs]
        _changes(changes, as_json)
        if not as_json:
            _offer_grants(
                service, [c.name for c in changes if c.action not in ("uninstall", "unchanged")], grant
            )
        elif grant:
            for change in changes:
                if change.action != "uninstall":
                    service.grant(change.name, [])


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name", required=False)
@click.option("--grant", is_flag=True, help="Grant the new versions' declared capabilities without asking.")
@JSON_OPTION
def update(name: str | None, grant: bool, as_json: bool) -> None:
    """Update NAME (or every installed plugin) to the newest version at the pinned registry commits.

    Run `pt-tui plugin registry update` first to fetch new versions. The old version is kept for
    `pt-tui plugin rollback`.
    """
    with _errors():
        service = _service()
        changes = service.update(name)
        _changes(changes, as_json)
        if not as_json:
            _offer_grants(service, [c.name for c in changes if c.action == "update"], grant)


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
def uninstall(name: str) -> None:
    """Remove an installed plugin (in one atomic step)."""
    with _errors():
        click.echo(str(_service().uninstall(name)))


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
def rollback(name: str) -> None:
    """Return NAME to the version (or tier) it ran before the last install, update or promotion."""
    with _errors():
        click.echo(str(_service().rollback(name)))


@plugin.command(context_settings=CONTEXT_SETTINGS)
@JSON_OPTION
def installed(as_json: bool) -> None:
    """List the plugins installed from registries (version, tier, sha256, origin)."""
    from pt_tui.sandbox.registry.store import Store

    with _errors():
        states = Store().installed()
    rows: list[dict[str, Any]] = [
        {
            "name": s.current.name,
            "version": s.current.version,
            "tier": s.current.tier,
            "sha256": s.current.sha256,
            "registry": s.current.registry,
            "commit": s.current.commit,
            "previous": f"{s.previous.version} ({s.previous.tier})" if s.previous else None,
        }
        for s in states
    ]
    if as_json:
        _json(rows)
        return
    if not rows:
        click.echo("nothing installed (see `pt-tui plugin search`)")
        return
    table = Table("name", "version", "tier", "sha256", "registry", "previous", box=None)
    for r in rows:
        table.add_row(
            r["name"], r["version"], r["tier"], r["sha256"][:12], r["registry"], r["previous"] or "-"
        )
    _out().print(table)


@plugin.command(context_settings=CONTEXT_SETTINGS)
@JSON_OPTION
def verify(as_json: bool) -> None:
    """Re-hash every installed artifact against its install record, the lockfile and the index.

    Exits 1 when anything differs; each problem shows both hashes.
    """
    with _errors():
        problems = _service().verify()
    if as_json:
        _json({"ok": not problems, "problems": problems})
    elif problems:
        for line in problems:
            click.echo(line)
    else:
        click.echo("all installed plugins verified")
    if problems:
        sys.exit(EXIT_ERROR)


# --- trust -----------------------------------------------------------------------------------------


def _print_scans(scans: list[Any]) -> None:
    out = _out()
    for scan in scans:
        state = "clean" if scan.clean else "FINDINGS"
        out.print(f"[bold]scan {scan.kind}[/bold] {scan.path}: {state}")
        if scan.error:
            out.print(f"  error: {scan.error}")
        for f in scan.findings:
            out.print(f"  {f.severity:<6} {f.where}: {f.message}", markup=False)


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Scan and check the reviews, change nothing.")
@JSON_OPTION
def promote(name: str, dry_run: bool, as_json: bool) -> None:
    """Promote NAME from WASM to its reviewed native build.

    An automated scan runs first and its findings are shown; the promotion then needs the configured
    number of approving reviews (default 2) by trusted reviewers for exactly the native artifact's
    sha256. Exits 1 when the gate refuses.
    """
    with _errors():
        result = _service().promote(name, dry_run=dry_run)
    if as_json:
        _json(result.as_dict())
    else:
        _print_scans(result.scans)
        d = result.decision
        verdict = "approved" if d.approved else "refused"
        click.echo(
            f"reviews for sha256 {result.sha256[:16]}...: {d.reviews}/{d.needed} - {verdict}: {d.reason}"
        )
        if result.change is not None:
            click.echo(str(result.change))
    if not result.decision.approved:
        sys.exit(EXIT_ERROR)


def _accept_installed_names(command: str) -> None:
    """Let ``plugin grant`` / ``revoke`` (from cli_plugin) take an installed plugin's NAME as TARGET."""
    original = plugin.commands.get(command)
    callback = original.callback if original is not None else None
    if original is None or callback is None:
        return

    def wrapped(**params: Any) -> Any:
        from pt_tui.sandbox.registry.index import NAME_RE
        from pt_tui.sandbox.registry.store import Store

        target = params.get("target")
        if isinstance(target, str) and not Path(target).is_dir() and NAME_RE.match(target):
            store = Store()
            if store.current(target) is not None:
                params["target"] = str(store.current_link(target))
        return callback(**params)

    original.callback = wrapped
    original.help = (
        original.help or ""
    ) + "\n\nTARGET may also be the name of a plugin installed from a registry."


_accept_installed_names("grant")
_accept_installed_names("revoke")


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("spec", metavar="NAME[@VERSION]")
@click.option("--verdict", type=click.Choice(["approve", "reject"]), required=True)
@click.option(
    "--artifact",
    type=click.Choice(["native", "wasm", "python"]),
    default=None,
    help="Which artifact the review covers (default: native if there is one).",
)
@click.option(
    "--registry",
    "registry_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Add the signed review to this registry checkout and commit it.",
)
@JSON_OPTION
def review(spec: str, verdict: str, artifact: str | None, registry_dir: Path | None, as_json: bool) -> None:
    """Sign a review of a plugin version with your reviewer key (created on first use, mode 0600).

    The signature covers (name, version, sha256, verdict). It counts for a promotion only for users
    who trust your public key (`pt-tui plugin reviewers trust NAME KEY`).
    """
    import msgspec

    from pt_tui.sandbox.registry.publish import add_review
    from pt_tui.sandbox.registry.reviews import load_or_create_key, sign_review

    name, version = _spec(spec)
    with _errors():
        service = _service()
        offer = service.catalog.find(name, version)
        entry = offer.entry
        kinds = dict(entry.artifacts.items())
        kind = artifact or ("native" if "native" in kinds else "python" if "python" in kinds else "wasm")
        if kind not in kinds:
            _fail(f"{entry.spec} has no {kind} artifact", EXIT_USAGE)
        signed = sign_review(load_or_create_key(), entry.name, entry.version, kinds[kind].sha256, verdict)
        commit = add_review(registry_dir, signed, entry.name, entry.version) if registry_dir else None
    data = {"name": entry.name, "version": entry.version, "artifact": kind, **msgspec.to_builtins(signed)}
    if as_json:
        _json({**data, "commit": commit})
        return
    click.echo(f"signed {verdict} of {entry.spec} {kind} sha256 {signed.sha256[:16]}... as {signed.reviewer}")
    if commit:
        click.echo(
            f"added to {registry_dir} in commit {commit[:12]} (`pt-tui plugin registry update` reads it)"
        )
    else:
        click.echo("[[reviews]]")
        for key in ("reviewer", "verdict", "sha256", "signature"):
            click.echo(f'{key} = "{data[key]}"')


@plugin.group(context_settings=CONTEXT_SETTINGS)
def reviewers() -> None:
    """Your reviewer key and the reviewers you trust (their approvals count for promotions)."""


@reviewers.command("key", context_settings=CONTEXT_SETTINGS)
def reviewers_key() -> None:
    """Print your reviewer public key (creating the key on first use)."""
    from pt_tui.sandbox.registry.reviews import key_id, load_or_create_key, public_key_b64

    with _errors():
        public = load_or_create_key().public_key()
    click.echo(f"{key_id(public)} {public_key_b64(public)}")


@reviewers.command("list", context_settings=CONTEXT_SETTINGS)
@JSON_OPTION
def reviewers_list(as_json: bool) -> None:
    """List the trusted reviewers and the number of approvals a promotion needs."""
    from pt_tui.sandbox.registry.config import load_config
    from pt_tui.sandbox.registry.reviews import key_id

    with _errors():
        config = load_config()
    rows = [
        {"name": r.name, "key_id": key_id(r.public_key), "public_key": r.public_key} for r in config.reviewers
    ]
    if as_json:
        _json({"required_reviews": config.required_reviews, "reviewers": rows})
        return
    click.echo(f"a promotion needs {config.required_reviews} approving review(s)")
    for r in rows:
        click.echo(f"{r['name']}  {r['key_id']}  {r['public_key']}")


@reviewers.command("trust", context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.argument("public_key")
def reviewers_trust(name: str, public_key: str) -> None:
    """Trust reviewer NAME's ed25519 PUBLIC_KEY (base64 of the raw 32 bytes)."""
    from pt_tui.sandbox.registry.config import load_config, save_config
    from pt_tui.sandbox.registry.reviews import key_id

    with _errors():
        config = load_config()
        ident = key_id(public_key)
        config.trust(name, public_key)
        save_config(config)
    click.echo(f"trusted {name} ({ident})")


@reviewers.command("untrust", context_settings=CONTEXT_SETTINGS)
@click.argument("name_or_key")
def reviewers_untrust(name_or_key: str) -> None:
    """Stop trusting a reviewer (by name or public key)."""
    from pt_tui.sandbox.registry.config import load_config, save_config

    with _errors():
        config = load_config()
        if not config.untrust(name_or_key):
            _fail(f"no trusted reviewer {name_or_key!r}", EXIT_USAGE)
        save_config(config)
    click.echo(f"no longer trusted: {name_or_key}")


@reviewers.command("require", context_settings=CONTEXT_SETTINGS)
@click.argument("count", type=click.IntRange(1, 100))
def reviewers_require(count: int) -> None:
    """Set how many trusted approving reviews a promotion needs (default 2)."""
    from pt_tui.sandbox.registry.config import load_config, save_config

    with _errors():
        config = load_config()
        config.required_reviews = count
        save_config(config)
    click.echo(f"a promotion now needs {count} approving review(s)")


# --- authors ---------------------------------------------------------------------------------------


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name")
@click.option("--lang", type=click.Choice(["wat", "c", "rust", "python"]), required=True)
@click.option(
    "--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True
)
def new(name: str, lang: str, parent: Path) -> None:
    """Create a working plugin scaffold NAME: manifest, source, build and a test.

    \b
    Examples:
      pt-tui plugin new my-verb --lang python
      pt-tui plugin new my-verb --lang wat && cd my-verb && make && make test
    """
    from pt_tui.sandbox.registry.scaffold import scaffold

    with _errors():
        folder, files = scaffold(name, lang, parent)
    click.echo(f"created {folder}:")
    for rel in files:
        click.echo(f"  {rel}")
    click.echo(f"next: cd {folder} && make && make test && pt-tui plugin check .")


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-calibrate", is_flag=True, help="Skip measuring the plugin on the calibration graph.")
@JSON_OPTION
def check(path: Path, no_calibrate: bool, as_json: bool) -> None:
    """Check a plugin folder: manifest, capabilities, static scan and budget calibration.

    Exits 1 when the manifest is invalid, a scan has high-severity findings, or calibration refuses.
    """
    from pt_tui.sandbox.registry.scaffold import check_plugin

    with _errors():
        report = check_plugin(path, calibrate=not no_calibrate)
    if as_json:
        _json(report.as_dict())
    else:
        out = _out()
        out.print(f"manifest   {report.name} {report.version} ({report.tier}) ok")
        out.print(f"sha256     {report.sha256}")
        out.print(f"caps       {', '.join(report.capabilities) or '-'}")
        _print_scans(report.scans)
        if report.calibration:
            for verb in report.calibration:
                out.print(f"calibrate  {verb}", markup=False)
        for problem in report.problems:
            out.print(f"problem    {problem}", markup=False)
    if not report.ok:
        sys.exit(EXIT_ERROR)


@plugin.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--registry",
    "registry_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The registry checkout (a git work tree) to add the plugin to.",
)
@click.option("--author", "authors", multiple=True, help="An author (repeatable).")
@click.option("--license", "license_", default="", help="The plugin's license (SPDX id).")
@click.option("--init", is_flag=True, help="Create the registry repository if it does not exist.")
@JSON_OPTION
def publish(
    path: Path, registry_dir: Path, authors: tuple[str, ...], license_: str, init: bool, as_json: bool
) -> None:
    """Add the plugin at PATH to a registry checkout, with its artifacts' sha256, and commit it.

    \b
    Examples:
      pt-tui plugin publish ./my-verb --registry ~/src/my-registry --author "Me <me@example.org>"
    """
    import msgspec

    from pt_tui.sandbox.registry.publish import publish as do_publish

    with _errors():
        result = do_publish(path, registry_dir, authors=authors, license=license_, init=init)
    if as_json:
        _json(
            {"entry": msgspec.to_builtins(result.entry), "commit": result.commit, "file": result.index_file}
        )
        return
    click.echo(f"published {result.entry.spec} as {result.index_file} in commit {result.commit[:12]}")
    for kind, art in result.entry.artifacts.items():
        click.echo(f"  {kind}: {art.path} sha256 {art.sha256}")
