//! `plugdex init`: a new index repo that `plugdex check` passes, with its
//! root and online keys outside it and the delegation between them signed.

use std::path::{Path, PathBuf};

use super::{ScaffoldError, quoted, schema_line, write_new};
use crate::manifest::schema::FileKind;
use crate::trust::secret::SecretKey;
use crate::trust::statement::delegation_text;

/// The answers `init` needs.
#[derive(Debug, Clone)]
pub struct Init {
    /// The new index repo (a new or empty folder).
    pub dir: PathBuf,
    pub id: String,
    pub title: String,
    /// The `https` URL the registry will be served from (a `/` is added when missing).
    pub base_url: String,
    /// The host application's name.
    pub engine: String,
    /// Where `root.pem` and `online.pem` go: never inside `dir`.
    pub keys: PathBuf,
}

/// What `init` wrote.
#[derive(Debug)]
pub struct Initialized {
    /// Every file of the index repo, relative to it, sorted.
    pub files: Vec<String>,
    pub root_key: PathBuf,
    pub online_key: PathBuf,
}

/// The release of plugdex the workflows call (a tag of plugdex/plugdex).
const PLUGDEX_TAG: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// The default key folder for registry `id`: `$XDG_CONFIG_HOME/plugdex/keys/ID`,
/// else `~/.config/plugdex/keys/ID` (`%APPDATA%\plugdex\keys\ID` on Windows).
pub fn default_keys_dir(id: &str) -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let config = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("APPDATA").map(PathBuf::from))
        .or_else(|| var("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(config.join("plugdex").join("keys").join(id))
}

pub fn init(opts: &Init) -> Result<Initialized, ScaffoldError> {
    let base_url = if opts.base_url.ends_with('/') {
        opts.base_url.clone()
    } else {
        format!("{}/", opts.base_url)
    };
    // Everything is refused before anything is created.
    let (root_path, online_path) = key_paths(&opts.keys, &opts.dir)?;
    check_dir(&opts.dir)?;
    create_key_dir(&opts.keys)?;
    std::fs::create_dir_all(&opts.dir).map_err(|source| ScaffoldError::Write {
        path: opts.dir.clone(),
        source,
    })?;
    let root = SecretKey::try_generate().map_err(random)?;
    let online = SecretKey::try_generate().map_err(random)?;
    root.write_file(&root_path)?;
    online.write_file(&online_path)?;
    let online_public = online.public().to_raw_base64();
    let delegation = root.sign_raw(delegation_text(&opts.id, &online_public).as_bytes());

    let registry = format!(
        "{schema}\n\nid = {id}\ntitle = {title}\nbase_url = {url}\nengine = {engine}\n\n\
         [policy]\n# Refuse releases their owners did not sign (else they are listed as `experimental`).\n\
         require_signatures = false\n\n\
         # The registry's keys: the root key (kept offline) delegates to the online key\n\
         # (`build` signs with it; a CI secret). `plugdex delegate` signs a new delegation.\n\
         [signing]\nroot_keys = [{root}]\nthreshold = 1\nonline_key = {online}\n\
         online_key_signatures = [{delegation}]\n",
        schema = schema_line(0, FileKind::Registry.schema_file()).trim_end(),
        id = quoted(&opts.id),
        title = quoted(&opts.title),
        url = quoted(&base_url),
        engine = quoted(&opts.engine),
        root = quoted(&root.public().to_raw_base64()),
        online = quoted(&online_public),
        delegation = quoted(&delegation),
    );
    let mut files: Vec<(String, String)> = vec![
        ("registry.toml".into(), registry),
        (
            "reviewed.toml".into(),
            format!(
                "{}\n# Releases the maintainers reviewed: signed ones listed here are in the\n\
                 # `verified` tier. Only maintainers edit this file.\n\n[plugins]\n",
                schema_line(0, FileKind::Reviewed.schema_file()).trim_end()
            ),
        ),
        (
            "revocations.toml".into(),
            format!(
                "{}\n# Keys and releases clients must not install. Only maintainers edit this file.\n",
                schema_line(0, FileKind::Revocations.schema_file()).trim_end()
            ),
        ),
        (".taplo.toml".into(), TAPLO.into()),
        (".gitignore".into(), GITIGNORE.into()),
        (
            "README.md".into(),
            readme(opts, &base_url, &root_path, &online_path),
        ),
        (
            ".github/workflows/pr-verdict.yml".into(),
            PR_VERDICT.replace("{TAG}", PLUGDEX_TAG),
        ),
        (
            ".github/workflows/publish.yml".into(),
            PUBLISH.replace("{TAG}", PLUGDEX_TAG),
        ),
        (
            ".github/workflows/status.yml".into(),
            STATUS
                .replace("{TAG}", PLUGDEX_TAG)
                .replace("{URL}", &base_url),
        ),
    ];
    for kind in FileKind::ALL {
        files.push((
            format!("schemas/{}", kind.schema_file()),
            kind.schema_text(),
        ));
    }
    for (rel, text) in &files {
        write_new(&opts.dir.join(rel), text.as_bytes())?;
    }
    let plugins = opts.dir.join(crate::source::PLUGINS_DIR);
    std::fs::create_dir_all(&plugins).map_err(|source| ScaffoldError::Write {
        path: plugins,
        source,
    })?;
    let mut names: Vec<String> = files.into_iter().map(|(rel, _)| rel).collect();
    names.sort();
    Ok(Initialized {
        files: names,
        root_key: root_path,
        online_key: online_path,
    })
}

fn random(e: crate::trust::secret::SecretKeyError) -> ScaffoldError {
    ScaffoldError::Refused(e.to_string())
}

/// Refuses a `dir` that exists and is not an empty folder.
fn check_dir(dir: &Path) -> Result<(), ScaffoldError> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Ok(true) => Ok(()),
        Ok(_) => Err(ScaffoldError::Refused(format!(
            "`{}` is not empty; `plugdex init` writes a new index repo into a new or empty \
             folder",
            dir.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ScaffoldError::Read {
            path: dir.to_owned(),
            source,
        }),
    }
}

/// `path` with symbolic links resolved as far as it exists, the rest appended.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_owned());
    out.extend(rest.iter().rev());
    out
}

