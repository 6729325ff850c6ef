"""``pt-tui plugin ...`` and ``pt-tui worker``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pt_tui.app.cli import main
from pt_tui.core.query.registry import VERBS
from pt_tui.sandbox.api import Capability
from pt_tui.sandbox.capabilities import Grants
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.trust import LocalApprovals

PLUGINS = Path(__file__).resolve().parent.parent / "plugins" / "python"
SOURCE = (
    "def helper():\n    return 1\n\n\ndef orphan():\n    return helper()\n\n\n"
    "def main():\n    return helper() + helper()\n"
)


@pytest.fixture(autouse=True)
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PT_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PT_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PT_TUI_PLUGIN_PATH", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(SOURCE)
    return project


def test_list_json() -> None:
    result = CliRunner().invoke(main, ["plugin", "list", "--dir", str(PLUGINS), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert {"dead-code", "hotspots", "mermaid-context", "worker-crash"} <= set(rows)
    hot = rows["hotspots"]
    assert hot["verbs"] == ["hotspots"] and hot["granted"] == [] and hot["trusted"] is False
    assert rows["worker-crash"]["tier"] == "native/worker"
    assert rows["mermaid-context"]["verbs"] == ["--format mermaid"]
    assert "hotspots" not in VERBS  # listing registers nothing for good


def test_list_table() -> None:
    result = CliRunner().invoke(main, ["plugin", "list", "--dir", str(PLUGINS)])
    assert result.exit_code == 0 and "dead-code" in result.output and "plugins" in result.output


def test_run_prints_result_and_timings(dirs: Path) -> None:
    args = ["plugin", "run", str(dirs), "callers helper | dead-code", "--plugin", str(PLUGINS / "dead-code")]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["node"]["qualname"] for r in data["result"]["rows"]] == ["app.orphan"]
    timed = {(q["plugin"], q["query"]) for q in data["stats"]["queries"]}
    assert {("core", "callers"), ("dead-code", "dead-code")} <= timed
    table = CliRunner().invoke(main, args)
    assert table.exit_code == 0 and "app.orphan" in table.output and "p99 us" in table.output
    assert "dead-code" not in VERBS


def test_run_bad_query_exits_2(dirs: Path) -> None:
    result = CliRunner().invoke(
        main, ["plugin", "run", str(dirs), "dead-code", "--plugin", str(PLUGINS / "raising")]
    )
    assert result.exit_code == 2


def test_stats(dirs: Path) -> None:
    args = ["plugin", "stats", str(dirs), "-q", "hotspots", "-q", "explode", "--repeat", "5", "--json"]
    args += ["--plugin", str(PLUGINS / "hotspots"), "--plugin", str(PLUGINS / "raising")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_query = {q["query"]: q for q in data["queries"]}
    assert by_query["hotspots"]["count"] == 5
    assert by_query["explode"]["violations"] == {"trap": 1}
    assert any(e["kind"] == "violation" for e in data["events"])


def test_grant_revoke_approve(tmp_path: Path) -> None:
    folder = str(PLUGINS / "hotspots")
    sha = load_manifest(PLUGINS / "hotspots").sha256(PLUGINS / "hotspots")
    runner = CliRunner()
    result = runner.invoke(main, ["plugin", "grant", folder, "graph.read", "log"])
    assert result.exit_code == 0 and "granted graph.read, log" in result.output
    grants = Grants(tmp_path / "config" / "grants.toml")
    assert grants.granted(sha) == {Capability.GRAPH_READ, Capability.LOG}
    assert runner.invoke(main, ["plugin", "revoke", sha, "log"]).exit_code == 0
    assert grants.granted(sha) == {Capability.GRAPH_READ}
    bad = runner.invoke(main, ["plugin", "grant", folder, "teleport"])
    assert bad.exit_code == 2 and "unknown capability 'teleport'" in bad.output
    assert runner.invoke(main, ["plugin", "grant", "nope", "log"]).exit_code == 2
    assert runner.invoke(main, ["plugin", "approve", folder]).exit_code == 0
    assert LocalApprovals(tmp_path / "config" / "approvals.toml").check("hotspots", "1.0.0", sha).approved


def test_worker_command_is_registered() -> None:
    result = CliRunner().invoke(main, ["worker", "--help"])
    assert result.exit_code == 0 and "stdin/stdout" in result.output


def test_load_reports_refusals() -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["plugin", "load", str(PLUGINS / "largest"), "--dev", "--json"])
    assert ok.exit_code == 0, ok.output
    (row,) = json.loads(ok.stdout)
    assert row["ok"] and row["tier"].startswith("native (dev") and row["calibration"][0]["verb"] == "largest"
    refused = runner.invoke(main, ["plugin", "load", str(PLUGINS / "largest")])  # not granted, not trusted
    assert refused.exit_code == 1 and "capability 'graph.read' refused" in refused.stdout
