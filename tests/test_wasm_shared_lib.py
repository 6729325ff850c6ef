"""Shared-library natives: the C SDK built for the host with the system compiler, loaded with ctypes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from query_graphs import shop

from pt_tui.sandbox import wasm
from pt_tui.sandbox.api import Capability, QueryRequest
from pt_tui.sandbox.errors import PluginError, PluginViolation, ViolationKind
from pt_tui.sandbox.manifest import load_manifest
from pt_tui.sandbox.tiers import shared_lib

REPO = Path(__file__).resolve().parent.parent
HOTSPOTS = REPO / "plugins" / "c" / "hotspots"
READ = frozenset({Capability.GRAPH_READ})
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")

pytestmark = pytest.mark.skipif(CC is None, reason="needs a C compiler for the host (cc)")

MANIFEST = """name = "native-t"
version = "1.0.0"
tier = "native"
kind = "query"
abi_version = 1
capabilities = ["graph.read"]
query_types = [{ name = "t", takes_input = true }]
[artifact]
native = "libt.so"
[budget]
max_query_time_us = 900
max_memory_mb = 2.0
"""


def build(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / "t.c").write_text(source)
    (folder / "plugin.toml").write_text(MANIFEST)
    assert CC is not None
    cmd = [
        CC,
        "-O2",
        "-shared",
        "-fPIC",
        f"-I{REPO / 'sdk' / 'c'}",
        str(folder / "t.c"),
        "-o",
        str(folder / "libt.so"),
    ]
    subprocess.run(cmd, check=True)
    return folder


def test_c_example_native_build_answers_like_its_wasm_build(tmp_path: Path) -> None:
    folder = tmp_path / "hotspots"
    folder.mkdir()
    shutil.copy(HOTSPOTS / "plugin.toml", folder)
    shutil.copy(HOTSPOTS / "hotspots.wasm", folder)
    assert CC is not None
    cmd = [CC, "-O2", "-shared", "-fPIC", f"-I{REPO / 'sdk' / 'c'}", str(HOTSPOTS / "hotspots.c")]
    subprocess.run([*cmd, "-o", str(folder / "libhotspots.so")], check=True)
    manifest = load_manifest(folder)
    native = shared_lib.load(manifest, folder, granted=READ)
    sandboxed = wasm.load(manifest, folder, granted=READ)
    assert (native.tier, native.load_source, sandboxed.tier) == ("native", "dlopen", "wasm")
    isg, n = shop()
    for request in (
        QueryRequest(verb="hotspots", limit=5),
        QueryRequest(verb="hotspots", inputs=(n["log"].id, n["main"].id)),
        QueryRequest(verb="hotspots", entities={"entity": (n["price"].id,)}),
    ):
        a, b = native.execute_query(request, isg), sandboxed.execute_query(request, isg)
        assert [(r.node, r.distance, r.detail) for r in a.rows] == [
            (r.node, r.distance, r.detail) for r in b.rows
        ]
        assert a.notes == b.notes
    # without graph.read the library gets no view (address 0): every candidate is dropped
    blind = shared_lib.load(manifest, folder, granted=frozenset())
    assert blind.execute_query(QueryRequest(verb="hotspots"), isg).rows == []


HUGE = """
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
void *pt_alloc(uint32_t n) { return malloc(n); }
static uint8_t blob[64];
int64_t pt_query(uint8_t *req, uint32_t len) {
    (void)len;
    uint64_t addr = (uint64_t)(uintptr_t)blob; uint32_t size = MODE;
    memcpy(req + 48, &addr, 8); memcpy(req + 56, &size, 4);
    return RET;
}
"""


@pytest.mark.parametrize(
    ("mode", "ret", "error", "kind"),
    [
        ("0x4000000u", "0", "over the", ViolationKind.MALFORMED),  # a 64 MiB result
        ("64u", "0", "shorter|magic", ViolationKind.MALFORMED),  # 64 zero bytes are no result
        ("0u", "7", "code 7", None),  # the plugin's own failure: an error, not a violation
    ],
)
def test_native_results_are_still_checked(
    tmp_path: Path, mode: str, ret: str, error: str, kind: ViolationKind | None
) -> None:
    folder = build(tmp_path, HUGE.replace("MODE", mode).replace("RET", ret))
    plugin = shared_lib.load(load_manifest(folder), folder, granted=READ)
    isg, _ = shop()
    with pytest.raises(PluginError, match=error) as caught:
        plugin.execute_query(QueryRequest(verb="t"), isg)
    if kind is None:
        assert not isinstance(caught.value, PluginViolation)
    else:
        assert isinstance(caught.value, PluginViolation) and caught.value.kind is kind


def test_missing_exports_are_refused(tmp_path: Path) -> None:
    folder = build(tmp_path, "int pt_something(void) { return 0; }\n")
    with pytest.raises(PluginError, match="does not export pt_alloc, pt_query"):
        shared_lib.load(load_manifest(folder), folder, granted=READ)
