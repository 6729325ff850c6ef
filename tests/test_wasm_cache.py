"""The compiled-artifact cache: cold compile, warm deserialize, corrupt entries recompiled."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from query_graphs import shop

from pt_tui.sandbox import wasm
from pt_tui.sandbox.api import Capability, QueryRequest
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.wasm import cache, runtime

FAN_IN = Path(__file__).resolve().parent.parent / "plugins" / "wat" / "fan-in"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(tmp_path))
    return tmp_path / "wasm"


def _load() -> wasm.AbiPlugin:
    return wasm.load(load_manifest(FAN_IN), FAN_IN, granted=frozenset({Capability.GRAPH_READ}))


def _answers(plugin: wasm.AbiPlugin) -> list[int | None]:
    isg, n = shop()
    out = plugin.execute_query(QueryRequest(verb="fan-in", inputs=(n["log"].id, n["cli.parse"].id)), isg)
    return [r.distance for r in out.rows]


def test_cold_then_warm(cache_dir: Path) -> None:
    sha = hashlib.sha256((FAN_IN / "fan_in.wasm").read_bytes()).hexdigest()
    entry = cache.entry_path(sha)
    assert entry.parent == cache_dir and sha in entry.name
    assert runtime.WASMTIME_VERSION in entry.name and runtime.config_digest() in entry.name
    cold = _load()
    assert cold.load_source == "compiled" and entry.is_file()
    assert not [p.name for p in cache_dir.iterdir() if p.name.startswith(".")]  # atomic, no temp left
    warm = _load()
    assert warm.load_source == "cache"
    assert _answers(cold) == _answers(warm) == [1, 2]


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:40],  # truncated
        lambda b: b[:32] + bytes([b[32] ^ 0xFF]) + b[33:],  # a flipped bit in the payload
        lambda b: hashlib.sha256(b"junk").digest() + b"junk",  # a consistent digest over garbage
        lambda b: b"",
    ],
)
def test_corrupt_entry_is_recompiled(cache_dir: Path, damage: object) -> None:
    _load()
    sha = hashlib.sha256((FAN_IN / "fan_in.wasm").read_bytes()).hexdigest()
    entry = cache.entry_path(sha)
    assert callable(damage)
    entry.write_bytes(damage(entry.read_bytes()))
    again = _load()
    assert again.load_source == "compiled"
    assert _answers(again) == [1, 2]
    assert _load().load_source == "cache"  # and the entry was rewritten


def test_unwritable_cache_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(blocker))
    assert _load().load_source == "compiled"
    assert _answers(_load()) == [1, 2]


def test_no_env_uses_the_platform_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PT_TUI_CACHE_DIR", raising=False)
    assert cache.cache_dir().parts[-2:] == ("pt-tui", "wasm")
