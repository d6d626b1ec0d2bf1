#!/usr/bin/env bash
# Rebuilds the browser's search engine, assets/search/engine.wasm, from this
# repository's source (search-wasm/ over plugdex's `search` feature), byte for
# byte: locked dependencies, pinned toolchain and options, paths remapped.
#
#   scripts/build-search-engine.sh            # rebuild and write assets/search/
#   scripts/build-search-engine.sh --check    # rebuild aside; fail if it differs from what is committed
#
# The toolchain: rustup's Rust has no wasm32 standard library on this machine
# image and cannot fetch one, so the engine is built with Debian's rustc-web
# (compiler, cargo and the standard library's source, built here with
# -Zbuild-std) and linked with the rust-lld of the Rust toolchain pinned below.
# assets/search/engine.toolchain records both: a machine with other versions cannot reproduce the bytes and is told
# so. Missing Debian packages are installed (apt-get, as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

RUSTC_WEB_VERSION=1.96.0+dfsg1-1~deb12u2
LLD_TOOLCHAIN=1.95.0-x86_64-unknown-linux-gnu
assets=assets/search
record=$assets/engine.toolchain

check=false
[ "${1:-}" = --check ] && check=true

# Debian packages → installed at the pinned version when missing.
need=()
for pkg in rustc-web=$RUSTC_WEB_VERSION cargo-web=$RUSTC_WEB_VERSION rust-web-src=$RUSTC_WEB_VERSION; do
  name=${pkg%%=*} want=${pkg#*=}
  have=$(dpkg-query -W -f '${Version}' "$name" 2>/dev/null || true)
  [ "$have" = "$want" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "--- installing the engine's toolchain: ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; then
    echo "error: cannot install ${need[*]}: the committed engine was built with them." >&2
    echo "hint: on another Debian release, build with what it has (edit the pins at the top of $0) and commit the new engine" >&2
    exit 2
  fi
fi

rustc=/usr/bin/rustc
cargo=/usr/bin/cargo
lld="${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$LLD_TOOLCHAIN/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
if [ ! -x "$lld" ]; then
  echo "error: no linker: $lld is missing (the engine is linked with the rust-lld of Rust $LLD_TOOLCHAIN)" >&2
  echo "hint: rustup toolchain install ${LLD_TOOLCHAIN%%-x86_64*}" >&2
  exit 2
fi

toolchain() {
  echo "rustc: $("$rustc" -V)"
  echo "linker: $("$lld" -flavor wasm --version)"
}

if $check && [ -f "$record" ] && ! diff -u "$record" <(toolchain) >&2; then
  echo "error: this machine's toolchain (above, +) is not the one $assets/engine.wasm was built with (-)," >&2
  echo "so the engine cannot be rebuilt byte for byte here; nothing is known to be wrong with it." >&2
  echo "hint: install the recorded versions, or rebuild with scripts/build-search-engine.sh and commit assets/search/" >&2
  exit 2
fi

# The sources are built from one fixed folder, whatever the checkout's path:
# remapping the path is not enough (a clone elsewhere built different bytes),
# so every checkout compiles the same paths. The tracked files only: no
# target folders, no node_modules.
src=/tmp/plugdex-search-engine-src
# Kept between runs (the standard library and tantivy take minutes), at a
# fixed path too: build scripts' OUT_DIR paths can reach the binary.
target=${SEARCH_ENGINE_TARGET_DIR:-/tmp/plugdex-search-engine-target}
rm -rf "$src"
mkdir -p "$src"
git ls-files -z | (cd "$repo" && xargs -0 cp --parents -t "$src")
cargo_home=${CARGO_HOME:-$HOME/.cargo}
# Every path a panic location or symbol could carry, made machine-independent.
flags=(
  "--remap-path-prefix=$src=/plugdex"
  "--remap-path-prefix=$target=/target"
  "--remap-path-prefix=$cargo_home/registry/src=/cargo"
  "--remap-path-prefix=/usr/lib/rustlib/src/rust=/rustc"
  "--remap-path-prefix=/usr/src/rustc-${RUSTC_WEB_VERSION%%+*}=/rustc"
)
rustflags=$(printf '"%s",' "${flags[@]}")
echo "--- building the search engine (wasm32, $("$rustc" -V))" >&2
(
  cd "$src/search-wasm"
  # -Zbuild-std needs nightly features of a stable compiler.
  RUSTC="$rustc" RUSTC_BOOTSTRAP=1 SOURCE_DATE_EPOCH=0 CARGO_INCREMENTAL=0 \
    "$cargo" build --quiet --locked --release --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort --target-dir "$target" \
    --config "target.wasm32-unknown-unknown.linker=\"$lld\"" \
    --config "target.wasm32-unknown-unknown.rustflags=[${rustflags%,}]"
)
built="$target/wasm32-unknown-unknown/release/plugdex_search_wasm.wasm"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# No wasm-opt pass: -Oz took over ten minutes on two busy cores and the
# linked engine is within its size goal (docs/search-browser.md).
cat "$built" >"$out/engine.wasm" # not cp: the linker's executable bit is no part of it
toolchain >"$out/engine.toolchain"

if $check; then
  if ! cmp -s "$out/engine.wasm" "$assets/engine.wasm"; then
    echo "error: $assets/engine.wasm is not what this source builds ($(wc -c <"$out/engine.wasm") bytes built, $(wc -c <"$assets/engine.wasm") committed)" >&2
    echo "hint: run scripts/build-search-engine.sh and commit assets/search/" >&2
    exit 1
  fi
  echo "$assets/engine.wasm matches its source ($(wc -c <"$out/engine.wasm") bytes)"
else
  mkdir -p "$assets"
  cp "$out/engine.wasm" "$out/engine.toolchain" "$assets/"
  echo "wrote $assets/engine.wasm ($(wc -c <"$assets/engine.wasm") bytes) and $record"
fi
