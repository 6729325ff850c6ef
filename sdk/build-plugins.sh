#!/usr/bin/env bash
# Build every example plugin from source: WAT (wasmtime's assembler, always), C (clang + wasm-ld)
# and Rust (Debian's rustc/cargo with the wasm32 std). Each C / Rust plugin gets two builds from one
# source: <name>.wasm (committed, so the demo needs no toolchain) and lib<name>.so (the host build a
# reviewed plugin is promoted to; never committed). A missing toolchain skips its plugins with a
# message; a compile error fails. Outputs are rewritten only when their bytes change.
#
# Usage: sdk/build-plugins.sh [PYTHON]   (PYTHON: an interpreter with wasmtime, default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-.venv/bin/python}"
CLANG="${CLANG:-clang}"
CC="${CC:-cc}"
CARGO="${CARGO:-/usr/bin/cargo}"   # Debian's: a rustup toolchain first on PATH cannot target wasm32 here
RUSTC="${RUSTC:-/usr/bin/rustc}"

replace() {  # replace DST with SRC only if the bytes differ
    if [ -f "$2" ] && cmp -s "$1" "$2"; then rm -f "$1"; else mv -f "$1" "$2"; fi
}

echo "plugins: WAT"
for wat in plugins/wat/*/*.wat; do
    "$PYTHON" sdk/wat/wat2wasm.py "$wat" "${wat%.wat}.wasm"
done

if command -v "$CLANG" >/dev/null && command -v wasm-ld >/dev/null; then
    echo "plugins: C"
    for src in plugins/c/*/*.c; do
        dir=$(dirname "$src"); name=$(basename "$src" .c)
        "$CLANG" --target=wasm32 -nostdlib -mbulk-memory -msimd128 -O2 -Wall -Wextra -Werror \
            -Wl,--no-entry -Wl,--strip-all -I sdk/c "$src" -o "$dir/.$name.wasm.tmp"
        replace "$dir/.$name.wasm.tmp" "$dir/$name.wasm"
        "$CC" -O2 -Wall -Wextra -Werror -shared -fPIC -I sdk/c "$src" -o "$dir/lib$name.so"
    done
else
    echo "plugins: C skipped (needs clang and lld: apt-get install clang lld)"
fi

if [ -x "$CARGO" ] && [ -x "$RUSTC" ] && ls /usr/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib >/dev/null 2>&1; then
    echo "plugins: Rust"
    for toml in plugins/rust/*/Cargo.toml; do
        dir=$(dirname "$toml"); name=$(basename "$dir" | tr - _)
        export RUSTC RUSTFLAGS="--remap-path-prefix=$PWD=."
        (cd "$dir" && "$CARGO" build --offline --quiet --release --target wasm32-unknown-unknown)
        cp "$dir/target/wasm32-unknown-unknown/release/$name.wasm" "$dir/.$name.wasm.tmp"
        replace "$dir/.$name.wasm.tmp" "$dir/$name.wasm"
        (cd "$dir" && "$CARGO" build --offline --quiet --release)
        cp "$dir/target/release/lib$name.so" "$dir/lib$name.so"
    done
else
    echo "plugins: Rust skipped (needs Debian's rustc, cargo and the wasm32 std:" \
        "apt-get install rustc cargo libstd-rust-dev-wasm32 lld)"
fi
