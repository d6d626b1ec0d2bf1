#!/usr/bin/env bash
# Benchmarks search in the browser (real headless Chromium, Debian's package,
# driven by tests/browser/search.mjs) on generated registries and prints:
# the engine's and the bundle's size raw, gzip and brotli (and the browser's
# bundle's, when the registry is large enough to have one); the bytes the
# first search fetches in all (module, worker, engine, config.json, bundle)
# as served raw and as a host compressing with brotli would send them; the
# bytes later searches fetch (0 by design); and the query round trip from
# the page (p50, p95, max) over every query, repeated.
#
#   benches/search_browser.sh                  # 10,000 and 100,000 plugins
#   SIZES=10000 REPEAT=50 benches/search_browser.sh
#
# Needs: chromium, node, tests/browser/node_modules (scripts/test.sh installs
# them), brotli and gzip.
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/common.sh
SIZES=${SIZES:-"10000 100000"}
REPEAT=${REPEAT:-20}
VERSIONS=${VERSIONS:-2}
for tool in brotli gzip node; do
  command -v "$tool" >/dev/null || { echo "$0 needs $tool (apt-get install $tool)" >&2; exit 2; }
done
[ -d tests/browser/node_modules/playwright-core ] || { echo "$0 needs tests/browser/node_modules: run scripts/test.sh (npm ci there)" >&2; exit 2; }
build_bench_tools
cargo build --release --quiet --example search-assets
export SOURCE_DATE_EPOCH=1767225600 CI=true
print_machine

gz() { gzip -9 -c "$1" | wc -c; }
br() { brotli -q 11 -c "$1" | wc -c; }
kb() { awk -v b="$1" 'BEGIN { printf "%.0f KB", b / 1000 }'; }

# Words from the catalogues gen-index draws on: single words, multi-word
# needs, prefixes and typos.
queries='["git","kubernetes","kubernets","docker","sync","markdown","calendar","todo list","python","kub",
 "theme dark","notes","kubectl plugin","terraform","node version","graph view","spaced repetition","zotero",
 "flashcards","ruby","sql","pdf export","task","jira","helm charts","secrets","logs","java","golang","aws"]'

for n in $SIZES; do
  tree=$(bench_tree "$n")
  dist="$BENCH_DIR/search-dist-$n-$VERSIONS"
  rm -rf "$dist"
  "$BIN" build --index "$tree" --out "$dist" --allow-unsigned >/dev/null 2>&1
  module=$("$TARGET/release/examples/search-assets" "$dist")
  printf '<!doctype html><meta charset=utf-8><title>bench</title><script type=module src=/bench.js></script>\n' >"$dist/bench.html"
  printf 'import { openSearch } from "/%s";\nconst engine = openSearch({ root: "/" });\nwindow.plugdexSearch = (q, f) => engine.search(q, f);\nwindow.plugdexReady = true;\n' "$module" >"$dist/bench.js"

  search_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["search"].get(sys.argv[2]) or "")' "$dist/config.json" "$1"; }
  bundle="$dist/$(search_of bundle)"
  # The browser's bundle, when the full one is over [output] browser_search_bundle_over.
  browser=$(search_of browser)
  [ -n "$browser" ] && browser="$dist/$browser"
  engine=$(ls "$dist"/search/plugdex-search-engine.*.wasm)
  echo
  echo "== $n plugins × $VERSIONS versions"
  printf '%-10s %12s %12s %12s\n' file raw gzip brotli
  for f in engine bundle browser; do
    path=${!f}
    [ -n "$path" ] || { printf '%-10s none (the bundle is under the threshold: browsers load it)\n' "$f"; continue; }
    printf '%-10s %12s %12s %12s\n' "$f" "$(kb "$(wc -c <"$path")")" "$(kb "$(gz "$path")")" "$(kb "$(br "$path")")"
  done

  port=$((20000 + RANDOM % 20000))
  "$BIN" serve --dir "$dist" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/config.json" 2>/dev/null && break; sleep 0.1; done
  requests=$(mktemp)
  python3 -c 'import json,sys; print(json.dumps([{"query": q} for q in json.loads(sys.argv[1])]))' "$queries" >"$requests"
  report=$(mktemp)
  node tests/browser/search.mjs "http://127.0.0.1:$port/bench.html" "$requests" --repeat "$REPEAT" >"$report"
  kill "$server"; wait "$server" 2>/dev/null || true
  trap - EXIT

  python3 - "$report" "$dist" <<'PY'
import json, subprocess, sys, urllib.parse
report, dist = json.load(open(sys.argv[1])), sys.argv[2]
first = report["firstSearch"]
raw = sum(e["bytes"] for e in first)
brotli = 0
for e in first:
    path = dist + urllib.parse.urlparse(e["url"]).path
    brotli += len(subprocess.run(["brotli", "-q", "11", "-c", path], capture_output=True, check=True).stdout)
later = sum(e["bytes"] for e in report["laterSearches"])
t = sorted(report["timings"])
pct = lambda p: t[min(len(t) - 1, int(p * len(t)))]
errors = [a for a in report["answers"] if "error" in a]
print(f"first search: {len(first)} requests, {raw / 1000:.0f} KB as served (uncompressed), {brotli / 1000:.0f} KB with brotli (goal <= 1600 KB at 10,000 plugins)")
print(f"later searches: {len(report['laterSearches'])} requests, {later} bytes (goal 0)")
print(f"query round trip from the page over {len(t)} searches: p50 {pct(0.5):.2f} ms, p95 {pct(0.95):.2f} ms, max {t[-1]:.2f} ms (goal p95 <= 5 ms at 10,000 plugins)")
print(f"queries with results: {sum(1 for a in report['answers'] if a.get('total'))}/{len(report['answers'])}" + (f"; errors: {errors[:3]}" if errors else ""))
PY
  rm -f "$requests" "$report"
done
