"""Engine.update on Rust crate manifests and roots: qualnames follow Cargo.toml and src/lib.rs the
way a cold index finds them, in one long-lived engine (the cached crate context is dropped)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_engine_support import assert_same_as_cold, write_file

from pt_tui.core.engine import Engine
from pt_tui.core.model import NodeKind


def _functions(engine: Engine) -> set[str]:
    return {n.qualname for n in engine.isg.nodes.values() if n.kind is NodeKind.FUNCTION}


@pytest.fixture
def crate(tmp_path: Path) -> Engine:
    write_file(tmp_path, "app/Cargo.toml", '[package]\nname = "shop"\nversion = "0.1.0"\n')
    write_file(tmp_path, "app/src/lib.rs", "pub mod money;\npub fn total() -> u32 { money::cents() }\n")
    write_file(tmp_path, "app/src/money.rs", "pub fn cents() -> u32 { 1 }\n")
    write_file(tmp_path, "app/src/main.rs", "fn main() { shop::total(); }\n")
    engine = Engine(tmp_path)
    engine.index()
    return engine


def test_a_package_rename_renames_every_qualname(crate: Engine) -> None:
    assert {"shop::total", "shop::money::cents", "shop::main::main"} <= _functions(crate)
    manifest = crate.root / "app" / "Cargo.toml"
    manifest.write_text('[package]\nname = "store"\nversion = "0.1.0"\n', encoding="utf-8")
    crate.update([manifest])
    names = _functions(crate)
    assert {"store::total", "store::money::cents", "store::main::main"} <= names
    assert not any(q.startswith("shop::") for q in names)
    assert_same_as_cold(crate)


def test_a_lib_name_in_the_manifest_counts(crate: Engine) -> None:
    manifest = crate.root / "app" / "Cargo.toml"
    manifest.write_text(
        '[package]\nname = "shop"\nversion = "0.1.0"\n\n[lib]\nname = "shoplib"\n', encoding="utf-8"
    )
    crate.update([manifest])
    assert "shoplib::money::cents" in _functions(crate)
    assert_same_as_cold(crate)


def test_removing_and_restoring_the_library_root(crate: Engine) -> None:
    lib = crate.root / "app" / "src" / "lib.rs"
    text = lib.read_text(encoding="utf-8")
    lib.unlink()
    crate.update([lib])
    assert "shop::main" in _functions(crate)  # main.rs is now the crate root
    assert_same_as_cold(crate)
    lib.write_text(text, encoding="utf-8")
    crate.update([lib])
    assert "shop::main::main" in _functions(crate)
    assert_same_as_cold(crate)


def test_a_nested_manifest_makes_a_new_crate(crate: Engine) -> None:
    write_file(crate.root, "app/tools/src/lib.rs", "pub fn helper() {}\n")
    crate.update([crate.root / "app" / "tools"])
    before = {q for q in _functions(crate) if q.endswith("::helper")}
    manifest = write_file(
        crate.root, "app/tools/Cargo.toml", '[package]\nname = "tools"\nversion = "0.1.0"\n'
    )
    crate.update([manifest])
    after = {q for q in _functions(crate) if q.endswith("::helper")}
    assert after == {"tools::helper"} != before
    assert_same_as_cold(crate)
    manifest.unlink()
    crate.update([manifest])
    assert {q for q in _functions(crate) if q.endswith("::helper")} == before
    assert_same_as_cold(crate)


def test_a_crate_root_edit_in_a_watch_like_sequence(crate: Engine) -> None:
    """Several updates in a row, as watch sends them: manifest, then the roots, then back."""
    manifest = crate.root / "app" / "Cargo.toml"
    main = crate.root / "app" / "src" / "main.rs"
    manifest.write_text('[package]\nname = "till"\nversion = "0.1.0"\n', encoding="utf-8")
    crate.update([manifest])
    main.write_text("fn main() { till::total(); }\n\nfn extra() {}\n", encoding="utf-8")
    crate.update([main])
    assert {"till::main::main", "till::main::extra"} <= _functions(crate)
    assert_same_as_cold(crate)
