#!/usr/bin/env bash
# Benchmarks `plugdex check` on generated index trees and prints the figures.
#
#   benches/check.sh                 # 1, 10,000 and 100,000 plugins × 10 versions
#   SIZES="1 10000" benches/check.sh # a subset
#   BENCH_DIR=/path benches/check.sh # where trees are generated (kept for reruns)
#   MODES=folder benches/check.sh    # only `check --index DIR` (default "folder git")
#
# `folder` checks the tree on disk; `git` checks it as committed to a packed
# repository (`check --rev main`, as CI checks a checkout), made once by
# `bench_repo` in common.sh.
#
# Each tree is generated once (deterministically, seed 1) and checked RUNS
# times after a warm-up run, so the figures are with a warm page cache, as in
# CI after checkout. Wall time, CPU time and peak memory come from GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/common.sh
SIZES=${SIZES:-"1 10000 100000"}
RUNS=${RUNS:-3}
MODES=${MODES:-"folder git"}
need_gnu_time
build_bench_tools
print_machine
printf '%-7s %-10s %-10s %-10s %-10s %-10s %-12s\n' mode plugins versions wall_s user_s sys_s peak_MiB
for n in $SIZES; do
  for mode in $MODES; do
    case $mode in
      folder) args=(--index "$(bench_tree "$n")") ;;
      git)
        # On a line of its own: `set -e` does not hold inside `f && ...`.
        bench_repo "$n"
        args=(--index "$BENCH_DIR/pr-$n-$VERSIONS" --rev main)
        ;;
      *) echo "unknown mode \`$mode\` (folder, git)" >&2 && exit 2 ;;
    esac
    "$BIN" check "${args[@]}" >/dev/null 2>&1 # warm-up: fills the page cache
    for _ in $(seq "$RUNS"); do
      out=$("$TIME" -f '%e %U %S %M' "$BIN" check "${args[@]}" 2>&1 >/dev/null | tail -n 1)
      read -r wall user sys kb <<<"$out"
      printf '%-7s %-10s %-10s %-10s %-10s %-10s %-12s\n' "$mode" "$n" "$((n * VERSIONS))" "$wall" "$user" "$sys" "$((kb / 1024))"
    done
  done
done
