#!/usr/bin/env python3
"""Generate the example index repo in `index/` (the Inkwell plugin registry).

Writes `index/registry.toml`, one sharded folder per plugin under
`index/plugins/` (plugin.toml, README.md, versions/*.toml) and one small, real,
deterministic `.tar.gz` artifact per version under `index/artifacts/`.

The archives are reproducible: sorted entries, mtime 0, uid/gid 0, no user or
group names, gzip header mtime 0 and no file name. Running the script twice
gives byte-identical output (with the same zlib; a different zlib build may
compress differently, in which case the manifests' sha256/size follow along).

`index/schemas/` is not touched: `plugdex schema --write` owns it.

Usage:
    python3 scripts/make-example-index.py            # regenerate, then verify
    python3 scripts/make-example-index.py --verify   # only verify what is on disk
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "index"

ENGINE = "inkwell"
BASE_URL = "https://plugins.inkwell.example/"
MAX_ARTIFACT_SIZE = 10485760
RESERVED = ["inkwell", "core", "official"]
MAX_VERSIONS = 1000

PERMISSIONS = ["filesystem", "network", "process", "env", "clipboard", "notifications", "keychain"]
RUNTIMES = ["wasm", "native", "script", "docker"]

# --------------------------------------------------------------------------
# Names (mirrors src/format/name.rs)
# --------------------------------------------------------------------------

BUILTIN_RESERVED = [
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
    "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8",
    "lpt9", "api", "index", "static", "search", "plugins", "by-hash", "artifacts", "config",
    "schemas", "plugdex",
]
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


def canonical(name: str) -> str:
    return "".join("-" if c == "_" else c.lower() for c in name)


def shard(canon: str) -> str:
    n = len(canon)
    if n == 1:
        return "1"
    if n == 2:
        return "2"
    if n == 3:
        return f"3/{canon[0]}"
    return f"{canon[:2]}/{canon[2:4]}"


def skeleton(name: str) -> str:
    table = {"0": "o", "1": "l", "i": "l", "|": "l", "5": "s"}
    folded = "".join(table.get(c, c) for c in canonical(name) if c != "-")
    return folded.replace("rn", "m").replace("vv", "w").replace("cl", "d")


def folder(name: str) -> str:
    return f"{shard(canonical(name))}/{name}"


# --------------------------------------------------------------------------
# SemVer (just enough for the verifier: versions, ^ ~ >= > <= < = and bare)
# --------------------------------------------------------------------------

SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


def parse_version(v: str):
    m = SEMVER_RE.match(v)
    if not m:
        raise ValueError(f"not a SemVer version: {v!r}")
    pre = tuple(int(p) if p.isdigit() else p for p in m.group(4).split(".")) if m.group(4) else ()
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre


def version_key(v: str):
    major, minor, patch, pre = parse_version(v)
    # A release sorts after its pre-releases; numeric identifiers before alphanumeric.
    pre_key = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in pre)
    return (major, minor, patch, 0 if pre else 1, pre_key)


def _cmp(a: str, b: str) -> int:
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def _comparator_matches(comp: str, v: str) -> bool:
    m = re.match(r"^(\^|~|>=|<=|>|<|=)?\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?$", comp)
    if not m:
        raise ValueError(f"unsupported comparator {comp!r}")
    op = m.group(1) or "^"
    major = int(m.group(2))
    minor = int(m.group(3)) if m.group(3) is not None else None
    patch = int(m.group(4)) if m.group(4) is not None else None
    pre = m.group(5) or ""
    lo = f"{major}.{minor or 0}.{patch or 0}{pre}"
    if op == "=":
        if minor is None:
            return _cmp(v, f"{major}.0.0-0") >= 0 and _cmp(v, f"{major + 1}.0.0-0") < 0
        if patch is None:
            return _cmp(v, f"{major}.{minor}.0-0") >= 0 and _cmp(v, f"{major}.{minor + 1}.0-0") < 0
        return _cmp(v, lo) == 0
    if op == ">=":
        return _cmp(v, lo) >= 0
    if op == ">":
        return _cmp(v, lo) > 0
    if op == "<":
        return _cmp(v, lo) < 0
    if op == "<=":
        return _cmp(v, lo) <= 0
    if op == "~":
        hi = f"{major + 1}.0.0-0" if minor is None else f"{major}.{minor + 1}.0-0"
        return _cmp(v, lo) >= 0 and _cmp(v, hi) < 0
    # caret
    if major > 0 or minor is None:
        hi = f"{major + 1}.0.0-0"
    elif minor > 0 or patch is None:
        hi = f"0.{minor + 1}.0-0"
    else:
        hi = f"0.0.{(patch or 0) + 1}-0"
    return _cmp(v, lo) >= 0 and _cmp(v, hi) < 0


def req_matches(req: str, v: str) -> bool:
    """Cargo-style matching: a pre-release only matches a comparator naming a
    pre-release of the same major.minor.patch."""
    comps = [c.strip() for c in req.split(",")]
    if not all(_comparator_matches(c, v) for c in comps):
        return False
    major, minor, patch, pre = parse_version(v)
    if not pre:
        return True
    for c in comps:
        m = re.search(r"(\d+)\.(\d+)\.(\d+)-", c)
        if m and (int(m.group(1)), int(m.group(2)), int(m.group(3))) == (major, minor, patch):
            return True
    return False


def engine_overlaps(req_a: str, req_b: str) -> bool:
    """Is there an engine release 1.0.0 .. 2.9.0 that both requirements accept?"""
    for major in (1, 2):
        for minor in range(10):
            v = f"{major}.{minor}.0"
            if req_matches(req_a, v) and req_matches(req_b, v):
                return True
    return False


# --------------------------------------------------------------------------
# The plugins
# --------------------------------------------------------------------------

def gh(login: str, repo: str) -> str:
    return f"https://github.com/{login}/{repo}"


PLUGINS: list[dict] = [
    dict(
        name="md",
        description="Shared Markdown AST utilities for Inkwell plugins: parse CommonMark and GFM, walk and rewrite nodes, and serialize back without reformatting untouched text.",
        license="MIT OR Apache-2.0",
        tags=["markdown", "ast", "library", "commonmark"],
        homepage=gh("inkwell-community", "md"),
        repository=gh("inkwell-community", "md"),
        authors=["Inkwell Community <community@inkwell.example>"],
        owners=["inkwell-community"],
        runtime="wasm",
        entry="md.wasm",
        permissions=[],
        capabilities=[
            dict(name="parse", description="Parse Markdown source into a JSON AST with source positions.", endpoint="/parse", method="POST"),
            dict(name="serialize", description="Serialize an AST back to Markdown, keeping untouched ranges byte-for-byte.", endpoint="/serialize", method="POST"),
            dict(name="walk", since="0.2.0", description="Visit nodes by type from other plugins without a round-trip through JSON."),
        ],
        versions=[
            dict(version="0.1.0", engine=">=1.0.0, <2.0.0"),
            dict(version="0.2.0", engine=">=1.2.0, <2.0.0"),
            dict(version="0.3.0", engine=">=1.2.0, <3.0.0"),
            dict(version="0.3.1", engine=">=1.2.0, <3.0.0"),
            dict(version="0.4.0", engine="^2.0"),
        ],
        readme=dict(
            intro="`md` is a library plugin: it adds no commands of its own. Other plugins depend on it to get one shared, well-tested Markdown parser instead of bundling their own.",
            usage="""Declare the dependency in your plugin's version manifest:

```toml
[dependencies]
md = "^0.4"
```

Then call it through the plugin host:

```js
const md = await inkwell.plugins.get("md");
const ast = await md.parse(note.text, { gfm: true });
for (const heading of md.walk(ast, "heading")) {
  console.log(heading.depth, md.text(heading));
}
```""",
            config=[
                ("gfm", "bool", "true", "Enable GitHub Flavored Markdown (tables, task lists, strikethrough)."),
                ("front_matter", "bool", "true", "Parse YAML/TOML front matter into a `frontmatter` node."),
                ("max_nesting", "integer", "64", "Deepest block nesting accepted before the parser gives up."),
            ],
            example="""Round-tripping keeps everything you did not touch:

```js
const ast = await md.parse("# Title\\n\\nSome *text*.\\n");
ast.children[0].children[0].value = "New title";
await md.serialize(ast); // "# New title\\n\\nSome *text*.\\n"
```""",
            permission_reasons={},
        ),
    ),
    dict(
        name="git",
        description="Commit, pull and push your vault without leaving Inkwell; changed notes are marked in the file tree and conflicts open in a side-by-side merge view.",
        license="GPL-3.0-or-later",
        tags=["git", "sync", "version-control"],
        homepage=gh("tnovak", "inkwell-git"),
        repository=gh("tnovak", "inkwell-git"),
        authors=["Tomáš Novák <tomas@novak.example>"],
        owners=["tnovak"],
        runtime="native",
        entry="bin/inkwell-git",
        permissions=["filesystem", "process", "network", "env"],
        capabilities=[
            dict(name="status", description="List changed, staged and untracked notes.", endpoint="/status", method="GET"),
            dict(name="commit", description="Stage all changes and commit them with a generated or custom message.", endpoint="/commit", method="POST"),
            dict(name="pull", description="Fetch and rebase onto the upstream branch.", endpoint="/pull", method="POST"),
            dict(name="push", description="Push the current branch to its upstream.", endpoint="/push", method="POST"),
            dict(name="merge-view", since="1.2.0", description="Resolve conflicts in a side-by-side view with per-hunk accept buttons."),
        ],
        versions=[
            dict(version="1.0.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.1.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.2.0", engine=">=1.3.0, <2.0.0"),
            dict(version="2.0.0", engine="^2.0"),
            dict(version="2.1.0-beta.1", engine="^2.1", channel="beta"),
        ],
        readme=dict(
            intro="The plugin drives the `git` executable you already have installed, so your SSH keys, credential helpers and hooks keep working exactly as on the command line.",
            usage="""Open the command palette and run one of:

