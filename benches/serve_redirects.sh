#!/usr/bin/env bash
# `plugdex serve` with a 100,000-line `_redirects` (a 100,000-plugin
# registry's download redirects and the API rewrites, as `build` writes them)
# against the floor of a 10-line one: the time of the same 20 requests, over
# one connection each, on loopback. `serve` parses `_headers`/`_redirects`
# once (and again only when a file changes), so the two should be close; a
# parse per request made the 20 requests take seconds.
#
#   benches/serve_redirects.sh              # LINES=100000, RUNS=3
#   PLUGDEX_BIN=target/debug/plugdex benches/serve_redirects.sh   # another binary
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/common.sh
LINES=${LINES:-100000}
RUNS=${RUNS:-3}
PORT=${PORT:-8732}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/plugdex-serve-bench.XXXXXX")
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${PLUGDEX_BIN:-}" ]; then BIN=$PLUGDEX_BIN; else build_bench_tools; fi
print_machine
echo "binary: $BIN"

# A served folder whose `_redirects` has $1 download redirects, then the API
# rewrites (matched after the exact redirects, as a host does), with the
# files the 20 requests ask for.
make_site() {
  local dir=$1 plugins=$2
  mkdir -p "$dir/api/v1/plugins/p1/versions" "$dir/artifacts"
  echo '{"v":1}' > "$dir/api/v1/plugins.json"
  echo '{"v":1,"name":"p1"}' > "$dir/api/v1/plugins/p1.json"
  echo '{"v":1,"name":"p1","versions":[]}' > "$dir/api/v1/plugins/p1/versions.json"
  echo '{"v":1}' > "$dir/api/v1/plugins/p1/versions/1.0.0.json"
  echo '{"v":1}' > "$dir/config.json"
  printf '/*\n  X-Content-Type-Options: nosniff\n/api/*\n  Cache-Control: max-age=300\n' > "$dir/_headers"
  {
    echo "# Generated for the bench: $plugins download redirects, then the API rewrites."
    awk -v n="$plugins" 'BEGIN { for (i = 1; i <= n; i++) printf "/api/v1/plugins/p%d/download https://r.example/artifacts/%064d/p%d-1.0.0.tar.gz 302\n", i, i, i }'
    echo "/api/v1/plugins /api/v1/plugins.json 200"
    echo "/api/v1/plugins/:name /api/v1/plugins/:name.json 200"
    echo "/api/v1/plugins/:name/versions /api/v1/plugins/:name/versions.json 200"
    echo "/api/v1/plugins/:name/versions/:version /api/v1/plugins/:name/versions/:version.json 200"
    echo "/api/v1/plugins/:name/audit /api/v1/plugins/:name/audit.json 200"
  } > "$dir/_redirects"
}

# The 20 requests: redirects at the start and the end of the file, rewrites
# (after every redirect line) and plain files; prints their total in ms.
twenty_requests() {
  local last=$1 url="http://127.0.0.1:$PORT" paths=()
  for i in 1 2 3 4 5; do paths+=("/api/v1/plugins/p$i/download"); done
  for i in 0 1 2 3 4; do paths+=("/api/v1/plugins/p$((last - i))/download"); done
  paths+=(/api/v1/plugins /api/v1/plugins/p1 /api/v1/plugins/p1/versions
    /api/v1/plugins/p1/versions/1.0.0 /api/v1/plugins/p1/audit)
  paths+=(/config.json /api/v1/plugins.json /api/v1/plugins/p1.json /nothing-here /config.json)
  local args=()
  for p in "${paths[@]}"; do args+=(-o /dev/null "$url$p"); done
  # One curl, a fresh connection per URL (--no-keepalive): as 20 clients would.
  curl -s --no-keepalive -w '%{time_total}\n' "${args[@]}" |
    awk '{ s += $1 } END { printf "%.1f", s * 1000 }'
}

# Starts `serve` on $1 and waits until it accepts connections, without a
# request: the first measured request parses the rules, so the parse is
# counted once, in the first 20.
start_serve() {
  "$BIN" serve --dir "$1" --addr "127.0.0.1:$PORT" >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return
    sleep 0.05
  done
  echo "serve did not start" >&2
  exit 2
}

stop_serve() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=; }

floor_lines=5 # + 5 rewrites and a comment: an 11-line file
make_site "$WORK/small" "$floor_lines"
make_site "$WORK/big" "$LINES"
echo "_redirects: $(wc -l < "$WORK/small/_redirects") lines (floor) and $(wc -l < "$WORK/big/_redirects") lines ($(du -k "$WORK/big/_redirects" | cut -f1) KiB)"

for run in $(seq "$RUNS"); do
  # Each server is fresh: its first request pays the parse.
  start_serve "$WORK/small"; small=$(twenty_requests "$floor_lines"); stop_serve
  start_serve "$WORK/big"; big=$(twenty_requests "$LINES"); stop_serve
  # A second round on a warm server: rules already parsed.
  start_serve "$WORK/big"; twenty_requests "$LINES" >/dev/null; warm=$(twenty_requests "$LINES"); stop_serve
  awk -v r="$run" -v s="$small" -v b="$big" -v w="$warm" 'BEGIN {
    printf "run %d: 20 requests: floor %.1f ms, %s lines first 20 %.1f ms (%.1fx floor), next 20 %.1f ms (%.1fx floor)\n",
      r, s, "'"$LINES"'", b, b / s, w, w / s }'
done
