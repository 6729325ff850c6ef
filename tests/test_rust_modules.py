"""Rust crate names and module paths, from Cargo.toml and the file's place in the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from pt_tui.core.lang.base import ExtractContext
from pt_tui.core.lang.rust.crates import module_path


def _tree(root: Path, files: dict[str, str]) -> ExtractContext:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ExtractContext(root)


PACKAGE = '[package]\nname = "my-crate"\nversion = "0.1.0"\n'


@pytest.mark.parametrize(
    ("rel", "module", "crate_root"),
    [
        ("src/lib.rs", "my_crate", "my_crate"),
        ("src/a/b.rs", "my_crate::a::b", "my_crate"),
        ("src/a/b/mod.rs", "my_crate::a::b", "my_crate"),
        ("src/a/mod.rs", "my_crate::a", "my_crate"),
        ("src/bin/tool.rs", "tool", "tool"),
        ("src/bin/multi/main.rs", "multi", "multi"),
        ("src/bin/multi/cli.rs", "multi::cli", "multi"),
        ("tests/it.rs", "my_crate::tests::it", "my_crate::tests::it"),
        ("tests/common/mod.rs", "my_crate::tests::common", "my_crate::tests::common"),
        ("examples/demo.rs", "my_crate::examples::demo", "my_crate::examples::demo"),
        ("benches/speed.rs", "my_crate::benches::speed", "my_crate::benches::speed"),
        ("build.rs", "my_crate::build", "my_crate::build"),
    ],
)
def test_module_paths_follow_the_package_layout(
    tmp_path: Path, rel: str, module: str, crate_root: str
) -> None:
    ctx = _tree(tmp_path, {"Cargo.toml": PACKAGE, rel: ""})
    mp = module_path(rel, ctx)
    assert (mp.module, mp.crate_root) == (module, crate_root)


def test_main_rs_is_the_crate_root_without_a_lib(tmp_path: Path) -> None:
    ctx = _tree(tmp_path, {"Cargo.toml": PACKAGE, "src/main.rs": ""})
    assert module_path("src/main.rs", ctx).module == "my_crate"


def test_main_rs_beside_a_lib_gets_its_own_module(tmp_path: Path) -> None:
    """Both would be ``my_crate``; the binary's root is told apart so neither node is lost."""
    ctx = _tree(tmp_path, {"Cargo.toml": PACKAGE, "src/main.rs": "", "src/lib.rs": ""})
    assert module_path("src/lib.rs", ctx).module == "my_crate"
    assert module_path("src/main.rs", ctx) == ("my_crate::main", "my_crate")


def test_workspace_manifest_is_skipped_for_the_members_own(tmp_path: Path) -> None:
    ctx = _tree(
        tmp_path,
        {
            "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
            "crates/alpha/Cargo.toml": '[package]\nname = "alpha-core"\n',
            "crates/alpha/src/lib.rs": "",
            "crates/alpha/src/x.rs": "",
            "tools/gen.rs": "",
        },
    )
    assert module_path("crates/alpha/src/x.rs", ctx).module == "alpha_core::x"
    # outside any package: the root folder names the crate
    assert module_path("tools/gen.rs", ctx).module == f"{tmp_path.name.replace('-', '_')}::tools::gen"


def test_lib_name_overrides_the_package_name(tmp_path: Path) -> None:
    ctx = _tree(tmp_path, {"Cargo.toml": PACKAGE + '[lib]\nname = "renamed"\n', "src/lib.rs": ""})
    assert module_path("src/lib.rs", ctx).module == "renamed"


def test_without_any_manifest_the_root_folder_is_the_crate(tmp_path: Path) -> None:
    root = tmp_path / "my-proj"
    ctx = _tree(root, {"src/lib.rs": "", "src/util.rs": "", "lone.rs": ""})
    assert module_path("src/lib.rs", ctx).module == "my_proj"
    assert module_path("src/util.rs", ctx).module == "my_proj::util"
    assert module_path("lone.rs", ctx).module == "my_proj::lone"


def test_a_broken_manifest_is_not_an_error(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    ctx = _tree(root, {"Cargo.toml": "[package\nname=", "src/lib.rs": ""})
    assert module_path("src/lib.rs", ctx).module == "proj"
