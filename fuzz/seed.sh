#!/usr/bin/env bash
# Builds the fuzz targets' seed corpora from the repository's own files
# (index/, tests/fixtures/, tests/golden/, the demo keys), so they are
# reproducible and nothing generated is committed. Writes
# fuzz/seeds/<target>/, then adds the committed inputs that once crashed a
# target (fuzz/regressions/<target>/). Needs python3.
#
#   fuzz/seed.sh            # all targets
#
# Multi-file inputs join their files with the line `--8<--` (see src/lib.rs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="$here/seeds"
rm -rf "$out"
mkdir -p "$out"

python3 - "$repo" "$out" <<'PY'
import gzip, hashlib, io, os, re, sys, tomllib, zipfile
from pathlib import Path

repo, out = Path(sys.argv[1]), Path(sys.argv[2])
SEP = b"\n--8<--\n"
golden = repo / "tests/golden/example"
keys = repo / "tests/fixtures/demo-keys"

def put(target, name, *parts):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    data = SEP.join(p if isinstance(p, bytes) else p.encode() for p in parts)
    (d / name).write_bytes(data)

def read(p):
    return p.read_bytes() if p and p.is_file() else None

def slug(p):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(p))

# index_check: every plugin folder of the example index, of the base
# fixture and of each broken fixture (overlaid on base, as tests do).
def index_seeds(root, base, label, per_plugin):
    reg = read(root / "registry.toml") or read(base / "registry.toml") or b""
    extra = [read(root / f) or read(base / f) or b"" for f in ("reviewed.toml", "revocations.toml")]
    for plugin_toml in sorted(root.glob("plugins/**/plugin.toml")):
        folder = plugin_toml.parent
        versions = sorted((folder / "versions").glob("*.toml"))[:per_plugin] or [None]
        for v in versions:
            vt = read(v) or b""
            artifact = b""
            try:
                url = tomllib.loads(vt.decode()).get("artifact", {}).get("url", "")
                artifact = read(root / url) or read(base / url) or b""
            except Exception:
                pass
            stem = v.stem if v else "1.0.0"
            readme = read(folder / "README.md") or b""
            put("index_check", slug(f"{label}-{folder.name}-{stem}"), reg, read(plugin_toml) or b"",
                stem, vt, folder.name, artifact, extra[0], extra[1], readme[:2048])

base = repo / "tests/fixtures/base"
index_seeds(repo / "index", repo / "index", "index", 2)
index_seeds(base, base, "base", 3)
for broken in sorted((repo / "tests/fixtures/broken").iterdir()):
    index_seeds(broken, base, broken.name, 2)

# public_key: demo key files, owner keys and registry keys of the index.
for f in sorted(keys.iterdir()):
    put("public_key", slug(f.name), f.read_bytes())
key_lines = set()
for t in list(repo.glob("index/**/*.toml")) + list(repo.glob("tests/fixtures/**/*.toml")):
    if not t.is_file():
        continue
    for m in re.finditer(r'"([A-Za-z0-9+/=]{40,}|ssh-ed25519 [^"]+|RW[A-Za-z0-9+/=]+)"', t.read_text(errors="replace")):
        key_lines.add(m.group(1))
for i, k in enumerate(sorted(key_lines)[:80]):
    put("public_key", f"key-{i:03}", k)

# signature: each version file's signature with its plugin's first key,
# a canonical release statement and the SSHSIG namespace.
def statement(reg_id, name, vers, sha, size):
    return (f"plugdex release statement v1\nregistry: {reg_id}\nplugin: {name}\nversion: {vers}\n"
            f"artifact-sha256: {sha}\nartifact-size: {size}\nmanifest-sha256: {'0' * 64}\n")
n = 0
for v in sorted(list(repo.glob("index/plugins/**/versions/*.toml")) + list(repo.glob("tests/fixtures/**/versions/*.toml"))):
    try:
        doc = tomllib.loads(v.read_text())  # a folder or broken file is no seed
        plugin = tomllib.loads((v.parent.parent / "plugin.toml").read_text())
    except (OSError, ValueError):
        continue
    sig = doc.get("signature")
    if not isinstance(sig, str):
        continue
    owner_keys = [k for o in plugin.get("owners", []) for k in o.get("keys", [])] or [""]
    art = doc.get("artifact", {})
    msg = statement("plugins.inkwell.example", plugin.get("name", ""), doc.get("version", ""),
                    art.get("sha256", ""), art.get("size", 0))
    put("signature", f"sig-{n:03}", sig, owner_keys[0], msg, "plugdex-release@plugins.inkwell.example")
    n += 1
    if n >= 120:
        break

# metadata_chain: each golden index file; the real root.json to mutate;
# the real timestamp, and its signed body for the harness to sign.
ts = (golden / "timestamp.json").read_bytes()
signed_body = re.search(rb'^\{"signed":(\{.*?\}\}),"signatures"', ts).group(1)
md = (golden / "index/2/md").read_bytes()
for f in sorted((golden / "index").rglob("*")):
    if f.is_file():
        put("metadata_chain", slug(f.relative_to(golden)), f.read_bytes())
put("metadata_chain", "with-root", md, (golden / "root.json").read_bytes())
put("metadata_chain", "with-timestamp", md, (golden / "root.json").read_bytes(), ts)
put("metadata_chain", "with-signed-body", md, (golden / "root.json").read_bytes(), ts, signed_body)

