"""The headless CLI: commands, JSON forms, exit codes and one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pt_tui.app.cli import main

PY = {
    "pkg/__init__.py": '"""A package."""\nfrom .core import run\n',
    "pkg/core.py": (
        '"""Core."""\n\n\nclass Base:\n    def hello(self) -> str:\n        return "hi"\n\n\n'
        "class Child(Base):\n    def greet(self) -> str:\n        return self.hello()\n\n\n"
        "def run() -> str:\n    return Child().greet()\n"
    ),
    "main.py": "from pkg import run\n\n\ndef main() -> None:\n    run()\n",
}
RS = {
    "crate/Cargo.toml": '[package]\nname = "demo-crate"\nversion = "0.1.0"\n',
    "crate/src/lib.rs": (
        "pub trait Shape { fn area(&self) -> f64; }\n"
        "pub struct Square { pub side: f64 }\n"
        "impl Shape for Square { fn area(&self) -> f64 { self.side * self.side } }\n"
        "pub fn total(shapes: &[Square]) -> f64 { shapes.iter().map(|s| s.area()).sum() }\n"
    ),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    for rel, text in {**PY, **RS}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_everywhere_with_examples() -> None:
    for command in ([], ["index"], ["stats"], ["query"], ["export"], ["demo"]):
        code, out, _ = invoke(*command, "--help")
        assert code == 0
        assert "Examples:" in out


def test_index_reports_counts(project: Path) -> None:
    code, out, _ = invoke("index", str(project), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["files_indexed"] == 4
    assert report["by_language"] == {"python": 3, "rust": 1}
    assert report["nodes"] > 8
    assert report["edge_kinds"]["CALLS"] >= 3


def test_query_json_and_latency(project: Path) -> None:
    code, out, _ = invoke("query", str(project), "callers Base.hello", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["elapsed_us"] > 0
    assert [r["node"]["qualname"] for r in result["rows"]] == ["pkg.core.Child.greet"]


def test_query_table(project: Path) -> None:
    code, out, _ = invoke("query", str(project), "what-implements Shape")
    assert code == 0
    assert "demo_crate::Square" in out
    assert "µs" in out


def test_bad_query_is_one_line_with_column(project: Path) -> None:
    code, out, err = invoke("query", str(project), "callers run --dept 2")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "column" in lines[0] and "--depth" in lines[0]


def test_unknown_entity_is_an_error(project: Path) -> None:
    code, _, err = invoke("query", str(project), "callers no_such_thing_here")
    assert code == 2
    assert err.strip() and "Traceback" not in err


def test_missing_path_is_one_line(tmp_path: Path) -> None:
    code, _, err = invoke("index", str(tmp_path / "nope"))
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "no such" in err


def test_export_json_shape(project: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "g.json"
    code, _, _ = invoke("export", str(project), "--format", "json", "-o", str(out_file))
    assert code == 0
    data = json.loads(out_file.read_text())
    assert set(data) == {"nodes", "edges"}
    for key in ("id", "kind", "name", "qualname", "file", "line", "language"):
        assert key in data["nodes"][0]
    ids = {n["id"] for n in data["nodes"]}
    kinds = {e["kind"] for e in data["edges"]}
    assert {"CALLS", "CONTAINS", "IMPLEMENTS"} <= kinds
    for edge in data["edges"]:
        assert edge["src"] in ids and edge["dst"] in ids
        assert {"src", "dst", "kind", "file", "line"} <= set(edge)


@pytest.mark.parametrize("fmt, marker", [("dot", "digraph"), ("mermaid", "flowchart")])
def test_export_text_formats(project: Path, fmt: str, marker: str) -> None:
    code, out, _ = invoke("export", str(project), "--format", fmt)
    assert code == 0
    assert marker in out


def test_console_script_runs(project: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pt_tui", "query", str(project), "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verb"] == "stats"


def test_query_uses_installed_plugin_verbs(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin on the plugin path adds its verb to ``pt-tui query`` (loaded on first use)."""
    plugins = tmp_path / "plugins"
    shutil.copytree(Path(__file__).resolve().parent.parent / "plugins" / "wat" / "fan-in", plugins / "fan-in")
    monkeypatch.setenv("PT_TUI_PLUGIN_PATH", str(plugins))
    monkeypatch.setenv("PT_TUI_CONFIG_DIR", str(tmp_path / "config"))
    code, _, err = invoke("plugin", "grant", str(plugins / "fan-in"), "graph.read")
    assert code == 0, err
    code, out, err = invoke("query", str(project), "search * --kind method | fan-in", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["verb"] == "fan-in" and data["rows"]
    monkeypatch.setenv("PT_TUI_PLUGIN_PATH", str(tmp_path / "empty"))
    code, _, err = invoke("query", str(project), "search * | fan-in")
    assert code == 2 and "unknown verb 'fan-in'" in err
