"""``pt-tui impact``: hunks of a real git change mapped to entities, ranked by blast radius."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pt_tui.app.cli import main
from pt_tui.core.gitdiff import GitDiffError, Hunk, parse_hunks, read_changes
from pt_tui.core.impact import ImpactEntity, ImpactReport, impact

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SHAPES = '''\
"""Shapes."""


class Shape:
    def area(self) -> float:
        return 0.0

    def describe(self) -> str:
        return f"area {self.area()}"


class Square(Shape):
    def __init__(self, side: float) -> None:
        self.side = side

    def area(self) -> float:
        return self.side * self.side


def helper() -> int:
    return 1


def unused() -> int:
    return 2
'''

REPORT = """\
from geo.shapes import Square, helper


def report(side: float) -> str:
    helper()
    return Square(side).describe()


def main() -> None:
    print(report(2.0))
"""


def git(root: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "geo/__init__.py", "")
    write(root, "geo/shapes.py", SHAPES)
    write(root, "app/report.py", REPORT)
    write(root, "README.md", "# demo\n")
    write(root, "logo.bin", b"\x00\x01\x02binary")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    return root


def entity(report: ImpactReport, qualname: str) -> ImpactEntity:
    found = [e for e in report.entities if e.qualname == qualname]
    assert len(found) == 1, [(e.qualname, e.change) for e in report.entities]
    return found[0]


def changes(report: ImpactReport) -> dict[str, str]:
    return {e.qualname: e.change for e in report.entities}


def test_parse_hunks() -> None:
    patch = b"@@ -2 +2 @@ def a():\n-x\n+y\n@@ -6,0 +7,3 @@\n+a\n+b\n+c\n@@ -10,4 +12,0 @@\n"
    assert parse_hunks(patch) == [Hunk(2, 1, 2, 1), Hunk(6, 0, 7, 3), Hunk(10, 4, 12, 0)]
    assert list(Hunk(6, 0, 7, 3).old_lines) == [] and list(Hunk(6, 0, 7, 3).new_lines) == [7, 8, 9]


def test_empty_diff(repo: Path) -> None:
    report = impact(repo)
    assert report.empty and report.entities == [] and report.summary["files"] == 0
    assert report.notes == [f"no changes between {report.base} and the working tree"]


def test_a_method_body_edit_is_the_method_with_its_dependents(repo: Path) -> None:
    write(repo, "geo/shapes.py", SHAPES.replace("return self.side * self.side", "return self.side**2"))
    report = impact(repo)
    assert changes(report) == {"geo.shapes.Square.area": "modified"}
    area = entity(report, "geo.shapes.Square.area")
    assert (area.file, area.line, area.old_line, area.lines_changed) == ("geo/shapes.py", 16, 16, 2)
    assert area.kind == "method" and area.language == "python"
    assert report.files[0].path == "geo/shapes.py" and report.files[0].status == "modified"


def test_added_removed_and_class_header(repo: Path) -> None:
    text = SHAPES.replace("class Square(Shape):", "class Square(Shape, object):")
    text = text.replace("def unused() -> int:\n    return 2\n", "def brand_new() -> int:\n    return 3\n")
    text = text.replace("def helper() -> int:\n    return 1\n", "def helper() -> int:\n    return 10\n")
    write(repo, "geo/shapes.py", text)
    report = impact(repo)
    assert changes(report) == {
        "geo.shapes.Square": "modified",  # its own header line changed
        "geo.shapes.brand_new": "added",
        "geo.shapes.unused": "removed",
        "geo.shapes.helper": "modified",
    }
    helper = entity(report, "geo.shapes.helper")
    assert helper.blast_radius is not None and helper.blast_radius >= 1
    assert "app.report.report" in helper.dependents
    square = entity(report, "geo.shapes.Square")
    assert square.blast_radius is not None and "app.report.report" in square.dependents
    removed = entity(report, "geo.shapes.unused")
    assert (removed.file, removed.old_file, removed.blast_radius) == ("geo/shapes.py", "geo/shapes.py", 0)
    # ranked by blast radius, largest first
    radii = [e.blast_radius or 0 for e in report.entities]
    assert radii == sorted(radii, reverse=True)
    summary = {
        "files": 1,
        "entities": 4,
        "added": 1,
        "removed": 1,
        "modified": 2,
        "moved": 0,
        "outside_root": 0,
    }
    assert list(report.summary.items()) == list(summary.items())  # the documented key order too


def test_removed_entity_blast_radius_comes_from_the_old_graph(repo: Path) -> None:
    text = SHAPES.replace("def helper() -> int:\n    return 1\n\n\n", "")
    write(repo, "geo/shapes.py", text)
    report = impact(repo)
    helper = entity(report, "geo.shapes.helper")
    assert helper.change == "removed"
    assert helper.blast_radius is not None and helper.blast_radius >= 1
    assert "app.report.report" in helper.dependents


def test_staged_versus_unstaged(repo: Path) -> None:
    write(repo, "geo/shapes.py", SHAPES.replace("return 1\n", "return 11\n"))
    git(repo, "add", "geo/shapes.py")
    write(repo, "app/report.py", REPORT.replace("print(report(2.0))", "print(report(3.0))"))
    staged = impact(repo, staged=True)
    assert changes(staged) == {"geo.shapes.helper": "modified"} and staged.target == "index"
    everything = impact(repo)
    assert changes(everything) == {"geo.shapes.helper": "modified", "app.report.main": "modified"}
    # a staged edit then changed again on disk: --staged sees the staged lines, not the disk's
    write(
        repo,
        "geo/shapes.py",
        SHAPES.replace("return 1\n", "return 11\n").replace("return 2\n", "return 22\n"),
    )
    assert changes(impact(repo, staged=True)) == {"geo.shapes.helper": "modified"}
    assert "geo.shapes.unused" in changes(impact(repo))


def test_rev_between_two_commits_with_a_rename_and_a_deletion(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "mv", "app/report.py", "app/summary.py")
    git(repo, "rm", "-q", "geo/__init__.py", "logo.bin")
    write(repo, "geo/shapes.py", SHAPES.replace("return 0.0", "return -1.0"))
    git(repo, "commit", "-q", "-am", "two")
    second = git(repo, "rev-parse", "HEAD")
    write(repo, "geo/shapes.py", SHAPES)  # the working tree differs again: --rev must not read it
    report = impact(repo, rev=f"{first}..{second}")
    assert (report.base, report.target) == (first[:12], second[:12])
    got = changes(report)
    assert got["geo.shapes.Shape.area"] == "modified"
    assert got["app.summary"] == "moved" and got["app.summary.report"] == "moved"
    assert got["geo"] == "removed"  # the package module of the deleted __init__.py
    moved = entity(report, "app.summary.report")
    assert (moved.old_file, moved.file, moved.lines_changed) == ("app/report.py", "app/summary.py", 0)
    statuses = {f.path: (f.status, f.note) for f in report.files}
    assert statuses["app/summary.py"] == ("renamed", "")
    assert statuses["geo/__init__.py"] == ("deleted", "")
    assert statuses["logo.bin"] == ("deleted", "binary")
    area = entity(report, "geo.shapes.Shape.area")
    assert area.blast_radius is not None and area.blast_radius >= 1  # read on the graph of the B side
    # A alone: A against the working tree (which has Shape.area back as it was)
    assert "geo.shapes.Shape.area" not in changes(impact(repo, rev=first))


def test_binary_and_other_files(repo: Path) -> None:
    write(repo, "logo.bin", b"\x00\x09other binary")
    write(repo, "README.md", "# demo, edited\n")
    report = impact(repo)
    notes = {f.path: f.note for f in report.files}
    assert notes == {"README.md": "not an indexed language", "logo.bin": "binary"}
    assert report.entities == []


def test_a_subfolder_root_sees_only_its_files(repo: Path) -> None:
    write(repo, "geo/shapes.py", SHAPES.replace("return 1\n", "return 11\n"))
    write(repo, "app/report.py", REPORT.replace("2.0", "4.0"))
    report = impact(repo / "app")
    assert changes(report) == {"report.main": "modified"}  # module names are relative to the root
    assert report.summary["outside_root"] == 1
    assert [f.path for f in report.files] == ["report.py"]


def test_errors(repo: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitDiffError, match="not a git repository"):
        read_changes(plain)
    with pytest.raises(GitDiffError, match="bad revision 'nope'"):
        read_changes(repo, rev="nope..HEAD")
    with pytest.raises(GitDiffError, match="cannot be combined"):
        read_changes(repo, rev="HEAD", staged=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    with pytest.raises(GitDiffError, match="no commit yet"):
        read_changes(empty)


def test_cli_json_and_table(repo: Path) -> None:
    write(repo, "geo/shapes.py", SHAPES.replace("return 1\n", "return 11\n"))
    runner = CliRunner()
    result = runner.invoke(main, ["impact", str(repo), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "root",
        "repository",
        "base",
        "target",
        "depth",
        "summary",
        "files",
        "entities",
        "notes",
    ]
    assert data["entities"][0]["qualname"] == "geo.shapes.helper"
    assert set(data["entities"][0]) == {
        "id",
        "qualname",
        "kind",
        "language",
        "change",
        "file",
        "line",
        "end_line",
        "old_file",
        "old_line",
        "lines_changed",
        "blast_radius",
        "blast_depth",
        "dependents",
    }
    table = runner.invoke(main, ["impact", str(repo)])
    assert table.exit_code == 0
    assert "1 file changed, 1 entity (1 modified)" in table.stdout
    assert "geo.shapes.helper" in table.stdout and "app.report.report" in table.stdout


def test_cli_errors_are_one_line(repo: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    plain = tmp_path / "plain"
    plain.mkdir()
    result = runner.invoke(main, ["impact", str(plain)])
    assert result.exit_code == 1 and result.stderr == f"pt-tui: not a git repository: {plain}\n"
    result = runner.invoke(main, ["impact", str(repo), "--rev", "nope"])
    assert result.exit_code == 1 and result.stderr == "pt-tui: bad revision 'nope'\n"
    result = runner.invoke(main, ["impact", str(repo)])
    assert result.exit_code == 0 and "no changes between" in result.stdout


LIB_RS = """\
pub trait Shape {
    fn area(&self) -> f64;
}

pub struct Square {
    pub side: f64,
}

impl Shape for Square {
    fn area(&self) -> f64 {
        self.side * self.side
    }
}

pub fn total(shapes: &[Square]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}
"""


def test_rust_struct_and_impl_method(tmp_path: Path) -> None:
    root = tmp_path / "crate"
    root.mkdir()
    git(root, "init", "-q")
    write(root, "Cargo.toml", '[package]\nname = "shapes"\nversion = "0.1.0"\n')
    write(root, "src/lib.rs", LIB_RS)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    edited = LIB_RS.replace("self.side * self.side", "self.side.powi(2)")
    write(root, "src/lib.rs", edited.replace("pub side: f64,", "pub side: f64,\n    pub name: String,"))
    report = impact(root)
    assert changes(report) == {"shapes::Square": "modified", "shapes::<Square as Shape>::area": "modified"}
    square = entity(report, "shapes::Square")
    assert square.kind == "struct" and square.language == "rust"
    assert "shapes::total" in square.dependents
    assert entity(report, "shapes::<Square as Shape>::area").line == 11  # shifted by the new field
