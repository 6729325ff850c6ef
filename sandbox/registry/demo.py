"""The demo registry: plain files in the package, made a local git repository on first use.

``pt_tui/demo/registry/`` holds an index and plugin folders (no ``.git``: a wheel cannot ship one).
:func:`materialize` copies them to ``<cache>/demo-registry`` and commits them with a fixed author and
date, so the commit SHA is the same on every machine and the demo works offline. It is rebuilt when
the packaged files change (a stamp of their content is kept next to it).

The demo reviewers' keys are derived from public seeds (:data:`DEMO_REVIEWERS`): they are NOT secret
and only the demo trusts them. :func:`build_demo_source` regenerates the packaged files from the
example plugins in a source checkout (``python -m pt_tui.sandbox.registry.demo PLUGINS_DIR``).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

import git
import tomlkit
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import pt_tui
from pt_tui.sandbox.manifest import artifact_sha256, load_manifest
from pt_tui.sandbox.registry.catalog import add_registry
from pt_tui.sandbox.registry.config import RegistryConfig, RegistrySource, load_config, save_config
from pt_tui.sandbox.registry.gitrepo import fetch
from pt_tui.sandbox.registry.index import entry_filename, parse_entry
from pt_tui.sandbox.registry.paths import cache_dir
from pt_tui.sandbox.registry.publish import build_entry, dump_entry
from pt_tui.sandbox.registry.reviews import public_key_b64, sign_review

DEMO_NAME = "demo"
DEMO_AUTHOR = git.Actor("pt-tui demo", "demo@pt-tui.invalid")
DEMO_DATE = "1767225600 +0000"  # 2026-01-01T00:00:00Z, git raw date format
REVIEWERS_FILE = "reviewers.toml"
#: Demo reviewers: name -> seed of the ed25519 key (public on purpose: demo only).
DEMO_REVIEWERS = {"demo-alice": "pt-tui demo reviewer alice", "demo-bob": "pt-tui demo reviewer bob"}

#: What the demo registry holds, from a source checkout's plugins/ folder: (folder, reviewed).
DEMO_PLUGINS: tuple[tuple[str, bool], ...] = (
    ("wat/fan-in", False),  # v1 and v2 of a useful plugin, to swap live
    ("wat/fan-in-v2", False),
    ("c/hotspots", True),  # a WASM plugin with a native build and two approving reviews: promotable
    ("python/dead-code", True),  # a native Python plugin, reviewed so it loads
    ("wat/hostile-loop", False),  # hostile examples: contained by the sandbox
    ("wat/hostile-memory", False),
    ("wat/hostile-trap", False),
    ("wat/hostile-capability", False),
    ("wat/hostile-malformed", False),
    ("wat/hostile-huge-output", False),
    ("wat/hostile-recursion", False),
    ("python/sneaky", False),  # hostile native Python, unreviewed: refused by the trust check
)
TAMPERED = ("wat/fan-in", "tampered-fan-in")  # its artifact changed after the index was written


def demo_source() -> Path:
    return Path(pt_tui.__file__).resolve().parent / "demo" / "registry"


def demo_repo() -> Path:
    return cache_dir() / "demo-registry"


def demo_key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(DEMO_REVIEWERS[name].encode()).digest())


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _stamp(root: Path) -> str:
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def materialize(source: Path | None = None, target: Path | None = None) -> Path:
    """The demo registry as a git repository (created or refreshed from the packaged files)."""
    source = source or demo_source()
    target = target or demo_repo()
    stamp = _stamp(source)
    stamp_file = target.parent / f".{target.name}.stamp"
    if (target / ".git").is_dir() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".demo-registry-", dir=target.parent))
    try:
        # copyfile, not copy2: no modes copied, so the commit is the same from a checkout or a wheel
        shutil.copytree(
            source,
            work,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__"),
            copy_function=shutil.copyfile,
        )
        repo = git.Repo.init(work)
        repo.index.add([p.relative_to(work).as_posix() for p in _files(work) if ".git" not in p.parts])
        repo.index.commit(
            "pt-tui demo registry",
            author=DEMO_AUTHOR,
            committer=DEMO_AUTHOR,
            author_date=DEMO_DATE,
            commit_date=DEMO_DATE,
        )
        repo.close()
        if target.exists():
            old = target.parent / f".{target.name}.old-{work.name}"
            target.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    stamp_file.write_text(stamp)
    return target


def setup_demo(config: RegistryConfig | None = None) -> tuple[RegistrySource, list[str]]:
    """Add (or refresh) the ``demo`` registry and trust the demo reviewers; returns them."""
    config = config or load_config()
    path = str(materialize())
    existing = next((s for s in config.registries if s.name == DEMO_NAME), None)
    if existing is not None and existing.url == path:
        existing.commit = fetch(existing)
        source = existing
    else:
        if existing is not None:
            config.remove(DEMO_NAME)
        source = add_registry(config, DEMO_NAME, path)
    reviewers = tomlkit.parse((demo_source() / REVIEWERS_FILE).read_text(encoding="utf-8")).unwrap()
    names: list[str] = []
    for item in reviewers.get("reviewer", []):
        config.trust(item["name"], item["public_key"])
        names.append(item["name"])
    save_config(config)
    return source, names


def build_demo_source(plugins: Path, out: Path) -> None:
    """Regenerate the packaged demo files from a source checkout's ``plugins/`` folder."""
    if out.exists():
        shutil.rmtree(out)
    (out / "index").mkdir(parents=True)
    for rel, reviewed in DEMO_PLUGINS:
        _add(plugins / rel, out, reviewed=reviewed)
    _add(plugins / TAMPERED[0], out, reviewed=False, rename=TAMPERED[1])
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Demo reviewers: keys derived from public seeds, trusted by the demo only."))
    reviewers = tomlkit.aot()
    for name in DEMO_REVIEWERS:
        table = tomlkit.table()
        table.update({"name": name, "public_key": public_key_b64(demo_key(name).public_key())})
        reviewers.append(table)
    doc["reviewer"] = reviewers
    (out / REVIEWERS_FILE).write_text(tomlkit.dumps(doc), encoding="utf-8")
    (out / "README.md").write_text(
        "# pt-tui demo registry\n\nMade a git repository on first use by `pt-tui plugin registry demo`.\n"
        "Regenerated from the example plugins by `python -m pt_tui.sandbox.registry.demo plugins/`.\n",
        encoding="utf-8",
    )


