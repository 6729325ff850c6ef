"""For plugin authors: ``new`` (a working scaffold per language) and ``check`` (validate a folder).

Every scaffold adds one verb named like the plugin that reports, for each input entity, how many
entities call it (its CALLS fan-in); it has a manifest, the source, a Makefile (``make`` builds,
``make test`` runs the test) and a test that loads the plugin through the real host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pt_tui.sandbox.errors import PluginError
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.registry.errors import RegistryError
from pt_tui.sandbox.registry.index import NAME_RE
from pt_tui.sandbox.registry.scan import ScanReport, scan_plugin
from pt_tui.sandbox.registry.templates import TEMPLATES

LANGS = ("wat", "c", "rust", "python")


def _ident(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", name)


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", name) if part) or "Plugin"


def scaffold(name: str, lang: str, parent: Path) -> tuple[Path, list[str]]:
    """Write the scaffold for plugin ``name`` in ``parent/name``; return the folder and its files."""
    if not NAME_RE.match(name):
        raise RegistryError(f"invalid plugin name {name!r}: [a-z0-9][a-z0-9-]{{0,62}}")
    if lang not in LANGS:
        raise RegistryError(f"unknown language {lang!r} (one of {', '.join(LANGS)})")
    folder = parent / name
    if folder.exists() and any(folder.iterdir()):
        raise RegistryError(f"{folder} already exists and is not empty")
    values = {
        "NAME": name,
        "IDENT": _ident(name),
        "CLASS": _class_name(name),
        "NAME_LEN": str(len(name.encode())),
    }
    written: list[str] = []
    for template, text in TEMPLATES[lang].items():
        rel = template.replace("IDENT", values["IDENT"])
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(rel)
    if lang == "wat":  # no toolchain needed: build the module now, so the folder is loadable at once
        import wasmtime

        wat = folder / f"{values['IDENT']}.wat"
        (folder / f"{values['IDENT']}.wasm").write_bytes(wasmtime.wat2wasm(wat.read_text(encoding="utf-8")))
        written.append(f"{values['IDENT']}.wasm")
    return folder, written


@dataclass
class CheckReport:
    name: str
    version: str
    tier: str
    sha256: str
    capabilities: list[str]
    scans: list[ScanReport]
    calibration: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.clean for s in self.scans)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "name": self.name,
            "version": self.version,
            "tier": self.tier,
            "sha256": self.sha256,
            "capabilities": self.capabilities,
            "scans": [s.as_dict() for s in self.scans],
            "calibration": self.calibration,
            "problems": self.problems,
        }


def check_plugin(folder: Path, *, calibrate: bool = True) -> CheckReport:
    """Manifest (raises ManifestError naming the key), static scans, then budget calibration.

    Calibration loads the plugin through the host's loader as a development plugin (its declared
    capabilities granted for this run) and measures each verb on the synthetic calibration graph.
    """
    manifest = load_manifest(folder)
    report = CheckReport(
        name=manifest.name,
        version=manifest.version,
        tier=manifest.tier,
        sha256=manifest.sha256(folder),
        capabilities=sorted(c.value for c in manifest.capabilities),
        scans=scan_plugin(folder, manifest),
    )
    if calibrate:
        from pt_tui.sandbox.loader import LoadOptions, load_plugin

        try:
            loaded = load_plugin(
                folder, grants=None, trust=None, dev=True, options=LoadOptions(calibrate=True)
            )
        except PluginError as exc:
            report.problems.append(f"load/calibration: {exc}")
        else:
            try:
                if loaded.calibration is not None:
                    for v in loaded.calibration.verbs:
                        report.calibration.append(
                            f"{v.verb}: p50 {v.p50_us:.0f} us, p99 {v.p99_us:.0f} us over {v.runs} runs "
                            f"(budget {loaded.budget.max_query_time_us} us)"
                        )
            finally:
                loaded.close()
    return report