| command | shortcut | what it does |
|---|---|---|
| `Git: Commit all` | <kbd>Ctrl</kbd>+<kbd>Alt</kbd>+<kbd>C</kbd> | stage everything and commit |
| `Git: Pull` | <kbd>Ctrl</kbd>+<kbd>Alt</kbd>+<kbd>P</kbd> | fetch and rebase |
| `Git: Push` | — | push the current branch |
| `Git: Show changes` | — | open the changes panel |

Your vault must already be a git repository:

```sh
cd ~/Notes
git init
git remote add origin git@github.com:you/notes.git
```""",
            config=[
                ("auto_commit_minutes", "integer", "0", "Commit automatically every N minutes; `0` turns it off."),
                ("commit_message", "string", '"vault backup: {date}"', "Template for automatic commits; `{date}` and `{files}` are replaced."),
                ("pull_on_startup", "bool", "true", "Pull when Inkwell opens the vault."),
                ("git_path", "string", '"git"', "Path to the git executable if it is not on `PATH`."),
            ],
            example="""A typical setup for a vault synced between a laptop and a desktop:

```toml
[plugins.git]
auto_commit_minutes = 15
commit_message = "{hostname}: {files} changed"
pull_on_startup = true
```""",
            permission_reasons={
                "filesystem": "reads and writes the `.git` folder of the vault",
                "process": "runs the `git` executable",
                "network": "talks to your remote during pull and push",
                "env": "reads `GIT_*`, `SSH_AUTH_SOCK` and `HOME` so git behaves as in your shell",
            },
        ),
    ),
    dict(
        name="markdown-preview",
        description="Live side-by-side HTML preview of the note you are editing, with scroll sync, light and dark themes, and optional math and diagram rendering.",
        license="MIT",
        tags=["markdown", "preview", "html", "editor"],
        homepage="https://inkwell-community.github.io/markdown-preview/",
        repository=gh("inkwell-community", "markdown-preview"),
        authors=["Lena Fischer <lena@fischer.example>", "Inkwell Community <community@inkwell.example>"],
        owners=["inkwell-community", "lenafischer"],
        runtime="wasm",
        entry="preview.wasm",
        permissions=[],
        capabilities=[
            dict(name="render", description="Render Markdown to sanitized HTML for the preview pane.", endpoint="/render", method="POST"),
            dict(name="themes", description="List the installed preview themes.", endpoint="/themes", method="GET"),
            dict(name="scroll-sync", description="Keep the editor and the preview scrolled to the same block."),
            dict(name="export-html", since="2.2.0", description="Save the rendered note as a standalone HTML file.", endpoint="/export", method="POST"),
        ],
        versions=[
            dict(version="2.0.0", engine=">=1.0.0, <2.0.0"),
            dict(version="2.1.0", engine=">=1.2.0, <2.0.0",
                 dependencies={"md": "^0.3", "math-render": {"version": "^1.0", "optional": True}}),
            dict(version="2.2.0", engine="^2.0", permissions=["filesystem"],
                 dependencies={"md": "^0.3", "math-render": {"version": "^1.1", "optional": True},
                               "mermaid-diagrams": {"version": "^1.0", "optional": True}}),
            dict(version="2.2.1", engine="^2.0", permissions=["filesystem"],
                 dependencies={"md": "^0.3", "math-render": {"version": "^1.1", "optional": True},
                               "mermaid-diagrams": {"version": "^1.0", "optional": True}}),
            dict(version="3.0.0-beta.1", engine="^2.2", channel="beta", permissions=["filesystem"],
                 dependencies={"md": "^0.4", "math-render": {"version": "^1.2", "optional": True},
                               "mermaid-diagrams": {"version": "^1.1", "optional": True}}),
            dict(version="3.0.0-beta.2", engine="^2.2", channel="beta", permissions=["filesystem"],
                 dependencies={"md": "^0.4", "math-render": {"version": "^1.2", "optional": True},
                               "mermaid-diagrams": {"version": "^1.1", "optional": True}}),
        ],
        readme=dict(
            intro="The preview re-renders on every keystroke (debounced) and only patches the blocks that changed, so it stays fast on long notes. If `math-render` or `mermaid-diagrams` are installed, the preview uses them automatically.",
            usage="""Toggle the preview with <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>V</kbd>, or run `Preview: Open to the side` from the command palette.

Custom CSS goes in `.inkwell/preview.css` and is loaded after the theme:

```css
.inkwell-preview h1 {
  border-bottom: 2px solid var(--accent);
}
.inkwell-preview table {
  font-variant-numeric: tabular-nums;
}
```""",
            config=[
                ("theme", "string", '"auto"', "`auto`, `light`, `dark` or the name of an installed theme."),
                ("scroll_sync", "bool", "true", "Scroll the preview along with the editor."),
                ("debounce_ms", "integer", "150", "Delay before re-rendering after a keystroke."),
                ("allow_html", "bool", "false", "Pass raw HTML in notes through (after sanitizing)."),
            ],
            example="""Render from another plugin:

```js
const preview = await inkwell.plugins.get("markdown-preview");
const html = await preview.render("| a | b |\\n|---|---|\\n| 1 | 2 |", { theme: "dark" });
```""",
            permission_reasons={"filesystem": "only for `Export to HTML` (2.2.0 and later), which writes the file you choose"},
        ),
    ),
    dict(
        name="live-preview",
        description="Early live preview for Inkwell 1.x. No longer maintained: markdown-preview replaces it.",
        license="MIT",
        tags=["markdown", "preview"],
        homepage=gh("old-ink", "live-preview"),
        repository=gh("old-ink", "live-preview"),
        authors=["Robin Hale <robin@hale.example>"],
        owners=["old-ink"],
        deprecated=dict(
            message="live-preview is no longer maintained and does not support Inkwell 2. All of its features are part of markdown-preview.",
            replacement="markdown-preview",
        ),
        runtime="wasm",
        entry="main.wasm",
        permissions=[],
        capabilities=[
            dict(name="render", description="Render the current note to HTML.", endpoint="/render", method="POST"),
        ],
        versions=[
            dict(version="0.1.0", engine=">=1.0.0, <1.3.0"),
            dict(version="0.2.0", engine=">=1.0.0, <1.5.0"),
            dict(version="0.3.0", engine=">=1.0.0, <2.0.0",
                 deprecated=dict(message="Last release of live-preview. Please switch to markdown-preview.", replacement="markdown-preview")),
        ],
        readme=dict(
            notice="> **Deprecated.** This plugin is no longer maintained and does not work with Inkwell 2. Use `markdown-preview` instead: it does everything live-preview did, plus scroll sync, themes, math and diagrams.",
            intro="live-preview was the first preview plugin for Inkwell 1.0. It renders the whole note on every save.",
            usage="""Run `Live preview: Open` from the command palette. To move to the replacement:

```sh
inkwell plugin remove live-preview
inkwell plugin install markdown-preview
```""",
            config=[
                ("refresh", "string", '"save"', "`save` re-renders on save, `manual` only on command."),
            ],
            example="""```toml
[plugins.live-preview]
refresh = "manual"
```""",
            permission_reasons={},
        ),
    ),
    dict(
        name="bibtex-parser",
        description="Fast, forgiving BibTeX and BibLaTeX parser compiled to WebAssembly. Resolves @string macros and crossref, reports errors with line numbers and returns entries as JSON.",
        license="MIT OR Apache-2.0",
        tags=["bibtex", "biblatex", "parser", "academic", "library"],
        homepage=gh("priya-raman", "bibtex-parser"),
        repository=gh("priya-raman", "bibtex-parser"),
        authors=["Priya Raman <priya@raman.example>"],
        owners=["priya-raman"],
        runtime="wasm",
        entry="bibtex_parser.wasm",
        permissions=[],
        capabilities=[
            dict(name="parse", description="Parse a .bib file into a list of entries with normalized field names.", endpoint="/parse", method="POST"),
            dict(name="validate", since="1.1.0", description="Report duplicate keys, missing required fields and unbalanced braces.", endpoint="/validate", method="POST"),
            dict(name="crossref", since="1.3.0", description="Inherit fields from entries referenced with crossref and xdata."),
        ],
        versions=[
            dict(version="1.0.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.1.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.2.0", engine=">=1.0.0, <3.0.0",
                 yanked="Parses @string macros incorrectly: entries that use them lose their title field. Fixed in 1.2.1."),
            dict(version="1.2.1", engine=">=1.0.0, <3.0.0"),
            dict(version="1.3.0", engine=">=1.0.0, <3.0.0"),
        ],
        readme=dict(
            intro="A library plugin used by `citations` and other academic tools. It accepts the messy `.bib` files that reference managers export and tells you precisely what is wrong with the parts it cannot read.",
            usage="""```js
const bib = await inkwell.plugins.get("bibtex-parser");
const { entries, errors } = await bib.parse(await inkwell.fs.read("library.bib"));
for (const e of errors) {
  console.warn(`library.bib:${e.line}:${e.column}: ${e.message}`);
}
```

