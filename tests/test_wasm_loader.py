"""The example plugins through the host's generic loader (manifest, grants, calibration, tier dispatch)."""

from __future__ import annotations

from pathlib import Path

import pytest
from query_graphs import shop

from pt_tui.sandbox.api import QueryRequest
from pt_tui.sandbox.errors import CapabilityRefused
from pt_tui.sandbox.loader import load_plugin
from pt_tui.sandbox.wasm import AbiPlugin

PLUGINS = Path(__file__).resolve().parent.parent / "plugins"


@pytest.fixture(autouse=True)
def _dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PT_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PT_TUI_CONFIG_DIR", str(tmp_path / "config"))


@pytest.mark.parametrize(
    ("folder", "verb"),
    [("wat/fan-in", "fan-in"), ("c/hotspots", "hotspots"), ("rust/dead-code", "dead-code")],
)
def test_examples_load_calibrate_and_answer(folder: str, verb: str) -> None:
    loaded = load_plugin(PLUGINS / folder, grants=None, trust=None, dev=True)
    assert loaded.tier == "wasm" and isinstance(loaded.plugin, AbiPlugin)
    assert loaded.calibration is not None and all(v.errors == 0 for v in loaded.calibration.verbs)
    isg, n = shop()
    out = loaded.plugin.execute_query(QueryRequest(verb=verb, inputs=tuple(x.id for x in n.values())), isg)
    assert out.rows
    loaded.close()


def test_undeclared_import_is_refused_by_the_loader() -> None:
    with pytest.raises(CapabilityRefused, match=r"pt\.source"):
        load_plugin(PLUGINS / "wat" / "hostile-capability", grants=None, trust=None, dev=True)
