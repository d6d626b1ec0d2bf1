#!/usr/bin/env bash
# Benchmarks `plugdex build` on generated index trees and prints the figures:
# a full build into an empty folder, a rebuild with nothing changed, and a
# rebuild after one plugin changed: from git (`--rev`, a new version of one
# plugin, then back) and from the folder (a version yanked, then back); a full
# build without per-version documents (`[output] version_documents = false`);
# and the floor: a bare program (benches/floor.rs) creating the same files
# with the same sizes on 2 threads, so every full build is also printed as a
# ratio to it, measured in the same run.
#
#   benches/build.sh                  # 10,000 and 100,000 plugins × 10 versions
#   SIZES="10000" benches/build.sh    # a subset
#   MODES=git benches/build.sh        # only the builds from git
#   BENCH_DIR=/path benches/build.sh  # where trees are generated (kept for reruns)
#
# Wall time, CPU time and peak memory come from GNU time. The index is read
# with a warm page cache; the output is written to the same disk.
# PLUGDEX_TIMINGS=1 adds each build's phases (time, resident memory) to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/common.sh
SIZES=${SIZES:-"10000 100000"}
# `git`: the tree committed, built with `--rev` (and the build cache);
# `folder`: the tree read as files.
MODES=${MODES:-"git folder"}
need_gnu_time
build_bench_tools
FLOOR=$TARGET/release/bench-floor
rustc --edition 2021 -O benches/floor.rs -o "$FLOOR"
export SOURCE_DATE_EPOCH=1767225600 CI=true

print_machine
printf '%-10s %-10s %-26s %-9s %-9s %-9s %-10s %-10s\n' plugins versions run wall_s user_s sys_s peak_MiB written
run() { # label, then the command; leaves the wall time in $wall
  local label=$1; shift
  local log; log=$(mktemp)
  "$TIME" -f '%e %U %S %M' "$@" 2>"$log" >/dev/null || { cat "$log" >&2; exit 1; }
  local written; written=$(grep -o '[0-9]* files written' "$log" | cut -d' ' -f1)
  local user sys kb
  read -r wall user sys kb < <(tail -n 1 "$log")
  printf '%-10s %-10s %-26s %-9s %-9s %-9s %-10s %-10s\n' "$n" "$((n * VERSIONS))" "$label" "$wall" "$user" "$sys" "$((kb / 1024))" "$written"
  rm -f "$log"
}
# The floor for the output tree $1 (just built, as the full build $2 named):
# the same files made by benches/floor.rs, printed with the build's ratio to it.
# The copies are deleted at the end of the size: a big delete slows the file
# creation that follows it (see fresh_out).
floors=()
floor() {
  local fresh="$BENCH_DIR/floor-$n-${#floors[@]}" build_wall=$wall line secs
  rm -rf "$fresh"
  floors+=("$fresh")
  line=$("$FLOOR" "$1" "$fresh")
  secs=$(echo "$line" | sed -n 's/.*, \([0-9.]*\) s$/\1/p')
  printf '%-10s %-10s %-26s %-9s %s\n' "$n" "$((n * VERSIONS))" "floor of $2" "$secs" \
    "$(awk -v b="$build_wall" -v f="$secs" -v what="${line#floor: }" 'BEGIN { printf "build/floor %.2fx (%s)", b / f, what }')"
}
# Turns per-version documents off in the index at $1 (a folder) or back on.
version_documents() {
  local registry="$1/registry.toml"
  sed -i '/^# bench: no version documents$/,$d' "$registry"
  if [ "$2" = off ]; then
    printf '# bench: no version documents\n[output]\nversion_documents = false\n' >>"$registry"
  fi
}
# Builds into a fresh output folder $1: the old one is deleted first, and
# the disk given time to settle (see below).
fresh_out() {
  if [ -e "$1" ] || [ -e "$(dirname "$1")/.$(basename "$1").plugdex" ]; then
    # ext4 without a journal scans for recently deleted inodes on every file
    # it creates (`perf`: find_inode_bit → recently_deleted), for up to five
    # minutes after a big delete: let that pass before timing a full build.
    rm -rf "$1" "$(dirname "$1")/.$(basename "$1").plugdex"
    sync
    sleep "${SETTLE_SECS:-300}"
  fi
}
for n in $SIZES; do
  if [[ " $MODES " == *" git "* ]]; then
    # The same tree committed to git: `build --rev` with the build cache.
    bench_repo "$n"
    repo="$BENCH_DIR/pr-$n-$VERSIONS"
    out="$BENCH_DIR/out-git-$n"
    fresh_out "$out"
    run "full (git)" "$BIN" build --rev main --index "$repo" --out "$out"
    floor "$out" "full (git)"
    # The first rebuild also fills the standby tree (hard links), once.
    run "rebuild, first (git)" "$BIN" build --rev main --index "$repo" --out "$out"
    run "rebuild, no change (git)" "$BIN" build --rev main --index "$repo" --out "$out"
    run "rebuild, no change (git)" "$BIN" build --rev main --index "$repo" --out "$out"
    run "rebuild, 1 plugin (git)" "$BIN" build --rev pr-version --index "$repo" --out "$out"
    run "rebuild, back (git)" "$BIN" build --rev main --index "$repo" --out "$out"
    out_nodocs="$BENCH_DIR/out-nodocs-git-$n"
    fresh_out "$out_nodocs"
    run "full, no version docs (git)" "$BIN" build --rev no-version-docs --index "$repo" --out "$out_nodocs"
    floor "$out_nodocs" "full, no version docs (git)"
    rm -rf "$out_nodocs" "$BENCH_DIR/.out-nodocs-git-$n.plugdex"
  fi
  [[ " $MODES " == *" folder "* ]] || continue
  dir=$(bench_tree "$n")
  out="$BENCH_DIR/out-$n"
  fresh_out "$out"
  "$BIN" check --index "$dir" >/dev/null 2>&1 || { echo "the tree $dir does not check; delete it to regenerate" >&2; exit 1; }
  run full "$BIN" build --index "$dir" --out "$out"
  floor "$out" full
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
  # Without per-version documents, into a second output (the first is kept
  # for reruns); its floor is that output's files.
  out_nodocs="$BENCH_DIR/out-nodocs-$n"
  fresh_out "$out_nodocs"
  version_documents "$dir" off
  run "full, no version docs" "$BIN" build --index "$dir" --out "$out_nodocs"
  floor "$out_nodocs" "full, no version docs"
  run "rebuild, no version docs" "$BIN" build --index "$dir" --out "$out_nodocs"
  version_documents "$dir" on
  rm -rf "$out_nodocs" "$BENCH_DIR/.out-nodocs-$n.plugdex" "${floors[@]}"
  floors=()
done