Supported entry types:

| BibTeX | BibLaTeX additions |
|---|---|
| `@article`, `@book`, `@inproceedings`, `@misc`, `@phdthesis`, `@techreport` | `@online`, `@report`, `@thesis`, `@dataset`, `@software` |""",
            config=[
                ("strict", "bool", "false", "Treat recoverable problems (e.g. a missing comma) as errors."),
                ("latex_to_unicode", "bool", "true", "Convert `{\\\"u}` and friends to `ü`."),
                ("month_macros", "bool", "true", "Predefine `jan` … `dec` as @string macros."),
            ],
            example="""Input:

```bibtex
@string{ieee = "IEEE Transactions on Software Engineering"}
@article{knuth1984,
  author  = {Donald E. Knuth},
  title   = {Literate Programming},
  journal = ieee,
  year    = 1984,
}
```

Output (abridged):

```json
[{ "key": "knuth1984", "type": "article", "fields": { "journal": "IEEE Transactions on Software Engineering", "year": "1984" } }]
```""",
            permission_reasons={},
        ),
    ),
    dict(
        name="csl-styles",
        description="Citation Style Language styles for the citations plugin: APA 7, Chicago, IEEE, Harvard, Vancouver, DIN ISO 690 and more than 40 others.",
        license="MIT AND CC-BY-SA-3.0",
        tags=["citations", "csl", "academic", "styles"],
        homepage="https://citationstyles.org/",
        repository=gh("priya-raman", "inkwell-csl-styles"),
        authors=["Priya Raman <priya@raman.example>"],
        owners=["priya-raman"],
        runtime="script",
        entry="index.js",
        permissions=[],
        capabilities=[
            dict(name="list-styles", description="List the bundled CSL styles with their titles and short names.", endpoint="/styles", method="GET"),
            dict(name="locales", since="0.4.0", description="List the bundled CSL locales used for dates and terms.", endpoint="/locales", method="GET"),
        ],
        versions=[
            dict(version="0.3.0", engine=">=1.0.0, <2.0.0"),
            dict(version="0.4.0", engine=">=1.0.0, <3.0.0"),
            dict(version="0.4.1", engine=">=1.0.0, <3.0.0"),
            dict(version="0.5.0", engine=">=1.2.0, <3.0.0"),
        ],
        readme=dict(
            intro="The styles come from the official [CSL styles repository](https://github.com/citation-style-language/styles) and are licensed CC BY-SA 3.0; the loader code is MIT.",
            usage="""Install it next to `citations` and pick a style in the citations settings:

```toml
[plugins.citations]
style = "ieee"
```

| short name | style |
|---|---|
| `apa` | American Psychological Association 7th edition |
| `chicago-author-date` | Chicago Manual of Style 17th edition (author-date) |
| `ieee` | IEEE |
| `din-1505-2` | DIN 1505-2 (numeric, German) |
| `vancouver` | Vancouver |""",
            config=[
                ("extra_styles_dir", "string", '""', "Folder with additional `.csl` files to load."),
                ("default_locale", "string", '"en-US"', "Locale for styles that do not set one."),
            ],
            example="""Add your own style by dropping a `.csl` file into the extra folder:

```sh
mkdir -p ~/Notes/.inkwell/csl
curl -o ~/Notes/.inkwell/csl/my-journal.csl https://example.org/my-journal.csl
```""",
            permission_reasons={},
        ),
    ),
    dict(
        name="citations",
        description="Insert citations from your BibTeX library with [@key] syntax, complete keys as you type and render a formatted bibliography at the end of the note.",
        license="MPL-2.0",
        tags=["citations", "bibtex", "academic", "bibliography", "writing"],
        homepage=gh("priya-raman", "inkwell-citations"),
        repository=gh("priya-raman", "inkwell-citations"),
        authors=["Priya Raman <priya@raman.example>", "Marco Bianchi <marco@bianchi.example>"],
        owners=["priya-raman", "mbianchi"],
        runtime="script",
        entry="dist/main.js",
        permissions=["filesystem"],
        capabilities=[
            dict(name="insert-citation", description="Complete citation keys after `[@` and insert them."),
            dict(name="bibliography", description="Render the bibliography for a note in the selected CSL style.", endpoint="/bibliography", method="POST"),
            dict(name="hover-card", since="1.1.0", description="Show author, title and year when hovering over a citation."),
        ],
        versions=[
            dict(version="1.0.0", engine=">=1.0.0, <2.0.0", dependencies={"bibtex-parser": "^1.0"}),
            dict(version="1.1.0", engine=">=1.2.0, <2.0.0",
                 dependencies={"bibtex-parser": "^1.2", "csl-styles": {"version": "^0.4", "optional": True}}),
            dict(version="1.2.0", engine=">=1.2.0, <3.0.0",
                 dependencies={"bibtex-parser": "^1.2", "csl-styles": {"version": "^0.4", "optional": True}}),
            dict(version="2.0.0-beta.1", engine="^2.0", channel="beta",
                 dependencies={"bibtex-parser": "^1.3", "csl-styles": {"version": "^0.5", "optional": True}}),
        ],
        readme=dict(
            intro="Point the plugin at one or more `.bib` files (exported from Zotero, JabRef or any other reference manager) and cite with the Pandoc syntax you may already know.",
            usage="""Type `[@` to get completions for the keys in your library:

```markdown
Literate programming was introduced in 1984 [@knuth1984, p. 97].
Several authors disagree [see @parnas1972; @dijkstra1968].

## References
<!-- bibliography -->
```

The `<!-- bibliography -->` marker is replaced in the preview and in exports by the formatted list of works cited.""",
            config=[
                ("bibliography", "array of strings", '["library.bib"]', "`.bib` files, relative to the vault root."),
                ("style", "string", '"apa"', "CSL style short name; more styles come with `csl-styles`."),
                ("link_citations", "bool", "true", "Link each citation to its bibliography entry."),
            ],
            example="""```toml
[plugins.citations]
bibliography = ["library.bib", "papers/2024.bib"]
style = "chicago-author-date"
```""",
            permission_reasons={"filesystem": "reads the `.bib` files you configure, which may live outside the vault"},
        ),
    ),
    dict(
        name="pandoc-export",
        description="Export notes to PDF, DOCX, EPUB, ODT and LaTeX with Pandoc running in a container, including citations, math and custom templates.",
        license="GPL-2.0-or-later",
        tags=["export", "pandoc", "pdf", "docx", "epub"],
        homepage=gh("mbianchi", "inkwell-pandoc-export"),
        repository=gh("mbianchi", "inkwell-pandoc-export"),
        authors=["Marco Bianchi <marco@bianchi.example>"],
        owners=["mbianchi"],
        runtime="docker",
        entry="Dockerfile",
        permissions=["filesystem", "process"],
        capabilities=[
            dict(name="export", description="Convert a note or a folder of notes to the chosen format.", endpoint="/export", method="POST"),
            dict(name="formats", description="List the output formats the bundled Pandoc supports.", endpoint="/formats", method="GET"),
            dict(name="templates", since="1.1.0", description="List the LaTeX and DOCX reference templates found in the vault.", endpoint="/templates", method="GET"),
        ],
        versions=[
            dict(version="0.9.0", engine=">=1.0.0, <2.0.0", dependencies={"citations": "^1.0"}),
            dict(version="1.0.0", engine=">=1.2.0, <2.0.0",
                 dependencies={"citations": "^1.1", "math-render": {"version": "^1.0", "optional": True}}),
            dict(version="1.1.0", engine=">=1.2.0, <3.0.0",
                 dependencies={"citations": "^1.2", "math-render": {"version": "^1.2", "optional": True}}),
            dict(version="1.2.0-beta.1", engine="^2.0", channel="beta",
                 dependencies={"citations": "^1.2", "math-render": {"version": "^1.2", "optional": True}}),
        ],
        readme=dict(
            intro="Pandoc and a TeX distribution run inside a container image, so you do not need to install either. Citations are resolved through the `citations` plugin, which in turn uses `bibtex-parser`.",
            usage="""Run `Export: Current note…` and choose a format, or export from the terminal:

```sh
inkwell run pandoc-export --format pdf --output thesis.pdf notes/thesis/
```

