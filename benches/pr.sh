#!/usr/bin/env bash
# Benchmarks `plugdex check --base` on one-plugin pull requests against a
# generated index committed to git, and prints the figures.
#
#   benches/pr.sh                  # 100,000 plugins × 10 versions
#   SIZE=10000 benches/pr.sh       # a smaller index
#   BENCH_DIR=/path benches/pr.sh  # where trees and repositories are kept
#
# The repository is made once (the generated tree, committed in one commit;
# `git add` of a million files takes minutes) and reused. Each run times, with
# GNU time, the built binary on two pull requests: an owner's new version of
# one plugin, and a new plugin (which also reads every plugin name of the
# base, for the taken and confusable checks).
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/common.sh
SIZE=${SIZE:-100000}
RUNS=${RUNS:-5}
need_gnu_time
build_bench_tools
bench_repo "$SIZE"
repo="$BENCH_DIR/pr-$SIZE-$VERSIONS"
plugin_dir=$BENCH_PLUGIN_DIR
owner=$BENCH_OWNER

print_machine
echo "index: $SIZE plugins x $VERSIONS versions in git; PR touches $plugin_dir (owner $owner)"
printf '%-14s %-16s %-8s %-8s %-8s %-9s\n' pull_request classification wall_s user_s sys_s peak_MiB
for pr in pr-version pr-plugin; do
  "$BIN" check --index "$repo" --base main --head "$pr" --author "$owner" >/dev/null 2>&1 || true # warm-up
  for _ in $(seq "$RUNS"); do
    out=$("$TIME" -f '%e %U %S %M' "$BIN" check --index "$repo" --base main --head "$pr" --author "$owner" --format json 2>/tmp/plugdex-pr-time >/tmp/plugdex-pr-verdict || true)
    read -r wall user sys kb <<<"$(tail -n 1 /tmp/plugdex-pr-time)"
    class=$(sed -n 's/.*"classification": "\(.*\)".*/\1/p' /tmp/plugdex-pr-verdict)
    printf '%-14s %-16s %-8s %-8s %-8s %-9s\n' "$pr" "$class" "$wall" "$user" "$sys" "$((kb / 1024))"
  done
done