def _add(folder: Path, out: Path, *, reviewed: bool, rename: str | None = None) -> None:
    manifest = load_manifest(folder)
    name = rename or manifest.name
    repo_path = f"plugins/{name}/{manifest.version}"
    target = out / repo_path
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    if rename:
        doc = tomlkit.parse((target / "plugin.toml").read_text(encoding="utf-8"))
        doc["name"] = rename
        doc["description"] = f"TAMPERED: its artifact no longer matches the index ({manifest.description})"
        (target / "plugin.toml").write_text(tomlkit.dumps(doc), encoding="utf-8")
        manifest = load_manifest(target)
    data = build_entry(target, manifest, repo_path=repo_path, authors=["pt-tui examples"], license="MIT")
    if reviewed:
        kind = "native" if "native" in data["artifacts"] else "python"
        sha = data["artifacts"][kind]["sha256"]
        data["reviews"] = [
            {**_review(reviewer, name, manifest.version, sha)} for reviewer in sorted(DEMO_REVIEWERS)
        ]
    if rename:  # tamper after the index is written: install must refuse it, showing both hashes
        wasm = target / (manifest.artifact.wasm or "")
        wasm.write_bytes(wasm.read_bytes() + b"\0tampered")
        assert artifact_sha256(wasm) != data["artifacts"]["wasm"]["sha256"]
    text = dump_entry(data)
    index_file = entry_filename(name, manifest.version)
    parse_entry(text.encode(), index_file)
    (out / index_file).parent.mkdir(parents=True, exist_ok=True)
    (out / index_file).write_text(text, encoding="utf-8")


def _review(reviewer: str, name: str, version: str, sha: str) -> dict[str, str]:
    review = sign_review(demo_key(reviewer), name, version, sha, "approve")
    return {
        "reviewer": review.reviewer,
        "verdict": review.verdict,
        "sha256": sha,
        "signature": review.signature,
    }


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    build_demo_source(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else demo_source())
