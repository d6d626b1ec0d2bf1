#!/usr/bin/env bash
# Installs a pinned plugdex release for this runner's OS and architecture:
# downloads the archive and the release's SHA256SUMS, verifies the archive's
# SHA-256 (and the caller's own pin, when given), unpacks it and puts the
# binary on PATH. The logic of the `setup-plugdex` composite action
# (action.yml); tests/workflows.rs runs it against a fake release on nginx.
#
# Environment:
#   PLUGDEX_VERSION      the release tag, `vMAJOR.MINOR.PATCH` (required)
#   PLUGDEX_SHA256       expected SHA-256 of this platform's archive (optional)
#   PLUGDEX_RELEASE_URL  where releases live (default: GitHub's download URL)
#   RUNNER_OS            Linux | macOS | Windows   (set by GitHub Actions)
#   RUNNER_ARCH          X64 | ARM64               (set by GitHub Actions)
#   RUNNER_TEMP          where to unpack (default: a temporary folder)
#   GITHUB_PATH          the file whose lines are added to PATH (optional)
# Prints the folder holding the binary on stdout; exit 1 on any mismatch.
set -euo pipefail

fail() {
  echo "error: $1" >&2
  [ -z "${2:-}" ] || echo "  hint: $2" >&2
  exit 1
}

version="${PLUGDEX_VERSION:-}"
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  fail "PLUGDEX_VERSION must be a release tag like v0.1.0, not '$version'" \
    "pin a release: \`with: { version: v0.1.0 }\`"
expected="${PLUGDEX_SHA256:-}"
if [ -n "$expected" ] && ! [[ "$expected" =~ ^[0-9a-f]{64}$ ]]; then
  fail "PLUGDEX_SHA256 must be 64 lowercase hex digits, not '$expected'"
fi
base="${PLUGDEX_RELEASE_URL:-https://github.com/plugdex/plugdex/releases/download}"

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ext=tar.gz ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ext=tar.gz ;;
  macOS/X64) target=x86_64-apple-darwin ext=tar.gz ;;
  macOS/ARM64) target=aarch64-apple-darwin ext=tar.gz ;;
  Windows/X64) target=x86_64-pc-windows-msvc ext=zip ;;
  *) fail "no plugdex release for RUNNER_OS='${RUNNER_OS:-}' RUNNER_ARCH='${RUNNER_ARCH:-}'" \
    "releases exist for Linux (X64, ARM64), macOS (X64, ARM64) and Windows (X64)" ;;
esac

name="plugdex-$version-$target"
archive="$name.$ext"
dest="${RUNNER_TEMP:-$(mktemp -d)}/plugdex-$version"
rm -rf "$dest"
mkdir -p "$dest"

download() {
  curl --fail --silent --show-error --location --retry 3 --output "$2" "$1" ||
    fail "cannot download $1" "check that release $version exists and has $(basename "$1")"
}
download "$base/$version/$archive" "$dest/$archive"
download "$base/$version/SHA256SUMS" "$dest/SHA256SUMS"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}
actual=$(sha256 "$dest/$archive")
listed=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$dest/SHA256SUMS")
[ -n "$listed" ] || fail "SHA256SUMS of $version does not list $archive"
[ "$actual" = "$listed" ] ||
  fail "$archive has SHA-256 $actual, but SHA256SUMS of $version lists $listed" \
    "the download is corrupt or was tampered with; nothing was installed"
if [ -n "$expected" ] && [ "$actual" != "$expected" ]; then
  fail "$archive has SHA-256 $actual, but the pinned sha256 is $expected" \
    "nothing was installed; update the pin only if the release is known to have changed"
fi

case "$ext" in
  tar.gz) tar -xzf "$dest/$archive" -C "$dest" ;;
  zip) unzip -q "$dest/$archive" -d "$dest" ;;
esac
bin="$dest/$name"
exe="$bin/plugdex"
[ "$ext" = zip ] && exe="$exe.exe"
[ -x "$exe" ] || fail "$archive does not contain $name/$(basename "$exe")"

[ -z "${GITHUB_PATH:-}" ] || echo "$bin" >>"$GITHUB_PATH"
echo "plugdex $version ($target, sha256 $actual) installed in $bin" >&2
echo "$bin"
