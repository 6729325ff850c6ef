"""The automated scan shown before a promotion (and by ``check``): static, never runs the plugin.

- WASM: every import against the pt-tui host functions and the declared capabilities; the exports
  the ABI needs (wasmtime ``Module.imports`` / ``Module.exports``).
- Python: bandit findings over the plugin folder (bandit run as a subprocess with JSON output).
- Shared library: imported dynamic symbols that reach the process, network or file system
  (pyelftools when installed, else binutils ``nm -D --undefined-only``).
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import wasmtime

from pt_tui.sandbox.api import Capability
from pt_tui.sandbox.manifest import Manifest

#: Imported C symbols a plugin's shared library should not need, by what they reach.
_SYMBOL_GROUPS: dict[str, tuple[str, ...]] = {
    "process": (
        "system",
        "popen",
        "execl",
        "execle",
        "execlp",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "fexecve",
        "fork",
        "vfork",
        "clone",
        "posix_spawn",
        "posix_spawnp",
        "kill",
        "ptrace",
        "dlopen",
        "dlsym",
        "setuid",
        "setgid",
    ),
    "network": (
        "socket",
        "connect",
        "bind",
        "listen",
        "accept",
        "accept4",
        "send",
        "sendto",
        "sendmsg",
        "recv",
        "recvfrom",
        "recvmsg",
        "getaddrinfo",
        "gethostbyname",
        "gethostbyaddr",
    ),
    "file": (
        "open",
        "open64",
        "openat",
        "openat64",
        "creat",
        "creat64",
        "fopen",
        "fopen64",
        "freopen",
        "unlink",
        "unlinkat",
        "remove",
        "rename",
        "renameat",
        "mkdir",
        "rmdir",
        "chmod",
        "chown",
        "truncate",
        "ftruncate",
        "symlink",
        "link",
        "opendir",
    ),
}
DANGEROUS_SYMBOLS: dict[str, str] = {s: reach for reach, syms in _SYMBOL_GROUPS.items() for s in syms}
_VERSIONED = re.compile(r"@.*$")


@dataclass(frozen=True)
class Finding:
    severity: str  # high | medium | low | info
    where: str
    message: str


@dataclass
class ScanReport:
    kind: str  # wasm | native | python
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str = ""  # the scan itself could not run (shown; counts as not clean)

    @property
    def clean(self) -> bool:
        """No high-severity finding and the scan ran."""
        return not self.error and not any(f.severity == "high" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "clean": self.clean,
            "error": self.error,
            "findings": [vars(f) for f in self.findings],
        }


def scan_wasm(path: Path, declared: Iterable[Capability], *, kind: str = "query") -> ScanReport:
    """Compare a module's imports and exports with the declared capabilities and the ABI."""
    from pt_tui.sandbox.wasm.host import ENTRY_EXPORTS, HOST_IMPORTS, REQUIRED_EXPORTS

    report = ScanReport("wasm", str(path))
    declared = frozenset(declared)
    try:
        module = wasmtime.Module.from_file(wasmtime.Engine(), str(path))
    except (wasmtime.WasmtimeError, OSError) as exc:
        report.error = f"not a valid wasm module: {str(exc).splitlines()[0]}"
        return report
    used: set[Capability] = set()
    for imp in module.imports:
        where = f"import {imp.module}.{imp.name}"
        spec = HOST_IMPORTS.get(imp.name or "") if imp.module == "pt" else None
        if spec is None:
            report.findings.append(
                Finding("high", where, "not a pt-tui host function: the load will refuse it")
            )
        elif spec.capability not in declared:
            report.findings.append(
                Finding("high", where, f"needs {spec.capability.value}, which plugin.toml does not declare")
            )
        else:
            used.add(spec.capability)
            report.findings.append(Finding("info", where, f"uses {spec.capability.value} (declared)"))
    for cap in sorted(declared - used - {Capability.GRAPH_READ}):
        report.findings.append(Finding("low", "capabilities", f"{cap.value} is declared but never imported"))
    exports = {e.name for e in module.exports}
    for name in [*REQUIRED_EXPORTS, ENTRY_EXPORTS.get(kind, "pt_query"), "memory"]:
        if name not in exports:
            report.findings.append(Finding("medium", f"export {name}", "missing: the ABI needs it"))
    extra = sorted(exports - {*REQUIRED_EXPORTS, *ENTRY_EXPORTS.values(), "memory", "pt_free", "pt_columns"})
    if extra:
        report.findings.append(Finding("info", "exports", f"other exports: {', '.join(extra[:10])}"))
    return report


