#!/usr/bin/env bash
# Benchmarks `plugdex build` on generated index trees and prints the figures:
# a full build into an empty folder, a rebuild with nothing changed, and a
# rebuild after one plugin changed (a version yanked).
#
#   benches/build.sh                  # 10,000 and 100,000 plugins × 10 versions
#   SIZES="10000" benches/build.sh    # a subset
#   BENCH_DIR=/path benches/build.sh  # where trees are generated (kept for reruns)
#
# Wall time, CPU time and peak memory come from GNU time. The index is read
# with a warm page cache; the output is written to the same disk.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"10000 100000"}
VERSIONS=${VERSIONS:-10}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/plugdex-bench}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "benches/build.sh needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 2; }

cargo build --release --quiet --bin plugdex --example gen-index
BIN=target/release/plugdex
GEN=target/release/examples/gen-index
mkdir -p "$BENCH_DIR"
export SOURCE_DATE_EPOCH=1767225600 CI=true

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
printf '%-10s %-10s %-22s %-9s %-9s %-9s %-10s %-10s\n' plugins versions run wall_s user_s sys_s peak_MiB written
run() { # label, then the command
  local label=$1; shift
  local log; log=$(mktemp)
  "$TIME" -f '%e %U %S %M' "$@" 2>"$log" >/dev/null || { cat "$log" >&2; exit 1; }
  local written; written=$(grep -o '[0-9]* files written' "$log" | cut -d' ' -f1)
  read -r wall user sys kb < <(tail -n 1 "$log")
  printf '%-10s %-10s %-22s %-9s %-9s %-9s %-10s %-10s\n' "$n" "$((n * VERSIONS))" "$label" "$wall" "$user" "$sys" "$((kb / 1024))" "$written"
  rm -f "$log"
}
for n in $SIZES; do
  dir="$BENCH_DIR/idx-$n-$VERSIONS"
  if [ ! -f "$dir/registry.toml" ]; then
    # Generate aside and rename, so an interrupted run never leaves a half tree.
    rm -rf "$dir" "$dir.partial"
    "$GEN" --plugins "$n" --versions "$VERSIONS" --out "$dir.partial" --seed 1 >/dev/null 2>&1
    mv "$dir.partial" "$dir"
  fi
  out="$BENCH_DIR/out-$n"
  rm -rf "$out" "$BENCH_DIR/.out-$n.plugdex"
  "$BIN" check --index "$dir" >/dev/null 2>&1 || { echo "the tree $dir does not check; delete it to regenerate" >&2; exit 1; }
  run full "$BIN" build --index "$dir" --out "$out"
  run "rebuild, no change" "$BIN" build --index "$dir" --out "$out"
  run "rebuild, no change" "$BIN" build --index "$dir" --out "$out"
  # Yank the newest version of the first plugin, then put it back.
  manifest=$(find "$dir/plugins" -path '*/versions/*.toml' -print -quit)
  backup="$BENCH_DIR/manifest.orig"
  cp "$manifest" "$backup"
  sed -i 's/^yanked = false/yanked = "benchmark"/' "$manifest"
  grep -q '^yanked = "benchmark"' "$manifest" || printf 'yanked = "benchmark"\n' | cat - "$backup" > "$manifest"
  run "rebuild, 1 plugin" "$BIN" build --index "$dir" --out "$out"
  cp "$backup" "$manifest"
  run "rebuild, 1 plugin back" "$BIN" build --index "$dir" --out "$out"
done
