"""The import root: one namespaced package ``pt_tui`` (editable and from a built wheel), and layering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _python(code: str, *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_core_and_sandbox_never_load_the_ui(tmp_path: Path) -> None:
    # import-linter checks static imports; this catches deferred ones at run time.
    code = (
        "import sys, json\n"
        "import pt_tui.core.engine, pt_tui.core.query, pt_tui.core.context\n"
        "import pt_tui.core.export, pt_tui.sandbox\n"
        "from pt_tui.core.engine import Engine\n"
        "import pt_tui.core.lang as L; L.languages()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('textual', 'pt_tui.app')))))\n"
    )
    proc = _python(code, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_editable_install_exposes_only_pt_tui(tmp_path: Path) -> None:
    proc = _python(
        "import pt_tui.core, importlib.util as u; print(pt_tui.core.__file__);"
        "print([u.find_spec(n) is None for n in ('core', 'app', 'sandbox', 'themes')])",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1] == "[True, True, True, True]"


@pytest.mark.slow
def test_built_wheel_works_on_its_own(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if build.returncode != 0 and "No module named" in build.stderr:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip().splitlines()[-1]}")
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("pt_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"pt_tui", wheel.name.split("-py3")[0] + ".dist-info"}
    for expected in (
        "pt_tui/core/engine.py",
        "pt_tui/core/lang/python/python.scm",
        "pt_tui/core/lang/rust/rust.scm",
        "pt_tui/app/cli.py",
        "pt_tui/sandbox/__init__.py",
        "pt_tui/themes/__init__.py",
        "pt_tui/demo/sample/shop/__init__.py",
        "pt_tui/demo/sample/pricing-engine/Cargo.toml",
    ):
        assert expected in names, expected
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import pt_tui.core, sys\n"
        f"assert pt_tui.core.__file__.startswith({str(target)!r}), pt_tui.core.__file__\n"
        "from importlib import resources\n"
        "from pt_tui.core.engine import Engine\n"
        "sample = resources.files('pt_tui') / 'demo' / 'sample'\n"
        "e = Engine(str(sample)); e.index()\n"
        "print(e.isg.node_count, sorted(e.report.by_language))\n"
    )
    proc = _python(code, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    count, langs = proc.stdout.split(" ", 1)
    assert int(count) > 50
    assert "python" in langs and "rust" in langs
