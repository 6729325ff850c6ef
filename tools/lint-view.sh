#!/usr/bin/env bash
# Build build/lint-view/pt_tui: a symlink view of the import root, so static tools (mypy,
# import-linter) see the modules under their real names (pt_tui.core...) without installing.
set -euo pipefail
cd "$(dirname "$0")/.."
view=build/lint-view/pt_tui
rm -rf build/lint-view
mkdir -p "$view"
for f in pt_tui/*.py pt_tui/py.typed; do ln -s "$PWD/$f" "$view/$(basename "$f")"; done
for d in core sandbox app themes; do ln -s "$PWD/$d" "$view/$d"; done
echo "$PWD/build/lint-view"
