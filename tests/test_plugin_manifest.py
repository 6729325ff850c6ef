"""plugin.toml: strict validation, errors that name the key, no partial loads, artifact digests."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pt_tui.sandbox.api import Capability, PerformanceBudget, QueryType
from pt_tui.sandbox.errors import ManifestError
from pt_tui.sandbox.manifest import (
    Manifest,
    ManifestKeyError,
    artifact_sha256,
    load_manifest,
    parse_manifest,
    tree_sha256,
)

VALID: dict[str, Any] = {
    "name": "dead-code",
    "version": "1.2.0",
    "description": "Entities nothing calls or imports",
    "tier": "native",
    "kind": "query",
    "capabilities": ["graph.read", "log"],
    "query_types": [
        {
            "name": "dead-code",
            "help": "entities nothing calls",
            "takes_input": True,
            "params": [{"name": "kind", "type": "kind", "required": False}],
        }
    ],
    "artifact": {"entry": "dead_code:DeadCode"},
    "budget": {"max_query_time_us": 500, "max_memory_mb": 2.0, "max_cpu_percent": 100},
}


def _folder(tmp_path: Path, data: dict[str, Any]) -> Path:
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    (folder / "dead_code.py").write_text("class DeadCode:\n    pass\n")
    (folder / "mod.wasm").write_bytes(b"\0asm\1\0\0\0")
    (folder / "plugin.toml").write_text(tomlkit.dumps(data))
    return folder


def _error(tmp_path: Path, data: dict[str, Any]) -> ManifestKeyError:
    with pytest.raises(ManifestKeyError) as info:
        load_manifest(_folder(tmp_path, data))
    return info.value


def test_valid_manifest_loads_typed(tmp_path: Path) -> None:
    m = load_manifest(_folder(tmp_path, VALID))
    assert m.name == "dead-code" and m.tier == "native" and m.is_python
    assert m.capabilities == frozenset({Capability.GRAPH_READ, Capability.LOG})
    assert isinstance(m.query_types[0], QueryType)
    assert m.query_types[0].params[0].type == "kind"
    assert m.performance_budget() == PerformanceBudget(max_query_time_us=500, max_memory_mb=2.0)
    assert m.verbs == ("dead-code",)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"name": "Dead Code"}, "name"),
        ({"version": "1.2"}, "version"),
        ({"tier": "wasm"}, "artifact.entry"),
        ({"surprise": 1}, "surprise"),
        ({"budget": {"max_query_time_us": 5000}}, "budget.max_query_time_us"),
        ({"budget": {"max_query_time_us": 100, "max_memory_mb": 50}}, "budget.max_memory_mb"),
        ({"budget": {"max_query_time_us": "fast"}}, "budget.max_query_time_us"),
        ({"budget": {"max_memory_mb": 1.0}}, "budget.max_query_time_us"),
        ({"capabilities": ["graph.read", "teleport"]}, "capabilities[1]"),
        ({"artifact": {"entry": "missing:Thing"}}, "artifact.entry"),
        ({"artifact": {"entry": "dead_code"}}, "artifact.entry"),
        ({"artifact": {}}, "artifact"),
        ({"query_types": []}, "query_types"),
        (
            {"query_types": [{"name": "x", "params": [{"name": "a", "type": "blob"}]}]},
            "query_types[0].params[0].type",
        ),
        ({"query_types": [{"name": "x", "colour": "red"}]}, "query_types[0].colour"),
        ({"query_types": [{"name": "x", "feeds": "nope"}]}, "query_types[0].feeds"),
        ({"query_types": [{"name": "x"}, {"name": "x"}]}, "query_types[1].name"),
        (
            {
                "query_types": [
                    {
                        "name": "x",
                        "params": [{"name": "a", "required": False}, {"name": "b", "required": True}],
                    }
                ]
            },
            "query_types[0].params[1].required",
        ),
        ({"abi_version": 1}, "abi_version"),
        ({"kind": "context", "context_formats": ["md"]}, "context_formats[0]"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, change: dict[str, Any], key: str) -> None:
    data = {**copy.deepcopy(VALID), **change}
    err = _error(tmp_path, data)
    assert err.key == key, str(err)
    assert key in str(err) and "plugin.toml" in str(err)


def test_missing_required_key(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID)
    del data["budget"]
    assert _error(tmp_path, data).key == "budget"


def test_wasm_rules(tmp_path: Path) -> None:
    wasm = {**copy.deepcopy(VALID), "tier": "wasm", "abi_version": 1, "artifact": {"wasm": "mod.wasm"}}
    m = load_manifest(_folder(tmp_path, wasm))
    assert m.artifact_path(tmp_path / "p") == tmp_path / "p" / "mod.wasm"
    assert m.sha256(tmp_path / "p") == artifact_sha256(tmp_path / "p" / "mod.wasm")
    assert _error(tmp_path, {**wasm, "capabilities": ["net"]}).key == "capabilities"
    assert _error(tmp_path, {**wasm, "abi_version": 9}).key == "abi_version"
    assert _error(tmp_path, {**wasm, "artifact": {"wasm": "../mod.wasm"}}).key == "artifact.wasm"
    assert _error(tmp_path, {**wasm, "artifact": {"wasm": "absent.wasm"}}).key == "artifact.wasm"
    assert _error(tmp_path, {**wasm, "budget": {"max_query_time_us": 990}}).key == "budget.max_query_time_us"


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.wasm"
    outside.write_bytes(b"\0asm")
    wasm = {**copy.deepcopy(VALID), "tier": "wasm", "abi_version": 1, "artifact": {"wasm": "link.wasm"}}
    folder = _folder(tmp_path, wasm)
    (folder / "link.wasm").symlink_to(outside)
    with pytest.raises(ManifestKeyError) as info:
        load_manifest(folder)
    assert info.value.key == "artifact.wasm"


def test_core_tier_entry_must_be_in_the_package(tmp_path: Path) -> None:
    core = {**copy.deepcopy(VALID), "tier": "core"}
    assert _error(tmp_path, core).key == "artifact.entry"
    core["artifact"] = {"entry": "pt_tui.sandbox.tiers.core:Example"}
    assert load_manifest(_folder(tmp_path, core)).tier == "core"


def test_unreadable_and_garbage(tmp_path: Path) -> None:
    with pytest.raises(ManifestError):
        load_manifest(tmp_path / "nowhere")
    (tmp_path / "plugin.toml").write_bytes(b"\xff\xfe = [")
    with pytest.raises(ManifestError):
        load_manifest(tmp_path)
    with pytest.raises(ManifestError, match="invalid TOML"):
        parse_manifest("name = ")


def test_tree_sha256_is_canonical(tmp_path: Path) -> None:
    a = _folder(tmp_path, VALID)
    first = tree_sha256(a)
    (a / "__pycache__").mkdir()
    (a / "__pycache__" / "dead_code.cpython-311.pyc").write_bytes(b"junk")
    (a / ".hidden").write_text("x")
    assert tree_sha256(a) == first  # caches and hidden files do not count
    (a / "dead_code.py").write_text("class DeadCode:\n    x = 1\n")
    assert tree_sha256(a) != first
    (a / "dead_code.py").write_text("class DeadCode:\n    pass\n")
    assert tree_sha256(a) == first
    (a / "sub").mkdir()
    (a / "sub" / "f.py").write_text("")
    assert tree_sha256(a) != first


# -- hypothesis: whatever the file holds, the outcome is a whole Manifest or a ManifestError -------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["graph.read", "net", "wasm", "native", "core", "query", "context", "x:Y", "1.0.0"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_KEYS = [
    "name",
    "version",
    "tier",
    "kind",
    "abi_version",
    "capabilities",
    "query_types",
    "context_formats",
    "artifact",
    "budget",
    "run_in",
    "description",
    "bogus",
]


def _check_whole(m: Manifest) -> None:
    """A loaded manifest satisfies every invariant the host relies on."""
    assert m.name and m.version and m.tier in ("wasm", "native", "core")
    assert 0 < m.budget.max_query_time_us <= 990
    assert m.query_types or m.kind == "context"
    if m.tier == "wasm":
        assert m.artifact.wasm and all(c.wasm_allowed for c in m.capabilities)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mutations=st.lists(st.tuples(st.sampled_from(_KEYS), st.one_of(st.just("<delete>"), _values)), max_size=4)
)
def test_mutated_manifests_never_half_load(tmp_path: Path, mutations: list[tuple[str, Any]]) -> None:
    data = copy.deepcopy(VALID)
    for key, value in mutations:
        if value == "<delete>":
            data.pop(key, None)
        else:
            data[key] = value
    try:
        text = tomlkit.dumps(data)
    except Exception:  # not representable in TOML (None values): nothing to test
        return
    try:
        m = parse_manifest(text, folder=_folder(tmp_path, VALID))
    except ManifestError:
        return
    _check_whole(m)


@settings(max_examples=300)
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_random_bytes_only_raise_manifest_error(raw: bytes | str) -> None:
    with contextlib.suppress(ManifestError):
        parse_manifest(raw)


@settings(max_examples=200)
@given(
    field=st.sampled_from(["name", "version", "tier", "kind", "capabilities", "budget", "query_types"]),
    junk=st.text(alphabet="=[]{}\"'\n ,.#abc1", max_size=20),
)
def test_text_level_mutations(field: str, junk: str) -> None:
    text = tomlkit.dumps(VALID)
    mutated = text.replace(field, field + junk, 1)
    try:
        m = parse_manifest(mutated)
    except ManifestError:
        return
    _check_whole(m)