| format | file | notes |
|---|---|---|
| `pdf` | `.pdf` | via XeLaTeX, Unicode fonts included |
| `docx` | `.docx` | uses `reference.docx` if present |
| `epub` | `.epub` | EPUB 3 with a generated table of contents |
| `odt` | `.odt` | |
| `latex` | `.tex` | standalone document |""",
            config=[
                ("image", "string", '"pandoc/latex:3.1"', "Container image used for the conversion."),
                ("engine", "string", '"docker"', "`docker` or `podman`."),
                ("pdf_engine", "string", '"xelatex"', "LaTeX engine for PDF output."),
                ("extra_args", "array of strings", "[]", "Extra arguments passed to pandoc."),
            ],
            example="""```toml
[plugins.pandoc-export]
engine = "podman"
extra_args = ["--number-sections", "--toc"]
```""",
            permission_reasons={
                "filesystem": "reads the notes you export and writes the output file",
                "process": "starts `docker` or `podman`",
            },
        ),
    ),
    dict(
        name="math-render",
        description="Render $inline$ and $$display$$ LaTeX math with KaTeX, fully offline, in the editor and in the preview.",
        license="MIT",
        tags=["math", "latex", "katex"],
        homepage=gh("lenafischer", "inkwell-math"),
        repository=gh("lenafischer", "inkwell-math"),
        authors=["Lena Fischer <lena@fischer.example>"],
        owners=["lenafischer"],
        runtime="wasm",
        entry="katex.wasm",
        permissions=[],
        capabilities=[
            dict(name="render", description="Render a TeX expression to HTML and MathML.", endpoint="/render-math", method="POST"),
            dict(name="macros", since="1.1.0", description="Use macros defined with \\newcommand in the note's front matter."),
            dict(name="inline-editor", since="1.3.0", description="Show rendered math in the editor while the cursor is elsewhere."),
        ],
        versions=[
            dict(version="1.0.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.1.0", engine=">=1.0.0, <3.0.0"),
            dict(version="1.2.0", engine=">=1.0.0, <3.0.0"),
            dict(version="1.3.0", engine=">=1.4.0, <3.0.0"),
        ],
        readme=dict(
            intro="KaTeX is compiled into the plugin, so math renders without a network connection and without starting a browser engine.",
            usage="""Write TeX between dollar signs:

```markdown
Euler's identity $e^{i\\pi} + 1 = 0$ links five constants.

$$
\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}
$$
```""",
            config=[
                ("display_mode_fences", "bool", "true", "Also render fenced code blocks whose info string is `math`."),
                ("throw_on_error", "bool", "false", "Show errors instead of the raw TeX when an expression fails."),
                ("macros", "table", "{}", "Global macros, e.g. `{ \"\\\\RR\" = \"\\\\mathbb{R}\" }`."),
            ],
            example="""```toml
[plugins.math-render.macros]
"\\\\RR" = "\\\\mathbb{R}"
"\\\\norm" = "\\\\left\\\\lVert #1 \\\\right\\\\rVert"
```""",
            permission_reasons={},
        ),
    ),
    dict(
        name="mermaid-diagrams",
        description="Turn ```mermaid code blocks into SVG diagrams: flowcharts, sequence diagrams, Gantt charts, class and state diagrams.",
        license="MIT",
        tags=["diagrams", "mermaid", "svg", "visualization"],
        homepage=gh("lenafischer", "inkwell-mermaid"),
        repository=gh("lenafischer", "inkwell-mermaid"),
        authors=["Lena Fischer <lena@fischer.example>"],
        owners=["lenafischer"],
        runtime="script",
        entry="dist/mermaid-plugin.js",
        permissions=[],
        capabilities=[
            dict(name="render", description="Render Mermaid source to an SVG string.", endpoint="/render-diagram", method="POST"),
            dict(name="export-svg", since="1.1.0", description="Save a diagram as an .svg or .png file next to the note.", endpoint="/export-svg", method="POST"),
        ],
        versions=[
            dict(version="0.9.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.0.0", engine=">=1.2.0, <3.0.0"),
            dict(version="1.1.0", engine=">=1.2.0, <3.0.0", permissions=["filesystem"]),
            dict(version="1.2.0", engine="^2.0", permissions=["filesystem"]),
        ],
        readme=dict(
            intro="Diagrams render in the preview and in exports. Themes follow the preview theme (light or dark).",
            usage="""````markdown
```mermaid
flowchart LR
    draft[Draft] --> review{Review}
    review -- approved --> publish[Publish]
    review -- changes --> draft
```
````

| diagram | keyword |
|---|---|
| Flowchart | `flowchart` |
| Sequence diagram | `sequenceDiagram` |
| Gantt chart | `gantt` |
| Class diagram | `classDiagram` |
| State diagram | `stateDiagram-v2` |""",
            config=[
                ("theme", "string", '"auto"', "`auto`, `default`, `dark`, `forest` or `neutral`."),
                ("max_text_size", "integer", "50000", "Largest diagram source rendered, in characters."),
                ("export_format", "string", '"svg"', "`svg` or `png` for `Export diagram`."),
            ],
            example="""```toml
[plugins.mermaid-diagrams]
theme = "forest"
export_format = "png"
```""",
            permission_reasons={"filesystem": "only for `Export diagram` (1.1.0 and later)"},
        ),
    ),
    dict(
        name="spellcheck",
        description="Rechtschreibprüfung für Inkwell mit Hunspell-Wörterbüchern: Deutsch (Deutschland, Österreich, Schweiz), Englisch und über 40 weitere Sprachen – ganz ohne Cloud.",
        license="LGPL-2.1-or-later",
        tags=["spelling", "language", "hunspell", "deutsch"],
        homepage=gh("jweiss", "inkwell-spellcheck"),
        repository=gh("jweiss", "inkwell-spellcheck"),
        authors=["Jürgen Weiß <juergen@weiss.example>"],
        owners=["jweiss"],
        runtime="native",
        entry="bin/inkspell",
        permissions=["filesystem"],
        capabilities=[
            dict(name="check", description="Return misspelled words with their ranges in the note.", endpoint="/check", method="POST"),
            dict(name="suggest", description="Suggest corrections for one word.", endpoint="/suggest", method="POST"),
            dict(name="personal-dictionary", since="1.2.0", description="Add words to a personal dictionary stored in the vault."),
        ],
        versions=[
            dict(version="1.0.0", engine=">=1.0.0, <2.0.0",
                 deprecated="Uses the legacy dictionary loader, which misreads UTF-8 affix files (ä, ö, ü, ß). Upgrade to 1.1.0 or later."),
            dict(version="1.1.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.2.0", engine=">=1.0.0, <3.0.0"),
            dict(version="1.3.0", engine=">=1.4.0, <3.0.0"),
        ],
        readme=dict(
            intro="Die Prüfung läuft lokal mit [Hunspell](https://hunspell.github.io/); kein Text verlässt deinen Rechner. *Spell checking runs locally with Hunspell; no text leaves your machine.*",
            usage="""Falsch geschriebene Wörter werden unterstrichen; ein Rechtsklick zeigt Vorschläge. Sprachen pro Notiz im Front Matter festlegen:

```yaml
---
lang: de-CH
---
Grüezi! Die Strasse heisst in der Schweiz ohne ß.
```

| Sprache | Code | Wörterbuch |
|---|---|---|
| Deutsch (Deutschland) | `de-DE` | `de_DE_frami` |
| Deutsch (Österreich) | `de-AT` | `de_AT_frami` |
| Deutsch (Schweiz) | `de-CH` | `de_CH_frami` |
| English (US) | `en-US` | `en_US` |""",
            config=[
                ("languages", "array of strings", '["de-DE", "en-US"]', "Languages checked when a note sets none."),
                ("dictionary_dirs", "array of strings", "[]", "Extra folders with `.dic`/`.aff` files."),
                ("ignore_code", "bool", "true", "Skip code spans and fenced code blocks."),
            ],
            example="""```toml
[plugins.spellcheck]
languages = ["de-AT", "en-GB"]
dictionary_dirs = ["/usr/share/hunspell"]
```""",
            permission_reasons={"filesystem": "reads Hunspell dictionaries from system folders such as `/usr/share/hunspell`"},
        ),
    ),
    dict(
        name="furigana",
        description="漢字にふりがな（ルビ）を付けるプラグインです。{漢字|かんじ} と書くと、プレビューでルビとして表示されます。",
        license="MIT",
        tags=["japanese", "ruby", "furigana", "cjk"],
        homepage=gh("hanako-yamada", "inkwell-furigana"),
        repository=gh("hanako-yamada", "inkwell-furigana"),
        authors=["山田 花子 <hanako@yamada.example>"],
        owners=["hanako-yamada"],
        runtime="wasm",
        entry="furigana.wasm",
        permissions=[],
        capabilities=[
            dict(name="annotate", description="Convert {漢字|かんじ} markup to <ruby> elements.", endpoint="/annotate", method="POST"),
            dict(name="suggest-reading", since="0.2.0", description="Suggest readings for the selected kanji from a bundled dictionary."),
        ],
        versions=[
            dict(version="0.1.0", engine=">=1.0.0, <2.0.0"),
            dict(version="0.2.0", engine=">=1.2.0, <3.0.0"),
            dict(version="0.2.1", engine=">=1.2.0, <3.0.0"),
            dict(version="1.0.0", engine="^2.0", dependencies={"md": "^0.4"}),
        ],
        readme=dict(
            intro="日本語の文章に読み仮名を付けるためのプラグインです。*Adds ruby annotations (furigana) to Japanese text.*",
            usage="""本文中に次のように書きます:

```markdown
{東京|とうきょう}で{日本語|にほんご}を{勉強|べんきょう}しています。
一文字ずつ付ける場合は {漢|かん}{字|じ} と書きます。
```

プレビューでは `<ruby>東京<rt>とうきょう</rt></ruby>` として表示されます。

