#!/usr/bin/env bash
# Fuzz smoke run for CI: builds every fuzz target and runs each for a few
# seconds on its seeds, so the targets keep building and the seeds (which
# include every input that once crashed a target) still pass. Real fuzzing
# runs are longer: see docs/fuzzing.md.
#
#   scripts/fuzz-smoke.sh              # SECONDS_PER_TARGET=5 by default
#   SECONDS_PER_TARGET=20 scripts/fuzz-smoke.sh
#
# Needs a nightly toolchain (cargo-fuzz builds with sanitizers); installs
# cargo-fuzz from crates.io when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${SECONDS_PER_TARGET:-5}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz-smoke: no nightly toolchain; install it with \`rustup toolchain install nightly\`" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# An unoptimised build without ASan: a third of the release build's CPU
# time, and a smoke run needs only panics to fail. The long runs use
# `cargo fuzz build -a` (docs/fuzzing.md).
flags=(--dev -s none)
start=$(date +%s)
fuzz/seed.sh >/dev/null
cargo +nightly fuzz build "${flags[@]}"
built=$(date +%s)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo +nightly fuzz list); do
  # New inputs go to a scratch corpus; the seeds stay as generated.
  mkdir -p "$scratch/$target"
  if ! cargo +nightly fuzz run "${flags[@]}" "$target" "$scratch/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$scratch/" >"$scratch/$target.log" 2>&1; then
    tail -n 40 "$scratch/$target.log" >&2
    echo "fuzz-smoke: target \`$target\` failed; the input is in the log above" >&2
    exit 1
  fi
  echo "fuzz-smoke: $target: $(grep -o 'number_of_executed_units: [0-9]*' "$scratch/$target.log" | grep -o '[0-9]*$') runs"
done
echo "fuzz-smoke: build $((built - start)) s, runs $(($(date +%s) - built)) s"