/// The key files' paths: outside the repo, and neither there yet.
fn key_paths(keys: &Path, repo: &Path) -> Result<(PathBuf, PathBuf), ScaffoldError> {
    if resolved(keys).starts_with(resolved(repo)) {
        return Err(ScaffoldError::Refused(format!(
            "the key folder `{}` is inside the index repo `{}`: secret keys must never be \
             committed; pick a `--keys` folder outside it",
            keys.display(),
            repo.display()
        )));
    }
    let root = keys.join("root.pem");
    let online = keys.join("online.pem");
    for path in [&root, &online] {
        if path.exists() {
            return Err(ScaffoldError::Exists(path.clone()));
        }
    }
    Ok((root, online))
}

/// Creates the key folder, readable by its owner only.
fn create_key_dir(keys: &Path) -> Result<(), ScaffoldError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(keys).map_err(|source| ScaffoldError::Write {
        path: keys.to_owned(),
        source,
    })
}

fn readme(opts: &Init, base_url: &str, root: &Path, online: &Path) -> String {
    format!(
        "# {title}\n\n\
The plugin index of `{id}`, served from <{base_url}>: every plugin is a\n\
folder under `plugins/` (sharded by name), every published version a file in\n\
its `versions/`. [plugdex](https://github.com/plugdex/plugdex) checks every\n\
pull request against it and builds the signed registry from it.\n\n\
## Adding a plugin\n\n\
```sh\n\
plugdex new NAME --owner YOUR_GITHUB_LOGIN --key ~/.ssh/id_ed25519.pub   # plugins/…/NAME/plugin.toml\n\
plugdex release NAME 1.0.0 --artifact NAME-1.0.0.tar.gz --entry main.wasm --runtime wasm \\\n\
  --engine '^1' --sign ~/.ssh/id_ed25519                                 # versions/1.0.0.toml, signed\n\
plugdex check                                                             # what CI checks\n\
```\n\n\
Then open a pull request. The `plugdex/verdict` status says whether it is\n\
`auto-mergeable`, `needs-review` or `rejected`.\n\n\
## Previewing\n\n\
```sh\n\
plugdex serve --index . --signing-key {online}   # http://127.0.0.1:8000/\n\
plugdex install --registry http://127.0.0.1:8000/ NAME\n\
```\n\n\
## Keys\n\n\
`plugdex init` made two keys, outside this repository:\n\n\
* the **root key** `{root}`: clients pin its public half\n\
  (`signing.root_keys`). Use it only to sign a new delegation (`plugdex delegate\n\
  --index . --root-key FILE`). Move it offline now (an encrypted USB stick, a\n\
  password manager) and delete it from this machine.\n\
* the **online key** `{online}`: `plugdex build` signs every build\n\
  with it. Store its contents as the repository secret `PLUGDEX_SIGNING_KEY`\n\
  (Settings → Secrets and variables → Actions), then delete the file. If it\n\
  leaks, make a new one and sign a new delegation with the root key.\n\n\
Never commit either key.\n\n\
## Workflows\n\n\
`.github/workflows/` calls plugdex's reusable workflows at `{tag}`\n\
(pin each `@{tag}` to that tag's full commit SHA): `pr-verdict.yml` (the\n\
verdict on every pull request; require the `plugdex/verdict` status in branch\n\
protection), `publish.yml` (a signed build to GitHub Pages on every push to\n\
`main` and daily) and `status.yml` (watches the live registry).\n",
        title = opts.title,
        id = opts.id,
        root = root.display(),
        online = online.display(),
        tag = PLUGDEX_TAG,
    )
}

