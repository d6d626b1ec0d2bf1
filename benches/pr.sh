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
tree=$(bench_tree "$SIZE")
repo="$BENCH_DIR/pr-$SIZE-$VERSIONS"
# No background gc: the script packs the repository itself, once.
git_() { git -C "$repo" -c user.name=bench -c user.email=bench@example.org -c gc.auto=0 -c maintenance.auto=false "$@"; }
if ! git -C "$repo" rev-parse -q --verify main >/dev/null 2>&1; then
  rm -rf "$repo"
  cp -al "$tree" "$repo" # hard links: the tree is only read
  git_ init -q -b main
  echo "committing $SIZE plugins to $repo (once)..." >&2
  git_ add -A
  git_ commit -q -m "generated index"
  git_ repack -adq # packed, as a clone is
fi

# The first plugin folder of the tree, and its owner.
plugin_dir=$(cd "$repo" && find plugins -mindepth 3 -maxdepth 3 -name plugin.toml -print -quit | xargs dirname)
owner=$(sed -n 's/^github = "\(.*\)"/\1/p' "$repo/$plugin_dir/plugin.toml" | head -n 1)
last=$(ls "$repo/$plugin_dir/versions" | sort -V | tail -n 1)

git_ checkout -q -B pr-version main
sed "s/^version = .*/version = \"99.0.0\"/" "$repo/$plugin_dir/versions/$last" >"$repo/$plugin_dir/versions/99.0.0.toml"
git_ add -A && git_ commit -q -m "new version"

git_ checkout -q -B pr-plugin main
new="plugins/zz/qb/zzqbench"
mkdir -p "$repo/$new/versions"
sed 's/^name = .*/name = "zzqbench"/' "$repo/$plugin_dir/plugin.toml" >"$repo/$new/plugin.toml"
cp "$repo/$plugin_dir/versions/$last" "$repo/$new/versions/$last"
git_ add -A && git_ commit -q -m "new plugin"
git_ checkout -q main

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
