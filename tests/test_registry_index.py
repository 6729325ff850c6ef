"""The index format: valid entries, malformed ones reported by file and key and skipped."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from test_registry_support import commit_all, env, make_plugin, registry_with, service_with  # noqa: F401

from pt_tui.sandbox.registry.errors import EntryError
from pt_tui.sandbox.registry.index import parse_entry, version_key

pytestmark = pytest.mark.usefixtures("env")

SHA = "a" * 64
GOOD = f"""
name = "x"
version = "1.0.0"
path = "plugins/x/1.0.0"
tiers = ["wasm"]
capabilities = ["graph.read"]
[artifacts.wasm]
path = "x.wasm"
sha256 = "{SHA}"
size = 10
"""


def test_a_valid_entry_decodes() -> None:
    entry = parse_entry(GOOD.encode(), "index/x/1.0.0.toml")
    assert entry.spec == "x@1.0.0"
    assert entry.default_tier == "wasm"
    assert entry.artifact_for("wasm") is not None and entry.artifact_for("native") is None


@pytest.mark.parametrize(
    ("text", "key", "detail"),
    [
        (GOOD + "colour = 1\n", "artifacts.wasm.colour", "unknown key"),
        ("surprise = 1\n" + GOOD, "surprise", "unknown key"),
        (GOOD.replace('version = "1.0.0"\n', ""), "version", "missing"),
        (GOOD.replace('"1.0.0"', '"1.0"'), "version", "not a semantic version"),
        (GOOD.replace(SHA, "ABC"), "artifacts.wasm.sha256", "sha256"),
        (GOOD.replace("size = 10", 'size = "big"'), "artifacts.wasm.size", "Expected `int`"),
        (GOOD.replace('["graph.read"]', '["net"]'), "capabilities", "not allowed in the wasm tier"),
        (GOOD.replace('["graph.read"]', '["teleport"]'), "capabilities[0]", "Invalid enum value"),
        (GOOD.replace('tiers = ["wasm"]', 'tiers = ["native"]'), "artifacts", "no artifact for tier"),
        (
            GOOD + '[[reviews]]\nreviewer = "k"\nverdict = "maybe"\nsha256 = "s"\nsignature = "x"\n',
            "reviews[0].verdict",
            "enum",
        ),
    ],
)
def test_malformed_entries_name_the_key(text: str, key: str, detail: str) -> None:
    with pytest.raises(EntryError) as caught:
        parse_entry(text.encode(), "index/x/1.0.0.toml")
    assert caught.value.key == key
    assert detail in str(caught.value)
    assert str(caught.value).startswith("index/x/1.0.0.toml: ")


def test_invalid_toml_is_reported_with_the_file() -> None:
    with pytest.raises(EntryError, match=r"^index/x/1.0.0.toml: invalid TOML"):
        parse_entry(b"name = ", "index/x/1.0.0.toml")


def test_semver_ordering() -> None:
    versions = ["1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.9", "2.0.0"]
    assert sorted(versions, key=version_key) == ["0.9.9", "1.2.0-rc.1", "1.2.0", "1.10.0", "2.0.0"]


def test_a_malformed_entry_is_skipped_and_the_rest_works(tmp_path: Path) -> None:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "good-one"))
    bad = repo_dir / "index" / "broken" / "1.0.0.toml"
    bad.parent.mkdir(parents=True)
    bad.write_text(GOOD.replace('name = "x"', 'name = "broken"') + "extra = true\n")
    wrong = repo_dir / "index" / "liar" / "1.0.0.toml"
    wrong.parent.mkdir(parents=True)
    wrong.write_text(GOOD.replace('name = "x"', 'name = "someone-else"'))
    escape = repo_dir / "index" / "escape" / "1.0.0.toml"
    escape.parent.mkdir(parents=True)
    escape.write_text(
        GOOD.replace('name = "x"', 'name = "escape"').replace('"plugins/x/1.0.0"', '"../outside"')
    )
    commit_all(git.Repo(repo_dir), "add broken entries")
    service = service_with(("reg", repo_dir))
    assert [o.entry.spec for o in service.catalog.search()] == ["good-one@1.0.0"]
    errors = sorted(str(e) for e in service.catalog.entry_errors)
    assert len(errors) == 3
    assert errors[0].startswith("reg:index/broken/1.0.0.toml: artifacts.wasm.extra: unknown key")
    assert errors[1].startswith("reg:index/escape/1.0.0.toml: path: ")
    assert "'..'" in errors[1]
    assert errors[2].startswith("reg:index/liar/1.0.0.toml: name: someone-else@1.0.0 does not match")
    assert service.install("good-one").action == "install"
