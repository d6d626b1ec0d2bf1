#!/usr/bin/env bash
# Client figures on generated registries: requests and bytes to plan an
# install of one plugin cold and warm (see benches/client.rs), against the
# size of a single catalogue file holding every plugin's index lines.
#
#   benches/client.sh                  # 10,000 and 100,000 plugins × 10 versions
#   SIZES="10000" benches/client.sh    # a subset
#
# The generated trees (BENCH_DIR/idx-N-10, as benches/build.sh makes them) are
# hard-linked into a work folder whose registry.toml gets the demo keys'
# [signing] table, built signed, and served by `plugdex serve` on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/common.sh
SIZES=${SIZES:-"10000 100000"}
VERSIONS=10
WORK=${WORK:-${TMPDIR:-/tmp}/plugdex-client-bench}
PORT=${PORT:-8731}
KEYS=tests/fixtures/demo-keys

build_bench_tools
cargo bench --quiet --bench client --no-run 2>/dev/null
root_pub=$("$BIN" keygen --show "$KEYS/root.pem")
online_pub=$("$BIN" keygen --show "$KEYS/online.pem")
mkdir -p "$BENCH_DIR" "$WORK"
export CI=true

for n in $SIZES; do
  src=$(bench_tree "$n")
  idx="$WORK/idx-$n"
  out="$WORK/out-$n"
  if [ ! -f "$idx/registry.toml" ]; then
    rm -rf "$idx"
    cp -al "$src" "$idx"
    # A new registry.toml (not the hard-linked one) with the demo keys.
    rm "$idx/registry.toml"
    signing() { printf '\n[signing]\nroot_keys = ["%s"]\nthreshold = 1\nonline_key = "%s"\nonline_key_signatures = [%s]\n' "$root_pub" "$online_pub" "$1"; }
    { cat "$src/registry.toml"; signing ""; } > "$idx/registry.toml"
    sig=$("$BIN" delegate --index "$idx" --root-key "$KEYS/root.pem")
    { cat "$src/registry.toml"; signing "\"$sig\""; } > "$idx/registry.toml"
  fi
  url="http://127.0.0.1:$PORT/"
  echo "== $n plugins × $VERSIONS versions: signed build for $url"
  start=$(date +%s)
  SOURCE_DATE_EPOCH=$(date +%s) "$BIN" build --index "$idx" --out "$out" --base-url "$url" \
    --signing-key "$KEYS/online.pem" 2>&1 | tail -n 2
  echo "   (build took $(( $(date +%s) - start )) s)"
  "$BIN" serve --dir "$out" --addr "127.0.0.1:$PORT" >/dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 100); do curl -sf "$url/config.json" >/dev/null && break; sleep 0.1; done
  # One plugin with no dependencies and one with some, found in the index.
  # (sed -n 1p, not head: reading everything avoids SIGPIPE under pipefail.)
  files=$(find "$out/index" -type f | sed -n 1,2000p)
  nodeps=$(echo "$files" | xargs grep -L '"deps":\[{' | sed -n 1p | xargs basename)
  deps=$(echo "$files" | xargs grep -l '"deps":\[{' | sed -n 1p | xargs basename)
  cargo bench --quiet --bench client -- "$url" "$nodeps" "$deps"
  kill $server; trap - EXIT
  lines=$(find "$out/index" -type f -print0 | xargs -0 cat | wc -c)
  gz=$(find "$out/index" -type f -print0 | xargs -0 cat | gzip -6 | wc -c)
  echo "single catalogue of every index line: $lines bytes ($gz gzipped), 1 request"
  echo "by-hash files (snapshot nodes and content-addressed copies): $(find "$out/by-hash" -type f | wc -l)"
done