const TAPLO: &str = r#"# Editors with Taplo / Even Better TOML validate and complete the index
# files against plugdex's schemas, at any depth, with no `#:schema` line.
[[rule]]
include = ["registry.toml"]
[rule.schema]
path = "schemas/registry.schema.json"

[[rule]]
include = ["reviewed.toml"]
[rule.schema]
path = "schemas/reviewed.schema.json"

[[rule]]
include = ["revocations.toml"]
[rule.schema]
path = "schemas/revocations.schema.json"

[[rule]]
include = ["plugins/**/plugin.toml"]
[rule.schema]
path = "schemas/plugin.schema.json"

[[rule]]
include = ["plugins/**/versions/*.toml"]
[rule.schema]
path = "schemas/version.schema.json"
"#;

const GITIGNORE: &str = "/dist\n/.dist.plugdex\n/dist-preview\n/.dist-preview.plugdex\n*.pem\n";

const PR_VERDICT: &str = r#"# The verdict on every pull request (auto-mergeable, needs-review or
# rejected), computed by plugdex's reusable workflow from the base branch's
# code only. Pin `@{TAG}` to that tag's full commit SHA.
name: PR verdict
on:
  pull_request_target:
    types: [opened, synchronize, reopened, ready_for_review]
permissions: {}
jobs:
  verdict:
    uses: plugdex/plugdex/.github/workflows/pr-verdict.yml@{TAG}
    with:
      index: .
      plugdex-version: {TAG}
    permissions:
      contents: write # only the opt-in merge job (PLUGDEX_AUTO_MERGE=true) uses it
      pull-requests: write
      issues: write
      statuses: write
"#;

const PUBLISH: &str = r#"# A signed build on every push to main and daily (the timestamp expires),
# deployed to GitHub Pages. Needs the secret PLUGDEX_SIGNING_KEY (online.pem).
name: Publish
on:
  push:
    branches: [main]
  schedule:
    - cron: "17 4 * * *"
  workflow_dispatch:
permissions: {}
jobs:
  publish:
    uses: plugdex/plugdex/.github/workflows/publish.yml@{TAG}
    with:
      index: .
      plugdex-version: {TAG}
    secrets:
      PLUGDEX_SIGNING_KEY: ${{ secrets.PLUGDEX_SIGNING_KEY }}
    permissions:
      contents: read
      pages: write
      id-token: write
"#;

const STATUS: &str = r#"# Checks the live registry as a client would, every 6 hours; opens an issue
# when its signatures fail or its timestamp is about to expire.
name: Status
on:
  schedule:
    - cron: "41 */6 * * *"
  workflow_dispatch:
permissions: {}
jobs:
  status:
    uses: plugdex/plugdex/.github/workflows/status.yml@{TAG}
    with:
      plugdex-version: {TAG}
      registry-url: {URL}
    permissions:
      contents: read
      issues: write
"#;
