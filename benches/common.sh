# Shared by the bench scripts: `source "$(dirname "$0")/common.sh"` after
# `cd` to the repository root. Sets BIN and GEN, checks for GNU time (TIME),
# and generates the index trees every bench uses.

BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/plugdex-bench}
VERSIONS=${VERSIONS:-10}
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$TARGET/release/plugdex
GEN=$TARGET/release/examples/gen-index
TIME=/usr/bin/time

# Fails early without GNU time, which gives wall, CPU and peak memory.
need_gnu_time() {
  [ -x "$TIME" ] || { echo "$0 needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 2; }
}

build_bench_tools() {
  cargo build --release --quiet --bin plugdex --example gen-index
  mkdir -p "$BENCH_DIR"
}

print_machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
}

# The generated tree of $1 plugins x $VERSIONS versions (seed 1), made once:
# generated aside and renamed, so an interrupted run never leaves half a tree.
# Prints its path.
bench_tree() {
  local dir="$BENCH_DIR/idx-$1-$VERSIONS"
  if [ ! -f "$dir/registry.toml" ]; then
    rm -rf "$dir" "$dir.partial"
    "$GEN" --plugins "$1" --versions "$VERSIONS" --out "$dir.partial" --seed 1 >/dev/null 2>&1
    mv "$dir.partial" "$dir"
  fi
  echo "$dir"
}

# The tree of $1 plugins committed to a git repository (made once, packed as
# a clone is) at $BENCH_DIR/pr-$1-$VERSIONS, with three branches off `main`:
# `pr-version` (a new version of one plugin), `pr-plugin` (a new plugin) and
# `no-version-docs`.
# Sets BENCH_PLUGIN_DIR (that plugin's folder) and BENCH_OWNER (its owner).
bench_repo() {
  local tree repo="$BENCH_DIR/pr-$1-$VERSIONS"
  tree=$(bench_tree "$1")
  # No background gc: the script packs the repository itself, once.
  git_() { git -C "$repo" -c user.name=bench -c user.email=bench@example.org -c gc.auto=0 -c maintenance.auto=false "$@"; }
  if ! git -C "$repo" rev-parse -q --verify main >/dev/null 2>&1; then
    rm -rf "$repo"
    cp -al "$tree" "$repo" # hard links: the tree is only read
    git_ init -q -b main
    echo "committing $1 plugins to $repo (once)..." >&2
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
  # `no-version-docs`: `[output] version_documents = false`. registry.toml is
  # a hard link to the tree's: written anew, never appended to.
  git_ checkout -q -B no-version-docs main
  { cat "$repo/registry.toml"; printf '\n[output]\nversion_documents = false\n'; } >"$repo/registry.toml.new"
  mv "$repo/registry.toml.new" "$repo/registry.toml"
  git_ add -A && git_ commit -q -m "no version documents"
  git_ checkout -q main

  BENCH_PLUGIN_DIR=$plugin_dir
  BENCH_OWNER=$owner
}
