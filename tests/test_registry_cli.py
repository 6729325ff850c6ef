"""``pt-tui plugin ...`` registry commands end to end: help, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
from click.testing import CliRunner
from test_registry_support import env, make_plugin  # noqa: F401

from pt_tui.app.cli import main

pytestmark = pytest.mark.usefixtures("env")

COMMANDS = [
    ["registry"],
    ["registry", "add"],
    ["registry", "list"],
    ["registry", "remove"],
    ["registry", "update"],
    ["registry", "demo"],
    ["search"],
    ["info"],
    ["install"],
    ["installed"],
    ["update"],
    ["uninstall"],
    ["verify"],
    ["promote"],
    ["rollback"],
    ["grant"],
    ["revoke"],
    ["review"],
    ["reviewers", "trust"],
    ["new"],
    ["check"],
    ["publish"],
]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["plugin", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    code, out, _ = invoke(*command, "--help")
    assert code == 0 and "Usage: " in out


def test_author_to_user_round_trip(tmp_path: Path) -> None:
    code, out, err = invoke("new", "my-verb", "--lang", "wat", "--dir", str(tmp_path))
    assert code == 0, err
    assert "my_verb.wasm" in out
    code, out, err = invoke("check", str(tmp_path / "my-verb"), "--no-calibrate", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and report["name"] == "my-verb" and report["scans"][0]["kind"] == "wasm"

    registry = tmp_path / "registry"
    code, out, err = invoke("publish", str(tmp_path / "my-verb"), "--registry", str(registry))
    assert code == 1 and "pass --init" in err and err.count("\n") == 1
    code, out, err = invoke(
        "publish",
        str(tmp_path / "my-verb"),
        "--registry",
        str(registry),
        "--init",
        "--author",
        "Me",
        "--json",
    )
    assert code == 0, err
    published = json.loads(out)
    assert published["file"] == "index/my-verb/0.1.0.toml"
    assert git.Repo(registry).head.commit.hexsha == published["commit"]

    assert invoke("registry", "add", "mine", str(registry))[0] == 0
    code, out, _ = invoke("registry", "list", "--json")
    (row,) = json.loads(out)
    assert (row["name"], row["commit"]) == ("mine", published["commit"])
    code, out, _ = invoke("search", "my", "--json")
    assert [r["name"] for r in json.loads(out)] == ["my-verb"]
    code, out, _ = invoke("info", "my-verb", "--json")
    info = json.loads(out)
    assert info["registry"] == "mine" and info["authors"] == ["Me"] and info["installed"] is None

    code, out, err = invoke("install", "my-verb", "--grant")
    assert code == 0, err
    assert "installed my-verb 0.1.0 (wasm)" in out and "granted my-verb" in out
    code, out, _ = invoke("installed", "--json")
    assert [(r["name"], r["tier"]) for r in json.loads(out)] == [("my-verb", "wasm")]
    code, out, _ = invoke("list", "--json")  # the plugin host's own list finds the installed version
    assert [(r["name"], r["granted"]) for r in json.loads(out)] == [("my-verb", ["graph.read"])]
    assert invoke("verify")[0] == 0
    assert invoke("revoke", "my-verb")[0] == 0  # by name, through the wrapped host command

    code, out, err = invoke(
        "review", "my-verb", "--verdict", "approve", "--registry", str(registry), "--json"
    )
    assert code == 0, err
    review = json.loads(out)
    assert review["artifact"] == "wasm" and review["commit"] == git.Repo(registry).head.commit.hexsha
    code, out, _ = invoke("reviewers", "key")
    assert out.split()[0] == review["reviewer"]

    code, out, err = invoke("promote", "my-verb")
    assert code == 1 and "no native build" in err
    code, out, err = invoke("uninstall", "my-verb")
    assert code == 0 and "uninstalled my-verb" in out
    code, out, _ = invoke("registry", "remove", "mine")
    assert code == 0 and invoke("registry", "list", "--json")[1].strip() == "[]"


def test_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    code, _, err = invoke("install")
    assert code == 2 and err.startswith("pt-tui: give NAME")
    code, _, err = invoke("install", "nothing@")
    assert code == 2 and "give a version" in err
    code, _, err = invoke("install", "nothing")
    assert (
        code == 1
        and err.strip() == "pt-tui: no plugin named 'nothing' in any registry (try `pt-tui plugin search`)"
    )
    code, _, err = invoke("rollback", "nothing")
    assert code == 1 and err.count("\n") == 1
    code, _, err = invoke("registry", "add", "bad", str(tmp_path / "missing"))
    assert code == 1 and "cannot fetch" in err and err.count("\n") == 1
    code, _, err = invoke("new", "Bad_Name", "--lang", "python", "--dir", str(tmp_path))
    assert code == 1 and "invalid plugin name" in err
    code, _, err = invoke("new", "x", "--lang", "cobol")
    assert code == 2


def test_a_broken_plugin_fails_check(tmp_path: Path) -> None:
    folder = make_plugin(tmp_path, "broken")
    (folder / "plugin.toml").write_text(
        (folder / "plugin.toml").read_text().replace("max_query_time_us = 500", "max_query_time_us = 5000")
    )
    code, _, err = invoke("check", str(folder))
    assert code == 1 and "budget.max_query_time_us" in err


def test_the_demo_registry_end_to_end(tmp_path: Path) -> None:
    code, out, err = invoke("registry", "demo")
    assert code == 0, err
    assert "trusted demo reviewer demo-alice" in out
    code, out, _ = invoke("search", "--json")
    names = {r["name"] for r in json.loads(out)}
    assert {"fan-in", "hotspots", "tampered-fan-in", "hostile-loop", "dead-code"} <= names
    code, out, err = invoke("install", "fan-in@1.0.0", "hotspots", "--grant")
    assert code == 0, err
    code, _, err = invoke("install", "tampered-fan-in")
    assert code == 1 and "sha256 mismatch: expected" in err and ", got " in err
    code, out, err = invoke("update", "--json")
    assert code == 0, err
    assert {(c["name"], c["action"]) for c in json.loads(out)} == {
        ("fan-in", "update"),
        ("hotspots", "unchanged"),
    }
    code, out, err = invoke("promote", "hotspots", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["decision"]["approved"] and result["change"]["new"] == "1.0.0 (native)"
    assert {s["kind"] for s in result["scans"]} == {"wasm", "native"}
    code, out, _ = invoke("rollback", "hotspots")
    assert code == 0 and "-> 1.0.0 (wasm)" in out
    # the demo registry is the same commit on every machine, and setting it up again changes nothing
    code, out, _ = invoke("registry", "list", "--json")
    (demo,) = json.loads(out)
    from pt_tui.sandbox.registry.demo import materialize

    elsewhere = materialize(target=tmp_path / "another-machine" / "demo-registry")
    assert (
        demo["commit"] == git.Repo(elsewhere).head.commit.hexsha == git.Repo(demo["url"]).head.commit.hexsha
    )
    assert invoke("registry", "demo")[0] == 0
    assert json.loads(invoke("registry", "list", "--json")[1]) == [demo]
