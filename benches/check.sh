#!/usr/bin/env bash
# Benchmarks `plugdex check` on generated index trees and prints the figures.
#
#   benches/check.sh                 # 1, 10,000 and 100,000 plugins × 10 versions
#   SIZES="1 10000" benches/check.sh # a subset
#   BENCH_DIR=/path benches/check.sh # where trees are generated (kept for reruns)
#
# Each tree is generated once (deterministically, seed 1) and checked RUNS
# times after a warm-up run, so the figures are with a warm page cache, as in
# CI after checkout. Wall time, CPU time and peak memory come from GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/common.sh
SIZES=${SIZES:-"1 10000 100000"}
RUNS=${RUNS:-3}
need_gnu_time
build_bench_tools
print_machine
printf '%-10s %-10s %-10s %-10s %-10s %-12s\n' plugins versions wall_s user_s sys_s peak_MiB
for n in $SIZES; do
  dir=$(bench_tree "$n")
  "$BIN" check --index "$dir" >/dev/null 2>&1 # warm-up: fills the page cache
  for _ in $(seq "$RUNS"); do
    out=$("$TIME" -f '%e %U %S %M' "$BIN" check --index "$dir" 2>&1 >/dev/null | tail -n 1)
    read -r wall user sys kb <<<"$out"
    printf '%-10s %-10s %-10s %-10s %-10s %-12s\n' "$n" "$((n * VERSIONS))" "$wall" "$user" "$sys" "$((kb / 1024))"
  done
done
