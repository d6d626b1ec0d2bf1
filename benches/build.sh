#!/usr/bin/env bash
# Benchmarks `plugdex build` on generated index trees and prints the figures:
# a full build into an empty folder, a rebuild with nothing changed, and a
# rebuild after one plugin changed: from git (`--rev`, a new version of one
# plugin, then back) and from the folder (a version yanked, then back).
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
export SOURCE_DATE_EPOCH=1767225600 CI=true

print_machine
printf '%-10s %-10s %-26s %-9s %-9s %-9s %-10s %-10s\n' plugins versions run wall_s user_s sys_s peak_MiB written
run() { # label, then the command
  local label=$1; shift
  local log; log=$(mktemp)
  "$TIME" -f '%e %U %S %M' "$@" 2>"$log" >/dev/null || { cat "$log" >&2; exit 1; }
  local written; written=$(grep -o '[0-9]* files written' "$log" | cut -d' ' -f1)
  read -r wall user sys kb < <(tail -n 1 "$log")
  printf '%-10s %-10s %-26s %-9s %-9s %-9s %-10s %-10s\n' "$n" "$((n * VERSIONS))" "$label" "$wall" "$user" "$sys" "$((kb / 1024))" "$written"
  rm -f "$log"
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
    # The first rebuild also fills the standby tree (hard links), once.
    run "rebuild, first (git)" "$BIN" build --rev main --index "$repo" --out "$out"
    run "rebuild, no change (git)" "$BIN" build --rev main --index "$repo" --out "$out"
    run "rebuild, no change (git)" "$BIN" build --rev main --index "$repo" --out "$out"
    run "rebuild, 1 plugin (git)" "$BIN" build --rev pr-version --index "$repo" --out "$out"
    run "rebuild, back (git)" "$BIN" build --rev main --index "$repo" --out "$out"
  fi
  [[ " $MODES " == *" folder "* ]] || continue
  dir=$(bench_tree "$n")
  out="$BENCH_DIR/out-$n"
  fresh_out "$out"
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