def scan_python(folder: Path) -> ScanReport:
    """bandit over the plugin's folder: each finding with its test id, severity and line."""
    report = ScanReport("python", str(folder))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bandit", "-r", str(folder), "-f", "json", "-q"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        data = json.loads(proc.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        report.error = f"bandit could not run: {exc}"
        return report
    if "results" not in data:
        report.error = f"bandit could not run: {proc.stderr.strip().splitlines()[-1:] or ['no output']}"
        return report
    for result in data["results"]:
        rel = Path(result.get("filename", "")).resolve()
        try:
            shown = rel.relative_to(folder.resolve()).as_posix()
        except ValueError:
            shown = rel.name
        report.findings.append(
            Finding(
                str(result.get("issue_severity", "low")).lower(),
                f"{shown}:{result.get('line_number', 0)}",
                f"{result.get('test_id', '')} {result.get('issue_text', '')}".strip(),
            )
        )
    for error in data.get("errors", []):
        report.findings.append(
            Finding("medium", str(error.get("filename", "")), str(error.get("reason", "")))
        )
    return report


def undefined_symbols(path: Path) -> list[str]:
    """The undefined (imported) dynamic symbols of an ELF shared library."""
    try:
        elffile: Any = importlib.import_module("elftools.elf.elffile")
    except ImportError:
        elffile = None
    if elffile is not None:
        with path.open("rb") as handle:
            elf = elffile.ELFFile(handle)
            table = elf.get_section_by_name(".dynsym")
            if table is None:
                return []
            return sorted({s.name for s in table.iter_symbols() if s.name and s["st_shndx"] == "SHN_UNDEF"})
    nm = shutil.which("nm")
    if nm is None:
        raise RuntimeError("neither pyelftools nor binutils nm is available")
    proc = subprocess.run(
        [nm, "-D", "--undefined-only", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "nm failed")
    names = [line.split()[-1] for line in proc.stdout.splitlines() if line.strip()]
    return sorted({_VERSIONED.sub("", n) for n in names})


def scan_shared_lib(path: Path) -> ScanReport:
    """The dangerous symbols a native build imports (process, network, file calls)."""
    report = ScanReport("native", str(path))
    try:
        symbols = undefined_symbols(path)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        report.error = f"cannot read the dynamic symbols: {exc}"
        return report
    except Exception as exc:  # pyelftools raises its own errors on a malformed file
        report.error = f"not a readable ELF shared library: {exc}"
        return report
    for symbol in symbols:
        reach = DANGEROUS_SYMBOLS.get(symbol)
        if reach is not None:
            report.findings.append(Finding("high", f"imports {symbol}", f"{reach} access from a plugin"))
    others = [s for s in symbols if s not in DANGEROUS_SYMBOLS]
    if others:
        shown = ", ".join(others[:12]) + (" ..." if len(others) > 12 else "")
        report.findings.append(Finding("info", "imports", f"other imported symbols: {shown}"))
    return report


def scan_plugin(folder: Path, manifest: Manifest) -> list[ScanReport]:
    """Every scan that applies to a plugin folder: its wasm module, native build, Python sources."""
    reports: list[ScanReport] = []
    art = manifest.artifact
    if art.wasm and (folder / art.wasm).is_file():
        reports.append(scan_wasm(folder / art.wasm, manifest.capabilities, kind=manifest.kind))
    if art.native and (folder / art.native).is_file():
        reports.append(scan_shared_lib(folder / art.native))
    if art.entry:  # a Python plugin
        reports.append(scan_python(folder))
    return reports
