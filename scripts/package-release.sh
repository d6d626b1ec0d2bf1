#!/usr/bin/env bash
# Packs a built plugdex binary as a release archive, the layout
# scripts/setup-plugdex.sh and cargo-binstall (Cargo.toml) expect:
#   plugdex-VERSION-TARGET.tar.gz (.zip for Windows) holding
#   plugdex-VERSION-TARGET/{plugdex[.exe],README.md,LICENSE-MIT,LICENSE-APACHE}
# and its `NAME  SHA-256` line in NAME.sha256 (release.yml joins them into
# SHA256SUMS).
#
#   scripts/package-release.sh VERSION TARGET BINARY OUTDIR
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 VERSION TARGET BINARY OUTDIR" >&2; exit 2; }
version=$1 target=$2 binary=$3 outdir=$4
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "error: VERSION must look like v0.1.0, not '$version'" >&2; exit 2; }
[ -f "$binary" ] || { echo "error: no binary at '$binary'" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
name="plugdex-$version-$target"
stage=$(mktemp -d)
mkdir -p "$stage/$name" "$outdir"
cp "$binary" "$stage/$name/"
cp "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$stage/$name/"
outdir="$(cd "$outdir" && pwd)"
case "$target" in
  *windows*) archive="$name.zip"; (cd "$stage" && 7z a -tzip -bd "$outdir/$archive" "$name" >/dev/null 2>&1 || zip -qr "$outdir/$archive" "$name") ;;
  # Fixed owner, order and times: the archive's bytes follow its contents.
  *) archive="$name.tar.gz"
     tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - "$name" 2>/dev/null |
       gzip -n >"$outdir/$archive" ||
       (cd "$stage" && tar -czf "$outdir/$archive" "$name") ;;
esac
rm -rf "$stage"
(cd "$outdir" && { sha256sum "$archive" 2>/dev/null || shasum -a 256 "$archive"; } >"$archive.sha256")
echo "$outdir/$archive"