| 記法 | 表示 |
|---|---|
| `{漢字\\|かんじ}` | 漢字（かんじ） |
| `{東京\\|とう.きょう}` | 文字ごとのルビ |""",
            config=[
                ("brackets", "string", '"{}"', "ルビ記法に使う括弧 / bracket pair used for the markup."),
                ("fallback_parentheses", "bool", "true", "ルビ非対応の出力では括弧書きにする / use parentheses where ruby is unsupported."),
            ],
            example="""```toml
[plugins.furigana]
brackets = "《》"
```""",
            permission_reasons={},
        ),
    ),
    dict(
        name="word-count",
        description="Live word, character and reading-time counter in the status bar 📝, with daily writing goals and a streak tracker.",
        license="MIT",
        tags=["writing", "statistics", "productivity"],
        homepage=gh("samokafor", "inkwell-word-count"),
        repository=gh("samokafor", "inkwell-word-count"),
        authors=["Sam Okafor <sam@okafor.example>"],
        owners=["samokafor"],
        runtime="wasm",
        entry="word_count.wasm",
        permissions=["notifications"],
        capabilities=[
            dict(name="count", description="Count words, characters and sentences in a text.", endpoint="/count", method="POST"),
            dict(name="status-bar", description="Show the counts for the note or the selection in the status bar."),
            dict(name="goals", since="1.1.0", description="Track a daily word goal and notify you when you reach it."),
        ],
        versions=[
            dict(version="1.0.0", engine=">=1.0.0, <2.0.0", permissions=[]),
            dict(version="1.0.1", engine=">=1.0.0, <2.0.0", permissions=[]),
            dict(version="1.1.0", engine=">=1.0.0, <3.0.0"),
            dict(version="2.0.0", engine="^2.0",
                 yanked="Counts every CJK character as a separate word, inflating counts for Japanese and Chinese notes. Use 2.0.1."),
            dict(version="2.0.1", engine="^2.0"),
        ],
        readme=dict(
            intro="Counts follow Unicode word boundaries, so they are right for German compounds, for text with emoji and for Chinese and Japanese (2.0.1 and later).",
            usage="""The status bar shows `1 234 words · 6 min` for the note, or for the selection if there is one. Click it for details:

