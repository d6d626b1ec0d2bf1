#!/usr/bin/env bash
# Benchmarks the HTML site: what a first view weighs, compressed (a plugin
# page and the home page, with the stylesheet and script they load; the
# search engine loads only on first search), and what the site adds to a
# build, measured in the same run against `build --no-site` on the same tree.
#
#   benches/site.sh                   # 10,000 plugins × 10 versions
#   SIZES="10000 100000" benches/site.sh
#   BENCH_DIR=/path benches/site.sh   # where trees are generated (kept for reruns)
#
# Targets: plugin page ≤ 50 KB and home ≤ 60 KB compressed (gzip -9 and
# brotli, whichever the host serves); the site ≤ 10 s per 10,000 plugins on
# top of the build (2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

source benches/common.sh
SIZES=${SIZES:-"10000"}
need_gnu_time
build_bench_tools
export SOURCE_DATE_EPOCH=1767225600 CI=true
print_machine

# Compressed bytes of the files, one compressor.
compressed() { # tool, files...
  local tool=$1 total=0 f; shift
  for f in "$@"; do
    total=$((total + $($tool -c -9 "$f" | wc -c)))
  done
  echo "$total"
}

# A page's first view: the HTML and the assets it links (stylesheet, script, icon).
first_view() { # out, page (relative)
  local out=$1 page=$2 assets
  assets=$(grep -o '/static/[^"]*' "$out/$page" | sort -u | sed "s|^/|$out/|")
  # shellcheck disable=SC2086
  printf '%-28s %8s %8s %8s\n' "$page" "$(cat "$out/$page" $assets | wc -c)" \
    "$(compressed gzip "$out/$page" $assets)" \
    "$( command -v brotli >/dev/null && compressed brotli "$out/$page" $assets || echo -)"
}

# The example registry: real READMEs and version tables.
out=$(mktemp -d)
"$BIN" build --index index --out "$out/dist" --allow-unsigned >/dev/null 2>&1
echo "first view of the example's pages (bytes: raw, gzip -9, brotli -9; targets: plugin ≤ 51200, home ≤ 61440)"
printf '%-28s %8s %8s %8s\n' page raw gzip brotli
for page in index.html plugins/citations/index.html plugins/git/index.html plugins/vim-mode/index.html search/index.html; do
  first_view "$out/dist" "$page"
done
rm -rf "$out"

printf '\n%-10s %-10s %-22s %-9s %-9s %-10s %-8s\n' plugins versions run wall_s user_s peak_MiB files
run() { # label, out, then the command
  local label=$1 out=$2; shift 2
  local log; log=$(mktemp)
  rm -rf "$out" "$(dirname "$out")/.$(basename "$out").plugdex"
  "$TIME" -f '%e %U %M' "$@" --out "$out" 2>"$log" >/dev/null || { cat "$log" >&2; exit 1; }
  read -r wall user kb < <(tail -n 1 "$log")
  printf '%-10s %-10s %-22s %-9s %-9s %-10s %-8s\n' "$n" "$((n * VERSIONS))" "$label" "$wall" "$user" "$((kb / 1024))" "$(find "$out" -type f | wc -l)"
  rm -f "$log"
  echo "$wall" > "$BENCH_DIR/.last-wall"
}
for n in $SIZES; do
  dir=$(bench_tree "$n")
  run "build --no-site" "$BENCH_DIR/site-out-$n" "$BIN" build --index "$dir" --allow-unsigned --no-site
  without=$(cat "$BENCH_DIR/.last-wall")
  run "build (with the site)" "$BENCH_DIR/site-out-$n" "$BIN" build --index "$dir" --allow-unsigned
  with=$(cat "$BENCH_DIR/.last-wall")
  pages=$(find "$BENCH_DIR/site-out-$n" -type f \( -name '*.html' -o -name '*.xml' -o -name robots.txt -o -path '*/static/*' \) | wc -l)
  awk -v n="$n" -v a="$without" -v b="$with" -v p="$pages" 'BEGIN {
    printf "site at %d plugins: %d files (%.2f per plugin), +%.1f s (%.1f s per 10,000 plugins; target <= 10), ratio %.2f\n",
      n, p, p / n, b - a, (b - a) * 10000 / n, b / a }'
  rm -rf "$BENCH_DIR/site-out-$n" "$BENCH_DIR/.site-out-$n.plugdex"
done
