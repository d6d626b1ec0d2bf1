#!/usr/bin/env bash
# Signs the example index/ with the DEMO keys in tests/fixtures/demo-keys/.
# These keys are public on purpose (they are in this repository): they exist
# to show every signature format in a realistic registry, never use them for
# anything real.
#
# Each owner signs the way a real author might:
#   tnovak        OpenSSH key,  `ssh-keygen -Y sign`            (SSHSIG)
#   lenafischer   minisign key, `minisign -S`                   (minisign ED)
#   hanako-yamada plugdex key,  `plugdex sign --format minisign`
#   samokafor     plugdex key,  `plugdex sign --format ssh`
#   others        plugdex key,  `plugdex sign` (raw ed25519)
#   old-ink       nothing: live-preview stays unsigned (tier `experimental`)
# mbianchi signed citations 1.0.0 with a key he has since retired.
#
# Usage: scripts/sign-example.sh   (needs minisign and ssh-keygen; rebuilds keys only when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q
PLUGDEX=${PLUGDEX:-target/debug/plugdex}
KEYS=tests/fixtures/demo-keys
mkdir -p "$KEYS"

key() { # key LOGIN → prints the raw public key, creating LOGIN.pem if missing
  [ -f "$KEYS/$1.pem" ] || "$PLUGDEX" keygen --out "$KEYS/$1.pem" >/dev/null 2>&1
  "$PLUGDEX" keygen --show "$KEYS/$1.pem"
}
[ -f "$KEYS/tnovak" ] || ssh-keygen -q -t ed25519 -N '' -C 'tnovak demo key' -f "$KEYS/tnovak"
[ -f "$KEYS/lenafischer.key" ] || minisign -G -W -p "$KEYS/lenafischer.pub" -s "$KEYS/lenafischer.key" >/dev/null

# set_keys PLUGIN_DIR LOGIN "KEY..." [retired "KEY..."]: rewrites that owner's keys in plugin.toml.
set_keys() {
  python3 - "$1/plugin.toml" "$2" "$3" "${4:-}" <<'EOF'
import re, sys
path, login, keys, retired = sys.argv[1:5]
text = open(path).read()
block = re.compile(r'(\[\[owners\]\]\ngithub = "%s"\n)(?:keys = .*\n)?(?:retired_keys = .*\n)?' % re.escape(login))
def fmt(ks): return "[" + ", ".join('"%s"' % k for k in ks.split("|") if k) + "]"
text, n = block.subn(lambda m: m.group(1) + "keys = " + fmt(keys) + "\n" + ("retired_keys = " + fmt(retired) + "\n" if retired else ""), text)
assert n == 1, f"{login} not found once in {path}"
open(path, "w").write(text)
EOF
}

# put_sig MANIFEST SIGFILE: writes the tool's signature into the manifest.
put_sig() {
  python3 - "$1" "$2" <<'EOF'
import re, sys
path, sigfile = sys.argv[1:3]
sig = open(sigfile).read().strip("\n")
text = open(path).read()
text = re.sub(r"(?ms)^signature = (?:'''.*?'''|\"[^\"\n]*\")\n", "", text)
field = "signature = '''\n" + sig + "\n'''\n"
i = text.find("\n[")
text = text[:i].rstrip("\n") + "\n" + field + "\n" + text[i + 1:] if i >= 0 else text + field
open(path, "w").write(text)
EOF
}

manifests() { ls "$1"/versions/*.toml; }
plugin() { ls -d index/plugins/*/"$1" index/plugins/*/*/"$1" 2>/dev/null | head -1; }

# Owners who sign with plugdex's own key files.
for pair in bibtex-parser:priya-raman csl-styles:priya-raman citations:priya-raman \
            md:inkwell-community markdown-preview:inkwell-community \
            daily-notes:samokafor word-count:samokafor furigana:hanako-yamada \
            pandoc-export:mbianchi paste-image:anasouza Table_Tools:anasouza \
            spellcheck:jweiss vim-mode:kailindqvist webdav-sync:kailindqvist; do
  set_keys "$(plugin "${pair%%:*}")" "${pair#*:}" "$(key "${pair#*:}")"
done
set_keys "$(plugin citations)" mbianchi "$(key mbianchi)" "$(key mbianchi-2025)"
set_keys "$(plugin git)" tnovak "$(cut -d' ' -f1-2 "$KEYS/tnovak.pub")"
minisign_pub=$(tail -n1 "$KEYS/lenafischer.pub")
for p in math-render mermaid-diagrams markdown-preview; do
  set_keys "$(plugin $p)" lenafischer "$minisign_pub"
done

sign_with() { # sign_with PLUGIN KEYFILE FORMAT
  for m in $(manifests "$(plugin "$1")"); do "$PLUGDEX" sign --key "$2" --format "$3" "$m" 2>/dev/null; done
}
for p in bibtex-parser csl-styles citations; do sign_with $p "$KEYS/priya-raman.pem" raw; done
for p in md markdown-preview; do sign_with $p "$KEYS/inkwell-community.pem" raw; done
for p in daily-notes word-count; do sign_with $p "$KEYS/samokafor.pem" ssh; done
sign_with furigana "$KEYS/hanako-yamada.pem" minisign
sign_with pandoc-export "$KEYS/mbianchi.pem" raw
for p in paste-image Table_Tools; do sign_with $p "$KEYS/anasouza.pem" raw; done
sign_with spellcheck "$KEYS/jweiss.pem" raw
for p in vim-mode webdav-sync; do sign_with $p "$KEYS/kailindqvist.pem" raw; done
"$PLUGDEX" sign --key "$KEYS/mbianchi-2025.pem" "$(plugin citations)/versions/1.0.0.toml" 2>/dev/null

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ns=$("$PLUGDEX" statement "$(manifests "$(plugin git)" | head -1)" 2>&1 >/dev/null | sed 's/^ssh-keygen namespace: //')
for m in $(manifests "$(plugin git)"); do
  "$PLUGDEX" statement "$m" >"$tmp/statement" 2>/dev/null
  rm -f "$tmp/statement.sig"
  ssh-keygen -q -Y sign -f "$KEYS/tnovak" -n "$ns" "$tmp/statement"
  put_sig "$m" "$tmp/statement.sig"
done
for p in math-render mermaid-diagrams; do
  for m in $(manifests "$(plugin $p)"); do
    "$PLUGDEX" statement "$m" >"$tmp/statement" 2>/dev/null
    minisign -S -s "$KEYS/lenafischer.key" -m "$tmp/statement" -x "$tmp/statement.minisig" \
      -t "plugdex release $p $(basename "$m" .toml)" </dev/null >/dev/null
    put_sig "$m" "$tmp/statement.minisig"
  done
done

# The registry's own keys: one offline root key (threshold 1) delegating to the online key CI uses.
root=$(key root); online=$(key online)
python3 - index/registry.toml "$root" "$online" <<'EOF'
import re, sys
path, root, online = sys.argv[1:4]
text = open(path).read()
text = re.sub(r"(?ms)^\n?\[signing\].*?(?=^\[|\Z)", "", text).rstrip("\n") + "\n"
text += f'\n[signing]\nroot_keys = ["{root}"]\nthreshold = 1\nonline_key = "{online}"\nonline_key_signatures = []\n'
open(path, "w").write(text)
EOF
sig=$("$PLUGDEX" delegate --root-key "$KEYS/root.pem" 2>/dev/null)
sed -i "s|^online_key_signatures = \[\]|online_key_signatures = [\"$sig\"]|" index/registry.toml
"$PLUGDEX" check