| metric | how it is counted |
|---|---|
| words | Unicode word boundaries (UAX #29), code blocks excluded |
| characters | grapheme clusters, so 👩‍💻 counts as one |
| reading time | words ÷ `words_per_minute`, rounded up |""",
            config=[
                ("words_per_minute", "integer", "230", "Reading speed for the time estimate."),
                ("daily_goal", "integer", "0", "Words per day; `0` turns goals off."),
                ("exclude_code", "bool", "true", "Ignore code spans and fenced code blocks."),
            ],
            example="""```toml
[plugins.word-count]
daily_goal = 750
words_per_minute = 200
```

From another plugin:

```js
const wc = await inkwell.plugins.get("word-count");
const { words, characters } = await wc.count("Hello 🌍 world");
// words = 2, characters = 13
```""",
            permission_reasons={"notifications": "tells you when you reach your daily goal (1.1.0 and later)"},
        ),
    ),
    dict(
        name="daily-notes",
        description="Open today's note from a template with one shortcut, and move between days with a small calendar in the sidebar.",
        license="BSD-3-Clause",
        tags=["journal", "daily", "templates", "calendar"],
        homepage=gh("samokafor", "inkwell-daily-notes"),
        repository=gh("samokafor", "inkwell-daily-notes"),
        authors=["Sam Okafor <sam@okafor.example>"],
        owners=["samokafor"],
        runtime="script",
        entry="daily_notes/main.py",
        permissions=[],
        capabilities=[
            dict(name="open-today", description="Open or create today's note from the template."),
            dict(name="calendar", description="Return the days of a month that have a note.", endpoint="/calendar", method="GET"),
            dict(name="reminder", since="1.3.0", description="Remind you in the evening if today's note is still empty."),
        ],
        versions=[
            dict(version="1.0.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.1.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.2.0", engine=">=1.0.0, <3.0.0"),
            dict(version="1.3.0", engine="^2.1", permissions=["notifications"]),
        ],
        readme=dict(
            intro="One note per day, named by date, created from a template the first time you open it.",
            usage="""Press <kbd>Ctrl</kbd>+<kbd>T</kbd> to open today's note; <kbd>Alt</kbd>+<kbd>←</kbd> and <kbd>Alt</kbd>+<kbd>→</kbd> go to the previous and next day.

A template can use these placeholders:

```markdown
# {{date:dddd, D MMMM YYYY}}

## Tasks
- [ ] 

## Notes

← [[{{yesterday}}]] · [[{{tomorrow}}]] →
```""",
            config=[
                ("folder", "string", '"journal"', "Where daily notes are created."),
                ("format", "string", '"YYYY-MM-DD"', "File name format (Moment.js tokens)."),
                ("template", "string", '"templates/daily.md"', "Template for new notes."),
                ("reminder_time", "string", '""', "Time for the evening reminder, e.g. `\"21:00\"` (1.3.0 and later)."),
            ],
            example="""```toml
[plugins.daily-notes]
folder = "journal/{{YYYY}}"
format = "YYYY-MM-DD ddd"
reminder_time = "21:30"
```""",
            permission_reasons={"notifications": "for the optional evening reminder (1.3.0 and later)"},
        ),
    ),
    dict(
        name="vim-mode",
        description="Vim keybindings for the Inkwell editor: modal editing, text objects, registers, macros, marks and a small set of :ex commands.",
        license="Apache-2.0",
        tags=["vim", "keybindings", "editor"],
        homepage=gh("kailindqvist", "inkwell-vim"),
        repository=gh("kailindqvist", "inkwell-vim"),
        authors=["Kai Lindqvist <kai@lindqvist.example>"],
        owners=["kailindqvist"],
        runtime="script",
        entry="main.js",
        permissions=["clipboard"],
        capabilities=[
            dict(name="keymap", description="Modal keymap for the editor: normal, insert, visual and replace modes."),
            dict(name="ex-commands", since="0.9.0", description="Run :w, :q, :s/pattern/replacement/ and :normal from the command line."),
        ],
        versions=[
            dict(version="0.8.0", engine=">=1.0.0, <2.0.0"),
            dict(version="0.9.0", engine=">=1.2.0, <2.0.0"),
            dict(version="1.0.0", engine=">=1.2.0, <3.0.0"),
            dict(version="1.1.0-beta.1", engine="^2.2", channel="beta"),
        ],
        readme=dict(
            intro="Most of what you use every day in Vim works: motions, operators, counts, text objects, dot-repeat, registers, macros and marks.",
            usage="""Toggle Vim mode with `:set vim` or the `Vim: Toggle` command. Mappings go in `.inkwell/vimrc`:

```vim
" j/k move by visual line in long paragraphs
nnoremap j gj
nnoremap k gk
inoremap jk <Esc>
```

| feature | status |
|---|---|
| motions, operators, counts | ✔ |
| text objects (`iw`, `a"`, `it`, …) | ✔ |
| registers, `"+` system clipboard | ✔ |
| macros (`q`, `@`) | ✔ |
| `:s` with regex | ✔ since 0.9.0 |
| split windows | ✘ |""",
            config=[
                ("vimrc", "string", '".inkwell/vimrc"', "File with mappings, read at startup."),
                ("use_system_clipboard", "bool", "false", "Make the unnamed register the system clipboard."),
                ("relative_numbers", "bool", "true", "Show relative line numbers in normal mode."),
            ],
            example="""```toml
[plugins.vim-mode]
use_system_clipboard = true
relative_numbers = false
```""",
            permission_reasons={"clipboard": "for the `\"+` and `\"*` registers"},
        ),
    ),
    dict(
        name="webdav-sync",
        description="Two-way sync of your vault with any WebDAV server (Nextcloud, ownCloud, Synology, Apache mod_dav). Passwords stay in the system keychain.",
        license="Apache-2.0",
        tags=["sync", "webdav", "nextcloud", "backup"],
        homepage=gh("kailindqvist", "inkwell-webdav-sync"),
        repository=gh("kailindqvist", "inkwell-webdav-sync"),
        authors=["Kai Lindqvist <kai@lindqvist.example>"],
        owners=["kailindqvist"],
        runtime="native",
        entry="bin/webdav-sync",
        permissions=["filesystem", "network", "keychain", "notifications"],
        capabilities=[
            dict(name="sync", description="Upload local changes and download remote ones.", endpoint="/sync", method="POST"),
            dict(name="status", description="Report the last sync time and pending changes.", endpoint="/status", method="GET"),
            dict(name="conflicts", since="0.6.0", description="List files changed on both sides since the last sync.", endpoint="/conflicts", method="GET"),
            dict(name="forget-remote", since="1.0.0-beta.2", description="Remove the stored server and password.", endpoint="/remote", method="DELETE"),
        ],
        versions=[
            dict(version="0.5.0", engine=">=1.0.0, <2.0.0"),
            dict(version="0.6.0", engine=">=1.2.0, <3.0.0"),
            dict(version="1.0.0-beta.1", engine="^2.0", channel="beta"),
            dict(version="1.0.0-beta.2", engine="^2.0", channel="beta"),
            dict(version="1.0.0", engine="^2.0"),
        ],
        readme=dict(
            intro="Sync compares content hashes, not timestamps, so clock skew between devices does not cause spurious conflicts. When both sides changed a note, the remote copy is kept as `note.conflict-<host>.md`.",
            usage="""Run `WebDAV: Set up server` and enter the URL, for Nextcloud:

```text
https://cloud.example.org/remote.php/dav/files/USERNAME/Notes/
```

The password (use an app password) is stored in the system keychain, never in the vault.

| server | tested |
|---|---|
| Nextcloud 27+ | ✔ |
| ownCloud 10 | ✔ |
| Synology WebDAV Server | ✔ |
| Apache `mod_dav` | ✔ |""",
            config=[
                ("url", "string", '""', "WebDAV folder URL, ending with `/`."),
                ("username", "string", '""', "User name; the password lives in the keychain."),
                ("interval_minutes", "integer", "10", "Sync every N minutes; `0` syncs only on command."),
                ("exclude", "array of strings", '[".trash/**", "*.tmp"]', "Glob patterns that are never synced."),
            ],
            example="""```toml
[plugins.webdav-sync]
url = "https://cloud.example.org/remote.php/dav/files/ana/Notes/"
username = "ana"
interval_minutes = 5
```""",
            permission_reasons={
                "filesystem": "reads and writes the notes being synced",
                "network": "talks to your WebDAV server",
                "keychain": "stores the server password",
                "notifications": "reports conflicts and failed syncs",
            },
        ),
    ),
    dict(
        name="Table_Tools",
        description="Format, sort and navigate Markdown tables: Tab moves between cells, columns realign as you type, and tables copy to the clipboard as CSV.",
        license="MIT",
        tags=["markdown", "tables", "csv", "editor"],
        homepage=gh("anasouza", "inkwell-table-tools"),
        repository=gh("anasouza", "inkwell-table-tools"),
        authors=["Ana Souza <ana@souza.example>"],
        owners=["anasouza"],
        runtime="script",
        entry="table_tools.js",
        permissions=["clipboard"],
        capabilities=[
            dict(name="format-table", description="Realign the columns of the table under the cursor.", endpoint="/format-table", method="POST"),
            dict(name="sort-table", description="Sort rows by the current column, numerically or alphabetically."),
            dict(name="copy-csv", since="1.1.0", description="Copy the table as CSV or TSV."),
        ],
        versions=[
            dict(version="1.0.0", engine=">=1.0.0, <2.0.0"),
            dict(version="1.1.0", engine=">=1.2.0, <3.0.0", dependencies={"md": "^0.3"}),
            dict(version="1.2.0", engine="^2.0", dependencies={"md": "^0.4"}),
        ],
        readme=dict(
            intro="The name predates the registry's naming guidelines; it lives at `plugins/ta/bl/Table_Tools` because shard folders use the canonical name `table-tools`.",
            usage="""Inside a table:

| key | action |
|---|---|
| <kbd>Tab</kbd> / <kbd>Shift</kbd>+<kbd>Tab</kbd> | next / previous cell |
| <kbd>Enter</kbd> | new row |
| <kbd>Alt</kbd>+<kbd>S</kbd> | sort by current column |
| <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>C</kbd> | copy as CSV |

Typing a header row and pressing <kbd>Tab</kbd> creates the delimiter row for you:

```markdown
| Name | Qty | Price |
|------|----:|------:|
| Tea  |   2 |  4.50 |
```""",
            config=[
                ("align_on_type", "bool", "true", "Realign columns after every keystroke."),
                ("csv_delimiter", "string", '","', "Delimiter for `Copy as CSV`; use `\"\\t\"` for TSV."),
                ("east_asian_width", "bool", "true", "Count wide CJK characters as two columns when aligning."),
            ],
            example="""```toml
[plugins.Table_Tools]
csv_delimiter = ";"
```""",
            permission_reasons={"clipboard": "for `Copy as CSV`"},
        ),
    ),
    dict(
        name="paste-image",
        description="Paste images from the clipboard straight into a note: the image is saved next to the note as PNG or WebP and a Markdown link is inserted.",
        license="MIT",
        tags=["images", "clipboard", "attachments"],
        homepage=gh("anasouza", "inkwell-paste-image"),
        repository=gh("anasouza", "inkwell-paste-image"),
        authors=["Ana Souza <ana@souza.example>"],
        owners=["anasouza"],
        runtime="script",
        entry="paste_image.py",
        permissions=["clipboard", "filesystem"],
        capabilities=[
            dict(name="paste-image", description="Save the clipboard image and insert a link at the cursor."),
            dict(name="convert", since="0.2.0", description="Convert an image to WebP with the configured quality.", endpoint="/convert", method="POST"),
        ],
        versions=[
            dict(version="0.1.0", engine=">=1.0.0, <2.0.0"),
            dict(version="0.2.0", engine=">=1.0.0, <3.0.0"),
            dict(version="0.3.0", engine=">=1.2.0, <3.0.0"),
        ],
        readme=dict(
            intro="Screenshots end up in an `attachments` folder beside the note instead of in one huge folder for the whole vault.",
            usage="""Copy an image (or take a screenshot) and press <kbd>Ctrl</kbd>+<kbd>V</kbd> in a note. The plugin inserts:

```markdown
![](attachments/2024-05-17-143012.webp)
```""",
            config=[
                ("folder", "string", '"attachments"', "Folder, relative to the note, for pasted images."),
                ("format", "string", '"webp"', "`png` or `webp`."),
                ("quality", "integer", "85", "WebP quality, 1–100."),
                ("name", "string", '"{date}-{time}"', "File name template."),
            ],
            example="""```toml
[plugins.paste-image]
format = "png"
folder = "../assets"
```""",
            permission_reasons={
                "clipboard": "reads the image you paste",
                "filesystem": "writes the image file, which may be outside the vault if `folder` points there",
            },
        ),
    ),
]


# --------------------------------------------------------------------------
# TOML writing
# --------------------------------------------------------------------------

def q(s: str) -> str:
    """A TOML basic string."""
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            raise ValueError(f"control character in {s!r}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def arr(items: list[str]) -> str:
    return "[" + ", ".join(q(i) for i in items) + "]"


def deprecated_value(d) -> str:
    if isinstance(d, str):
        return q(d)
    parts = [f"message = {q(d['message'])}"]
    if d.get("replacement"):
        parts.append(f"replacement = {q(d['replacement'])}")
    return "{ " + ", ".join(parts) + " }"


def schema_comment(file: Path, schema: str) -> str:
    rel = os.path.relpath(INDEX / "schemas" / schema, file.parent)
    return f"#:schema {Path(rel).as_posix()}\n\n"


def registry_toml() -> str:
    return (
        "#:schema schemas/registry.schema.json\n"
        "\n"
        'id = "plugins.inkwell.example"\n'
        'title = "Inkwell Plugin Registry"\n'
        'description = "Plugins for Inkwell, the Markdown note-taking app: previews, citations, export, sync, editing modes and more. Every plugin is reviewed before it is listed, and every artifact is pinned by its SHA-256."\n'
        f"base_url = {q(BASE_URL)}\n"
        f"engine = {q(ENGINE)}\n"
        "\n"
        "[policy]\n"
        f"max_artifact_size = {MAX_ARTIFACT_SIZE}\n"
        f"reserved_names = {arr(RESERVED)}\n"
        f"max_versions = {MAX_VERSIONS}\n"
    )


def plugin_toml(p: dict, path: Path) -> str:
    lines = [schema_comment(path, "plugin.schema.json")]
    lines.append(f"name = {q(p['name'])}\n")
    lines.append(f"description = {q(p['description'])}\n")
    lines.append(f"license = {q(p['license'])}\n")
    lines.append(f"tags = {arr(p['tags'])}\n")
    lines.append(f"homepage = {q(p['homepage'])}\n")
    lines.append(f"repository = {q(p['repository'])}\n")
    lines.append(f"authors = {arr(p['authors'])}\n")
    if p.get("deprecated"):
        lines.append(f"deprecated = {deprecated_value(p['deprecated'])}\n")
    for login in p["owners"]:
        lines.append(f"\n[[owners]]\ngithub = {q(login)}\nkeys = []\n")
    return "".join(lines)


def version_toml(p: dict, v: dict, artifact: dict, path: Path) -> str:
    lines = [schema_comment(path, "version.schema.json")]
    lines.append(f"version = {q(v['version'])}\n")
    lines.append(f"engine = {q(v['engine'])}\n")
    lines.append(f"entry = {q(p['entry'])}\n")
    lines.append(f"runtime = {q(p['runtime'])}\n")
    lines.append(f"channel = {q(v.get('channel', 'stable'))}\n")
    lines.append(f"permissions = {arr(version_permissions(p, v))}\n")
    yanked = v.get("yanked", False)
    lines.append(f"yanked = {q(yanked) if yanked else 'false'}\n")
    if v.get("deprecated"):
        lines.append(f"deprecated = {deprecated_value(v['deprecated'])}\n")
    lines.append("\n[artifact]\n")
    lines.append(f"url = {q(artifact['url'])}\n")
    lines.append(f"sha256 = {q(artifact['sha256'])}\n")
    lines.append(f"size = {artifact['size']}\n")
    deps = v.get("dependencies", {})
    if deps:
        lines.append("\n[dependencies]\n")
        for dep, req in deps.items():
            key = dep if re.fullmatch(r"[A-Za-z0-9_-]+", dep) else q(dep)
            if isinstance(req, str):
                lines.append(f"{key} = {q(req)}\n")
            else:
                opt = "true" if req.get("optional") else "false"
                lines.append(f"{key} = {{ version = {q(req['version'])}, optional = {opt} }}\n")
    for cap in version_capabilities(p, v):
        lines.append("\n[[capabilities]]\n")
        lines.append(f"name = {q(cap['name'])}\n")
        lines.append(f"description = {q(cap['description'])}\n")
        if cap.get("endpoint"):
            lines.append(f"endpoint = {q(cap['endpoint'])}\n")
            lines.append(f"method = {q(cap['method'])}\n")
    return "".join(lines)


def version_permissions(p: dict, v: dict) -> list[str]:
    return list(v.get("permissions", p["permissions"]))


def version_capabilities(p: dict, v: dict) -> list[dict]:
    return [c for c in p["capabilities"] if "since" not in c or _cmp(v["version"], c["since"]) >= 0]


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

def readme(p: dict) -> str:
    r = p["readme"]
    out = [f"# {p['name']}\n\n"]
    if r.get("notice"):
        out.append(r["notice"] + "\n\n")
    out.append(p["description"] + "\n\n")
    out.append(r["intro"] + "\n\n")
    out.append("## Installation\n\n```sh\ninkwell plugin install " + p["name"] + "\n```\n\n")
    latest = [v for v in p["versions"] if not v.get("yanked") and v.get("channel", "stable") == "stable"][-1]
    out.append(f"The current stable release is **{latest['version']}** (Inkwell `{latest['engine']}`).")
    betas = [v for v in p["versions"] if v.get("channel") == "beta"]
    if betas:
        out.append(
            f" A beta, **{betas[-1]['version']}**, is available on the beta channel:\n\n"
            f"```sh\ninkwell plugin install {p['name']} --channel beta\n```\n\n"
        )
    else:
        out.append("\n\n")
    out.append("## Usage\n\n" + r["usage"] + "\n\n")
    out.append("## Configuration\n\n")
    out.append(f"Settings go in `.inkwell/config.toml` under `[plugins.{p['name']}]`.\n\n")
    out.append("| setting | type | default | description |\n|---|---|---|---|\n")
    for key, typ, default, desc in r["config"]:
        out.append(f"| `{key}` | {typ} | `{default}` | {desc} |\n")
    out.append("\n## Example\n\n" + r["example"] + "\n\n")
    deps = {}
    for v in p["versions"]:
        deps.update(v.get("dependencies", {}))
    if deps:
        out.append("## Dependencies\n\n| plugin | required |\n|---|---|\n")
        for dep, req in sorted(deps.items()):
            optional = isinstance(req, dict) and req.get("optional")
            out.append(f"| `{dep}` | {'optional' if optional else 'yes'} |\n")
        out.append("\n")
    out.append("## Permissions\n\n")
    perms = sorted({perm for v in p["versions"] for perm in version_permissions(p, v)}, key=PERMISSIONS.index)
    if perms:
        out.append("| permission | why |\n|---|---|\n")
        for perm in perms:
            out.append(f"| `{perm}` | {r['permission_reasons'][perm]} |\n")
        out.append("\n")
    else:
        out.append("None: the plugin only sees the text Inkwell hands it.\n\n")
    out.append("## Changelog\n\n| version | channel | Inkwell | notes |\n|---|---|---|---|\n")
    for v in reversed(p["versions"]):
        notes = []
        if v.get("yanked"):
            notes.append("**yanked**: " + v["yanked"])
        if v.get("deprecated"):
            d = v["deprecated"]
            notes.append("**deprecated**: " + (d if isinstance(d, str) else d["message"]))
        added = [c["name"] for c in p["capabilities"] if c.get("since") == v["version"]]
        if added:
            notes.append("adds " + ", ".join(f"`{a}`" for a in added))
        if v is p["versions"][0]:
            notes.append("first release")
        out.append(f"| {v['version']} | {v.get('channel', 'stable')} | `{v['engine']}` | {'; '.join(notes)} |\n")
    out.append(f"\n## Licence\n\n`{p['license']}`. See the `LICENSE` file in the plugin archive.\n")
    return "".join(out)


# --------------------------------------------------------------------------
# Artifacts
# --------------------------------------------------------------------------

def leb128(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def wasm_module(p: dict, v: dict) -> bytes:
    """A valid, empty WebAssembly module with one custom section naming the plugin."""
    name = b"inkwell.plugin"
    payload = json.dumps({"name": p["name"], "version": v["version"]}, sort_keys=True).encode()
    body = leb128(len(name)) + name + payload
    return b"\0asm\x01\0\0\0" + b"\x00" + leb128(len(body)) + body


def entry_file(p: dict, v: dict) -> tuple[bytes, int]:
    name, version, entry = p["name"], v["version"], p["entry"]
    rt = p["runtime"]
    if rt == "wasm":
        return wasm_module(p, v), 0o644
    if rt == "script" and entry.endswith(".js"):
        return (
            f"// {name} {version}: example plugin for the Inkwell registry.\n"
            f"export function activate(inkwell) {{\n"
            f"  inkwell.log.info(\"{name} {version} activated\");\n"
            f"}}\n\n"
            f"export function deactivate() {{}}\n"
        ).encode(), 0o644
    if rt == "script" and entry.endswith(".py"):
        return (
            f'"""{name} {version}: example plugin for the Inkwell registry."""\n\n\n'
            f"def activate(inkwell):\n"
            f'    inkwell.log.info("{name} {version} activated")\n\n\n'
            f"def deactivate():\n"
            f"    pass\n"
        ).encode(), 0o644
    if rt == "native":
        return (
            "#!/bin/sh\n"
            f"# Placeholder for the native {name} {version} executable: the example\n"
            "# registry ships a script so the archive stays small and portable.\n"
            f'echo "{name} {version}"\n'
        ).encode(), 0o755
    if rt == "docker":
        return (
            "FROM pandoc/latex:3.1\n"
            f'LABEL org.opencontainers.image.title="{name}" org.opencontainers.image.version="{version}"\n'
            "COPY entrypoint.sh /usr/local/bin/inkwell-entrypoint\n"
            'ENTRYPOINT ["/usr/local/bin/inkwell-entrypoint"]\n'
        ).encode(), 0o644
    raise ValueError(f"no entry template for {rt} {entry}")


def archive_files(p: dict, v: dict) -> dict[str, tuple[bytes, int]]:
    name, version = p["name"], v["version"]
    files: dict[str, tuple[bytes, int]] = {}
    manifest = {
        "name": name,
        "version": version,
        "engine": v["engine"],
        "entry": p["entry"],
        "runtime": p["runtime"],
        "permissions": version_permissions(p, v),
    }
    files["plugin.json"] = ((json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(), 0o644)
    files["README.md"] = (f"# {name} {version}\n\n{p['description']}\n".encode(), 0o644)
    files["LICENSE"] = (
        f"SPDX-License-Identifier: {p['license']}\n\n"
        f"Copyright the {name} authors. This is an example archive from the\n"
        "Inkwell example registry; see the plugin's repository for the full licence text.\n"
    ).encode(), 0o644
    files[p["entry"]] = entry_file(p, v)
    if p["runtime"] == "docker":
        files["entrypoint.sh"] = (
            f'#!/bin/sh\nset -eu\n# {name} {version}\nexec pandoc "$@"\n'.encode(),
            0o755,
        )
    return files


def make_tar_gz(files: dict[str, tuple[bytes, int]]) -> bytes:
    entries: dict[str, tuple[bytes | None, int]] = {}
    for path, (data, mode) in files.items():
        parts = path.split("/")
        for i in range(1, len(parts)):
            entries.setdefault("/".join(parts[:i]) + "/", (None, 0o755))
        entries[path] = (data, mode)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(entries):
            data, mode = entries[path]
            info = tarfile.TarInfo(path.rstrip("/"))
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

def write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)


def generate() -> None:
    for sub in ("plugins", "artifacts"):
        shutil.rmtree(INDEX / sub, ignore_errors=True)
    write(INDEX / "registry.toml", registry_toml())
    for p in PLUGINS:
        pdir = INDEX / "plugins" / folder(p["name"])
        write(pdir / "plugin.toml", plugin_toml(p, pdir / "plugin.toml"))
        write(pdir / "README.md", readme(p))
        for v in p["versions"]:
            rel = f"artifacts/{p['name']}/{p['name']}-{v['version']}.tar.gz"
            blob = make_tar_gz(archive_files(p, v))
            write(INDEX / rel, blob)
            artifact = dict(url=rel, sha256=hashlib.sha256(blob).hexdigest(), size=len(blob))
            vpath = pdir / "versions" / f"{v['version']}.toml"
            write(vpath, version_toml(p, v, artifact, vpath))


# --------------------------------------------------------------------------
# Verification (reads only what is on disk)
# --------------------------------------------------------------------------

REGISTRY_KEYS = {"id", "title", "description", "base_url", "engine", "policy"}
POLICY_KEYS = {"max_artifact_size", "reserved_names", "max_versions"}
PLUGIN_KEYS = {"name", "description", "license", "tags", "homepage", "repository", "authors", "owners", "deprecated"}
VERSION_KEYS = {"version", "engine", "entry", "runtime", "channel", "permissions", "artifact", "dependencies",
                "capabilities", "yanked", "deprecated"}
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def verify() -> list[str]:
    errors: list[str] = []

    def err(path: Path, msg: str) -> None:
        errors.append(f"{path.relative_to(ROOT)}: {msg}")

    def load(path: Path) -> dict:
        text = path.read_text("utf-8")
        return tomllib.loads(text)

    def check_schema_line(path: Path, schema: str) -> None:
        first = path.read_text("utf-8").splitlines()[0]
        if not first.startswith("#:schema "):
            err(path, "first line is not a #:schema comment")
            return
        target = (path.parent / first[len("#:schema "):]).resolve()
        if target != (INDEX / "schemas" / schema).resolve():
            err(path, f"#:schema points at {target}, not schemas/{schema}")

    reg_path = INDEX / "registry.toml"
    reg = load(reg_path)
    check_schema_line(reg_path, "registry.schema.json")
    if set(reg) - REGISTRY_KEYS or set(reg.get("policy", {})) - POLICY_KEYS:
        err(reg_path, "unknown keys")
    reserved = {canonical(n) for n in reg["policy"]["reserved_names"]} | set(BUILTIN_RESERVED)
    max_size = reg["policy"]["max_artifact_size"]

    plugins: dict[str, dict] = {}       # name -> plugin.toml
    versions: dict[str, dict[str, dict]] = {}  # name -> version -> manifest
    for link in INDEX.rglob("*"):
        if link.is_symlink():
            err(link, "symbolic link")

    plugin_dirs = sorted(pt.parent for pt in (INDEX / "plugins").rglob("plugin.toml"))
    expected_files = set()
    for pdir in plugin_dirs:
        rel = pdir.relative_to(INDEX / "plugins").as_posix()
        name = pdir.name
        if not NAME_RE.match(name):
            err(pdir, "invalid plugin name")
        if rel != folder(name):
            err(pdir, f"folder should be plugins/{folder(name)}")
        if canonical(name) in reserved:
            err(pdir, "reserved name")
        ptoml = pdir / "plugin.toml"
        check_schema_line(ptoml, "plugin.schema.json")
        meta = load(ptoml)
        if set(meta) - PLUGIN_KEYS:
            err(ptoml, f"unknown keys {set(meta) - PLUGIN_KEYS}")
        if meta["name"] != name:
            err(ptoml, "name differs from folder name")
        d = meta["description"]
        if not (1 <= len(d) <= 280) or "\n" in d:
            err(ptoml, "description must be one line of 1-280 characters")
        tags = meta.get("tags", [])
        if len(tags) > 10 or len(set(tags)) != len(tags) or not all(TAG_RE.match(t) and len(t) <= 32 for t in tags):
            err(ptoml, "bad tags")
        for key in ("homepage", "repository"):
            if key in meta and not meta[key].startswith("https://"):
                err(ptoml, f"{key} is not https")
        if not meta.get("owners"):
            err(ptoml, "no owners")
        for o in meta.get("owners", []):
            if set(o) != {"github", "keys"} or o["keys"] != []:
                err(ptoml, "owners must have github and empty keys")
        if not (pdir / "README.md").is_file():
            err(pdir, "no README.md")
        readme_text = (pdir / "README.md").read_text("utf-8") if (pdir / "README.md").is_file() else ""
        if "```" not in readme_text or "|---" not in readme_text:
            err(pdir / "README.md", "README lacks a fenced code block or a table")
        plugins[name] = meta
        versions[name] = {}
        expected_files |= {ptoml, pdir / "README.md"}
        for vpath in sorted((pdir / "versions").glob("*.toml")):
            expected_files.add(vpath)
            check_schema_line(vpath, "version.schema.json")
            m = load(vpath)
            if set(m) - VERSION_KEYS:
                err(vpath, f"unknown keys {set(m) - VERSION_KEYS}")
            if vpath.stem != m["version"]:
                err(vpath, "file name differs from version")
            try:
                _, _, _, pre = parse_version(m["version"])
            except ValueError as e:
                err(vpath, str(e))
                continue
            channel = m.get("channel", "stable")
            if channel not in ("stable", "beta"):
                err(vpath, "bad channel")
            if pre and channel != "beta":
                err(vpath, "pre-release outside the beta channel")
            if m["runtime"] not in RUNTIMES:
                err(vpath, "bad runtime")
            perms = m.get("permissions", [])
            if len(set(perms)) != len(perms) or not set(perms) <= set(PERMISSIONS):
                err(vpath, "bad permissions")
            if ".." in m["entry"].split("/") or m["entry"].startswith("/"):
                err(vpath, "entry escapes the artifact")
            y = m.get("yanked", False)
            if not (y is False or (isinstance(y, str) and y)):
                err(vpath, "yanked must be false or a reason")
            for cap in m.get("capabilities", []):
                if set(cap) - {"name", "description", "endpoint", "method"}:
                    err(vpath, "unknown capability keys")
                if "endpoint" in cap and (not cap["endpoint"].startswith("/") or
                                          cap.get("method") not in ("GET", "POST", "PUT", "PATCH", "DELETE")):
                    err(vpath, "bad capability endpoint/method")
            a = m["artifact"]
            if set(a) != {"url", "sha256", "size"} or not HEX64.match(a["sha256"]):
                err(vpath, "bad [artifact]")
            expect_url = f"artifacts/{name}/{name}-{m['version']}.tar.gz"
            if a["url"] != expect_url:
                err(vpath, f"artifact url should be {expect_url}")
            blob_path = INDEX / a["url"]
            expected_files.add(blob_path)
            if not blob_path.is_file():
                err(vpath, "artifact missing")
            else:
                blob = blob_path.read_bytes()
                if hashlib.sha256(blob).hexdigest() != a["sha256"]:
                    err(vpath, "sha256 mismatch")
                if len(blob) != a["size"]:
                    err(vpath, "size mismatch")
                if not 0 < a["size"] <= max_size:
                    err(vpath, "size out of range")
                with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
                    members = {t.name: t for t in tar.getmembers()}
                    if m["entry"] not in members or not members[m["entry"]].isfile():
                        err(vpath, "entry not in archive")
                    if any(t.mtime != 0 or t.uid != 0 or t.gid != 0 for t in members.values()):
                        err(vpath, "archive is not normalized")
                    if list(members) != sorted(members):
                        err(vpath, "archive entries not sorted")
                    if m["runtime"] == "wasm":
                        data = tar.extractfile(members[m["entry"]]).read()
                        if not data.startswith(b"\0asm\x01\0\0\0"):
                            err(vpath, "wasm entry lacks the magic")
            for dname, dep in m.get("dependencies", {}).items():
                if isinstance(dep, dict) and (set(dep) - {"version", "optional"} or "version" not in dep):
                    err(vpath, f"bad dependency table for {dname}")
            versions[name][m["version"]] = m
        if not versions[name]:
            err(pdir, "no versions")
        if len(versions[name]) > reg["policy"]["max_versions"]:
            err(pdir, "too many versions")
        # versions must differ beyond build metadata
        stripped = [v.split("+")[0] for v in versions[name]]
        if len(set(stripped)) != len(stripped):
            err(pdir, "versions differ only in build metadata")

    # Nothing else anywhere under plugins/ or artifacts/.
    for f in list((INDEX / "plugins").rglob("*")) + list((INDEX / "artifacts").rglob("*")):
        if f.is_file() and f not in expected_files:
            err(f, "unexpected file")

    # Names: unique canonical forms and skeletons.
    seen_canon: dict[str, str] = {}
    seen_skel: dict[str, str] = {}
    for name in sorted(plugins):
        c, s = canonical(name), skeleton(name)
        if c in seen_canon:
            errors.append(f"{name}: same canonical name as {seen_canon[c]}")
        if s in seen_skel:
            errors.append(f"{name}: confusable with {seen_skel[s]} (skeleton {s!r})")
        seen_canon[c], seen_skel[s] = name, name

    # Deprecation replacements name existing plugins.
    for name, meta in plugins.items():
        d = meta.get("deprecated")
        if isinstance(d, dict) and d.get("replacement") not in plugins:
            errors.append(f"{name}: replacement {d.get('replacement')!r} does not exist")
        for ver, m in versions[name].items():
            d = m.get("deprecated")
            if isinstance(d, dict) and d.get("replacement") not in plugins:
                errors.append(f"{name} {ver}: replacement {d.get('replacement')!r} does not exist")

    # Dependencies: exist, satisfiable by a non-yanked, engine-compatible version; no cycles.
    graph: dict[str, set[str]] = {n: set() for n in plugins}
    for name, vs in versions.items():
        for ver, m in vs.items():
            for dname, dep in m.get("dependencies", {}).items():
                req = dep if isinstance(dep, str) else dep["version"]
                graph[name].add(dname)
                if dname not in plugins:
                    errors.append(f"{name} {ver}: dependency {dname} does not exist")
                    continue
                if dname == name:
                    errors.append(f"{name} {ver}: depends on itself")
                ok = [dv for dv, dm in versions[dname].items()
                      if not dm.get("yanked") and req_matches(req, dv) and engine_overlaps(m["engine"], dm["engine"])]
                if not ok:
                    errors.append(f"{name} {ver}: no non-yanked, engine-compatible {dname} matches {req!r}")

    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                errors.append("dependency cycle: " + " -> ".join(stack + [n, d]))
            elif d in graph and not state.get(d):
                visit(d, stack + [n])
        state[n] = 2

    for n in sorted(graph):
        if not state.get(n):
            visit(n, [])
    return errors


def main() -> int:
    if "--verify" not in sys.argv[1:]:
        generate()
    errors = verify()
    for e in errors:
        print("error:", e, file=sys.stderr)
    n_versions = sum(1 for _ in (INDEX / "plugins").rglob("versions/*.toml"))
    n_plugins = sum(1 for _ in (INDEX / "plugins").rglob("plugin.toml"))
    print(f"{n_plugins} plugins, {n_versions} versions, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