# client_files: lock, state, config, cache meta and request, as the client writes them.
line = md.split(b"\n")[0].decode()
lock = """# Written by plugdex: the exact plugins installed beside this file. Do not edit.
v = 1

[[plugin]]
name = "md"
vers = "0.1.0"
registry = "https://plugins.inkwell.example/"
sha256 = "96249ac4950e71839d1f46ef07ab878015d6970e3f30f842e0cbbb1a9b31e7ae"
size = 525
dl = "https://plugins.inkwell.example/artifacts/96249ac4950e71839d1f46ef07ab878015d6970e3f30f842e0cbbb1a9b31e7ae/md-0.1.0.tar.gz"
tier = "community"
requested = "*"
deps = ["core-utils"]
"""
state = """v = 1

[registries."https://plugins.inkwell.example/"]
id = "plugins.inkwell.example"
root_keys = ["2NnyqCvq8MnG+OZR7rtb723XaXP/b5QjHNSlk8CL+GU="]
threshold = 1
timestamp_version = 1767225600
"""
config = """default = "inkwell"

[registries.inkwell]
url = "https://plugins.inkwell.example/"
root_keys = ["2NnyqCvq8MnG+OZR7rtb723XaXP/b5QjHNSlk8CL+GU="]
threshold = 1

[registries.private]
url = "https://plugins.example.com/private/"
token = "secret"
"""
meta = '{"v":1,"url":"https://plugins.example/index/2/md","etag":"\\"abc\\"","last_modified":"Thu, 01 Jan 2026 00:00:00 GMT"}'
put("client_files", "all", lock, state, config, meta, "md@^0.1")
put("client_files", "empty", "v = 1\n", "v = 1\n", "", "{}", "git")
put("client_files", "bad-versions", "v = 2\n", "v = 0\n", "default = 3", meta.replace('"v":1', '"v":2'), "@1.0")

# http_response: well-formed answers, a revalidation, chunked bodies, a too-large artifact.
def resp(status, headers, body):
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode() + b"\r\n" + body
art = b"\x1f\x8b" + b"x" * 40
ok = resp("200 OK", [("Content-Length", len(md)), ("ETag", '"v1"')], md)
put("http_response", "etag-304", ok, resp("304 Not Modified", [("ETag", '"v1"')], b""),
    resp("200 OK", [("Content-Length", len(art))], art))
put("http_response", "last-modified", resp("200 OK", [("Content-Length", 2), ("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT")], b"{}"),
    resp("200 OK", [("Content-Length", 2)], b"[]"), resp("404 Not Found", [("Content-Length", 0)], b""))
chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
put("http_response", "chunked", chunked, chunked, resp("200 OK", [("Content-Length", 100)], b"y" * 100))
put("http_response", "errors", resp("500 Internal Server Error", [], b""), resp("401 Unauthorized", [], b""),
    resp("200 OK", [("Content-Length", 10)], b"short"))
put("http_response", "no-length", b"HTTP/1.0 200 OK\r\n\r\n" + md[:300], b"HTTP/1.1 304 Not Modified\r\n\r\n", b"garbage")

# unpack: the example index's artifacts as they are (mode 0), their tar
# streams for the harness to gzip (mode 1), and zips (mode 0).
for i, a in enumerate(sorted(repo.glob("index/artifacts/*/*.tar.gz"))[:12]):
    put("unpack", f"targz-{i:02}", b"\x00" + a.read_bytes())
    put("unpack", f"tar-{i:02}", b"\x01" + gzip.decompress(a.read_bytes()))
def zipped(entries, compress=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()
put("unpack", "zip-stored", b"\x00" + zipped([("plugin.wasm", b"\0asm"), ("docs/README.md", b"# hi\n")]))
put("unpack", "zip-deflated", b"\x00" + zipped([("a/b/c.txt", b"abc" * 50), ("a/", b"")], zipfile.ZIP_DEFLATED))
put("unpack", "zip-dup", b"\x00" + zipped([("x", b"1"), ("y", b"2")]).replace(b"y", b"x"))

# host_rules: the golden host files and request targets.
targets = "\n".join(["/", "/config.json", "/index/2/md", "/api/v1/plugins/md/download", "/a%20b", "/%2e%2e/x",
                     "/names/a.json?x=1#f", "/../etc/passwd", "/._x", "/a/./b", "//double", "/%ff"])
put("host_rules", "golden", (golden / "_headers").read_bytes(), (golden / "_redirects").read_bytes(), targets)
put("host_rules", "small", "/*\n  X-A: b\n# c\n/x\n  Bad\n", "/a /b\n/c /d 302\n# x\n/e\n", "/a\n/c\n/x")

# serve_request: requests for the files the harness serves.
def req(method, path, *headers):
    return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode()
for i, (m, p, h) in enumerate([("GET", "/config.json", ()), ("HEAD", "/index/2/md", ()), ("GET", "/plugins/md/", ()),
                                ("GET", "/link.txt", ()), ("GET", "/.secret", ()), ("GET", "/_headers", ()),
                                ("GET", "/api/v1/plugins/md/download", ()), ("POST", "/config.json", ("Content-Length: 0",)),
                                ("GET", "/root.json", ('If-None-Match: "x", *',)), ("GET", "/nope", ())]):
    put("serve_request", f"req-{i:02}", req(m, p, *h))
put("serve_request", "with-rules", req("GET", "/x"), "/x\n  X-Test: 1\n", "/x /config.json 302\n")
PY

# Inputs that once crashed a target stay in its seeds.
if [ -d "$here/regressions" ]; then
  for d in "$here"/regressions/*/; do
    t="$(basename "$d")"
    mkdir -p "$out/$t"
    cp "$d"* "$out/$t/" 2>/dev/null || true
  done
fi
for d in "$out"/*/; do
  printf '%-16s %4d seeds, %6d bytes\n' "$(basename "$d")" "$(ls "$d" | wc -l)" "$(cat "$d"* | wc -c)"
done
