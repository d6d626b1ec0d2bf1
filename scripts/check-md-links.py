#!/usr/bin/env python3
"""Checks the relative links of Markdown files: every `[text](target)` outside
code must name an existing file, and a `#fragment` a heading of that file
(GitHub's anchor rules). External links (http:, https:, mailto:) are not
fetched.

    scripts/check-md-links.py                 # README.md and docs/*.md
    scripts/check-md-links.py FILE...         # these files
    EXPECTED_MISSING="docs/a.md" scripts/...  # files another branch adds
"""
import os
import re
import sys
import unicodedata

LINK = re.compile(r"(?<!\!)\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(text):
    """Yields (line number, line) outside fenced code, inline code removed."""
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield n, re.sub(r"`[^`]*`", "``", line)


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.lower()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "-_" or cat[0] in "LN":
            out.append(ch)
        elif ch == " ":
            out.append("-")
    return "".join(out)


def anchors(path, cache={}):
    if path not in cache:
        seen = {}
        found = set()
        fenced = False
        with open(path, encoding="utf-8") as f:
            for line in f:
                if FENCE.match(line):
                    fenced = not fenced
                    continue
                m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m and not fenced:
                    base = slug(m.group(1))
                    n = seen.get(base, 0)
                    seen[base] = n + 1
                    found.add(base if n == 0 else f"{base}-{n}")
        cache[path] = found
    return cache[path]


def main(argv):
    files = argv or ["README.md"] + sorted(
        os.path.join("docs", f) for f in os.listdir("docs") if f.endswith(".md")
    )
    expected_missing = set(os.environ.get("EXPECTED_MISSING", "").split())
    bad = 0
    for md in files:
        with open(md, encoding="utf-8") as f:
            text = f.read()
        for n, line in prose_lines(text):
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):
                    continue
                path, _, fragment = target.partition("#")
                resolved = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
                where = f"{md}:{n}: `{target}`"
                if not os.path.exists(resolved):
                    if resolved in expected_missing:
                        print(f"{where}: {resolved} does not exist yet (expected)")
                        continue
                    print(f"{where}: no file {resolved}")
                    bad += 1
                elif fragment and (not resolved.endswith(".md") or fragment not in anchors(resolved)):
                    print(f"{where}: no heading #{fragment} in {resolved}")
                    bad += 1
    print(f"{len(files)} files checked, {bad} broken links")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
