"""Build a ``.wasm`` from a ``.wat`` with wasmtime's own assembler (no toolchain needed).

Usage: ``python sdk/wat/wat2wasm.py in.wat out.wasm``. The output is a pure function of the input
(byte-for-byte reproducible) and is written only when it changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import wasmtime


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: wat2wasm.py IN.wat OUT.wasm", file=sys.stderr)
        return 2
    src, out = Path(argv[0]), Path(argv[1])
    wasm = wasmtime.wat2wasm(src.read_text())
    if not out.exists() or out.read_bytes() != wasm:
        out.write_bytes(wasm)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
