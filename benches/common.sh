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
