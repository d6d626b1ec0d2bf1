//! Semantic rules for one file at a time: what the schema cannot say (SemVer,
//! SPDX, URLs, names, digests). Cross-file rules live in `check`.

use std::collections::HashSet;

use super::document::{FileRef, Key};
use crate::diagnostic::{Code, Diagnostic};
use crate::digest::{InvalidSha256, Sha256};
use crate::format::name::{NameError, PluginName};
use crate::format::types::{
    Artifact, ArtifactDigests, Deprecation, Method, PluginManifest, RegistryConfig, Runtime,
    VersionManifest,
};

const MAX_DESCRIPTION: usize = 280;
const MAX_TAG_LEN: usize = 32;
const MAX_TAGS: usize = 10;

fn f(name: &str) -> Key<'_> {
    Key::Field(name)
}

pub fn registry(doc: &FileRef<'_>, r: &RegistryConfig, out: &mut Vec<Diagnostic>) {
    if !is_dns_name(&r.id) {
        out.push(
            doc.error_at(
                &[f("id")],
                Code::InvalidRegistry,
                format!("`id` must be a lowercase DNS-style name, found `{}`", r.id),
            )
            .hint("use the host name the registry is served from, e.g. `plugins.example.org`"),
        );
    }
    if r.title.trim().is_empty() {
        out.push(
            doc.error_at(&[f("title")], Code::InvalidRegistry, "`title` is empty")
                .hint("give the registry a human title"),
        );
    }
    match url::Url::parse(&r.base_url) {
        Ok(u)
            if u.scheme() == "https"
                && https_url(&r.base_url).is_ok()
                && u.host_str().is_some()
                && r.base_url.ends_with('/')
                && u.query().is_none()
                && u.fragment().is_none() => {}
        _ => out.push(
            doc.error_at(
                &[f("base_url")],
                Code::InvalidUrl,
                format!(
                    "`base_url` must be an `https` URL ending with `/`, found `{}`",
                    redacted(&r.base_url)
                ),
            )
            .hint("e.g. `https://plugins.example.org/`"),
        ),
    }
    if r.engine.is_empty()
        || !r
            .engine
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        out.push(
            doc.error_at(
                &[f("engine")],
                Code::InvalidRegistry,
                format!(
                    "`engine` must be a lowercase identifier, found `{}`",
                    r.engine
                ),
            )
            .hint("name the host application, e.g. `inkwell`"),
        );
    }
    if r.policy.max_artifact_size == 0 {
        out.push(doc.error_at(&[f("policy"), f("max_artifact_size")], Code::InvalidRegistry, "`policy.max_artifact_size` must be greater than 0").hint("give the largest artifact size in bytes, or remove the key for the default (100 MiB)"));
    }
    if r.policy.max_versions == 0 {
        out.push(
            doc.error_at(
                &[f("policy"), f("max_versions")],
                Code::InvalidRegistry,
                "`policy.max_versions` must be greater than 0",
            )
            .hint("remove the key for the default (10000)"),
        );
    }
    for (i, n) in r.policy.reserved_names.iter().enumerate() {
        if let Err(e) = PluginName::parse(n) {
            out.push(
                doc.error_at(
                    &[f("policy"), f("reserved_names"), Key::Index(i)],
                    Code::InvalidName,
                    format!("reserved name `{n}` is not a valid plugin name: {e}"),
                )
                .hint(name_hint(&e)),
            );
        }
    }
}

/// Checks `plugin.toml`; `folder` is the name of the folder holding it.
pub fn plugin(
    doc: &FileRef<'_>,
    p: &PluginManifest,
    folder: &str,
    reg: &RegistryConfig,
    out: &mut Vec<Diagnostic>,
) {
    match PluginName::parse(&p.name) {
        Err(e) => out.push(
            doc.error_at(
                &[f("name")],
                Code::InvalidName,
                format!("invalid plugin name `{}`: {e}", p.name),
            )
            .hint(name_hint(&e)),
        ),
        Ok(name) => {
            if p.name != folder {
                out.push(
                    doc.error_at(
                        &[f("name")],
                        Code::NameMismatch,
                        format!("`name` is `{}` but the folder is `{folder}`", p.name),
                    )
                    .hint(format!(
                        "rename the folder to `plugins/{}`, or set `name = \"{folder}\"`",
                        name.folder()
                    )),
                );
            }
            if name.is_builtin_reserved()
                || reg
                    .policy
                    .reserved_names
                    .iter()
                    .any(|r| crate::format::name::canonical(r) == name.canonical())
            {
                out.push(
                    doc.error_at(&[f("name")], Code::ReservedName, format!("the name `{}` is reserved", p.name))
                        .hint(if name.is_builtin_reserved() {
                            "choose another name; Windows device names and the output's top-level folders are reserved (docs/index-format.md, \"Names\")"
                        } else {
                            "choose another name; this registry reserves it in `policy.reserved_names` of `registry.toml`"
                        }),
                );
            }
        }
    }
    description(doc, &[f("description")], &p.description, out);
    license(doc, &p.license, out);
    if p.tags.len() > MAX_TAGS {
        out.push(
            doc.error_at(
                &[f("tags")],
                Code::InvalidTag,
                format!("{} tags; at most {MAX_TAGS} are allowed", p.tags.len()),
            )
            .hint("keep the tags people would search for"),
        );
    }
    let mut seen = HashSet::new();
    for (i, tag) in p.tags.iter().enumerate() {
        let valid = !tag.is_empty()
            && tag.len() <= MAX_TAG_LEN
            && tag.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && tag
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            out.push(
                doc.error_at(&[f("tags"), Key::Index(i)], Code::InvalidTag, format!("invalid tag `{tag}`"))
                    .hint(format!("tags are lowercase ASCII letters, digits and `-`, at most {MAX_TAG_LEN} characters, e.g. `{}`", slug(tag))),
            );
        } else if !seen.insert(tag.as_str()) {
            out.push(
                doc.error_at(
                    &[f("tags"), Key::Index(i)],
                    Code::InvalidTag,
                    format!("tag `{tag}` is listed twice"),
                )
                .hint("remove the repeated tag"),
            );
        }
    }
    for field in ["homepage", "repository"] {
        let value = if field == "homepage" {
            &p.homepage
        } else {
            &p.repository
        };
        if let Some(u) = value
            && let Err(why) = https_url(u)
        {
            out.push(
                doc.error_at(
                    &[f(field)],
                    Code::InvalidUrl,
                    format!("`{field}` {why}: `{}`", redacted(u)),
                )
                .hint("use a full `https://` URL"),
            );
        }
    }
    for (i, a) in p.authors.iter().enumerate() {
        if a.trim().is_empty() || a.chars().count() > 200 {
            out.push(
                doc.error_at(
                    &[f("authors"), Key::Index(i)],
                    Code::InvalidValue,
                    "an author must be 1 to 200 characters",
                )
                .hint("e.g. `Jane Doe <jane@example.org>`"),
            );
        }
    }
    if p.owners.is_empty() {
        out.push(
            doc.error_at(
                &[f("owners")],
                Code::InvalidOwner,
                "a plugin needs at least one owner",
            )
            .hint("add `[[owners]]` with `github = \"your-login\"`"),
        );
    }
    let mut logins = HashSet::new();
    for (i, o) in p.owners.iter().enumerate() {
        let at = [f("owners"), Key::Index(i), f("github")];
        if !is_github_login(&o.github) {
            out.push(
                doc.error_at(&at, Code::InvalidOwner, format!("`{}` is not a valid GitHub login", o.github))
                    .hint("GitHub logins are 1-39 letters, digits or single hyphens, not starting or ending with a hyphen"),
            );
        } else if !logins.insert(o.github.to_ascii_lowercase()) {
            out.push(
                doc.error_at(
                    &at,
                    Code::InvalidOwner,
                    format!("owner `{}` is listed twice", o.github),
                )
                .hint("merge the two entries and their keys"),
            );
        }
    }
    if let Some(d) = &p.deprecated {
        deprecation(doc, &[f("deprecated")], d, Some(&p.name), out);
    }
}

/// Checks one version manifest; `stem` is its file name without `.toml` and
/// `plugin` the plugin's folder name. Returns the parsed version when valid.
pub fn version(
    doc: &FileRef<'_>,
    v: &VersionManifest,
    stem: &str,
    plugin: &str,
    reg: &RegistryConfig,
    out: &mut Vec<Diagnostic>,
) -> Option<(semver::Version, ArtifactDigests<Option<Sha256>>)> {
    let parsed = match semver::Version::parse(&v.version) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            out.push(
                doc.error_at(&[f("version")], Code::InvalidVersion, format!("`{}` is not a SemVer 2.0 version: {e}", v.version))
                    .hint("write MAJOR.MINOR.PATCH, optionally with a pre-release, e.g. `1.2.0` or `2.0.0-beta.1`"),
            );
            None
        }
    };
    if v.version != stem {
        out.push(
            doc.error_at(
                &[f("version")],
                Code::VersionMismatch,
                format!("`version` is `{}` but the file is `{stem}.toml`", v.version),
            )
            .hint(format!("rename the file to `versions/{}.toml`", v.version)),
        );
    }
    requirement(doc, &[f("engine")], &v.engine, "engine", out);
    if let Err(why) = relative_path(&v.entry) {
        out.push(
            doc.error_at(
                &[f("entry")],
                Code::InvalidEntry,
                format!("`entry` {why}: `{}`", v.entry),
            )
            .hint("give the path inside the artifact, e.g. `main.wasm` or `bin/plugin`"),
        );
    }
    let single = v
        .artifact
        .as_ref()
        .map(|a| self::artifact(doc, &[f("artifact")], a, reg, out));
    let platforms = platforms(doc, v, reg, out);
    // A digest that did not parse is `None` (and was reported): the rest of
    // the release is still checked across files, as if it had no such artifact.
    let digests = ArtifactDigests {
        artifact: single,
        platforms,
    };
    let mut perms = HashSet::new();
    for (i, p) in v.permissions.iter().enumerate() {
        if !perms.insert(*p) {
            out.push(
                doc.error_at(
                    &[f("permissions"), Key::Index(i)],
                    Code::DuplicatePermission,
                    format!("permission `{}` is listed twice", permission_name(*p)),
                )
                .hint("remove the repeated permission"),
            );
        }
    }
    let mut caps = HashSet::new();
    for (i, c) in v.capabilities.iter().enumerate() {
        let at = |field| [f("capabilities"), Key::Index(i), f(field)];
        let valid = !c.name.is_empty()
            && c.name.len() <= 64
            && c.name.starts_with(|ch: char| ch.is_ascii_lowercase())
            && c.name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "-_.".contains(ch));
        if !valid {
            out.push(
                doc.error_at(
                    &at("name"),
                    Code::InvalidCapability,
                    format!("invalid capability name `{}`", c.name),
                )
                .hint("capability names are lowercase identifiers, e.g. `render` or `export.pdf`"),
            );
        } else if !caps.insert(c.name.as_str()) {
            out.push(
                doc.error_at(
                    &at("name"),
                    Code::InvalidCapability,
                    format!("capability `{}` is declared twice", c.name),
                )
                .hint("merge the two declarations"),
            );
        }
        if c.description.trim().is_empty() || c.description.chars().count() > MAX_DESCRIPTION {
            out.push(
                doc.error_at(
                    &at("description"),
                    Code::InvalidCapability,
                    format!("a capability description must be 1 to {MAX_DESCRIPTION} characters"),
                )
                .hint("say in one line what the capability does"),
            );
        }
        match (&c.endpoint, c.method) {
            (Some(e), _) if !e.starts_with('/') => {
                out.push(
                    doc.error_at(
                        &at("endpoint"),
                        Code::InvalidCapability,
                        format!("endpoint `{e}` must be a path starting with `/`"),
                    )
                    .hint("e.g. `/render`"),
                );
            }
            (Some(e), _) if e.chars().any(char::is_whitespace) => {
                out.push(
                    doc.error_at(
                        &at("endpoint"),
                        Code::InvalidCapability,
                        format!("endpoint `{e}` contains whitespace"),
                    )
                    .hint("use `-` or `_` between words, e.g. `/export-pdf`"),
                );
            }
            (None, Some(m)) => {
                out.push(
                    doc.error_at(
                        &at("method"),
                        Code::InvalidCapability,
                        format!("`method = \"{}\"` without an `endpoint`", method_name(m)),
                    )
                    .hint("add the `endpoint` the method applies to, or remove `method`"),
                );
            }
            _ => {}
        }
    }
    for (dep, spec) in &v.dependencies {
        let at = [f("dependencies"), f(dep)];
        match PluginName::parse(dep) {
            Err(e) => out.push(
                doc.error_at_key(
                    &at,
                    Code::InvalidName,
                    format!("dependency `{dep}` is not a valid plugin name: {e}"),
                )
                .hint(name_hint(&e)),
            ),
            Ok(n) if n.canonical() == crate::format::name::canonical(plugin) => {
                out.push(
                    doc.error_at_key(
                        &at,
                        Code::SelfDependency,
                        format!("`{plugin}` depends on itself"),
                    )
                    .hint("remove the dependency"),
                );
            }
            Ok(_) => {}
        }
        requirement(
            doc,
            &at,
            spec.requirement(),
            &format!("dependencies.{dep}"),
            out,
        );
    }
    if let crate::format::types::Yanked::Reason(r) = &v.yanked
        && r.trim().is_empty()
    {
        out.push(
            doc.error_at(
                &[f("yanked")],
                Code::InvalidValue,
                "the yank reason is empty",
            )
            .hint("say why the version was yanked, e.g. `yanked = \"corrupts files on save\"`"),
        );
    }
    if let Some(d) = &v.deprecated {
        deprecation(doc, &[f("deprecated")], d, None, out);
    }
    parsed.map(|version| (version, digests))
}

fn requirement(
    doc: &FileRef<'_>,
    at: &[Key<'_>],
    req: &str,
    what: &str,
    out: &mut Vec<Diagnostic>,
) {
    if let Err(e) = semver::VersionReq::parse(req) {
        out.push(
            doc.error_at(
                at,
                Code::InvalidRequirement,
                format!("`{what}` is not a SemVer requirement: {e}"),
            )
            .hint("e.g. `^1.2`, `>=1.0.0, <2.0.0` or `~0.3.1`; separate comparators with commas"),
        );
    }
}

fn description(doc: &FileRef<'_>, at: &[Key<'_>], d: &str, out: &mut Vec<Diagnostic>) {
    let n = d.chars().count();
    if d.trim().is_empty() {
        out.push(
            doc.error_at(at, Code::InvalidDescription, "the description is empty")
                .hint("say in one line what the plugin does"),
        );
    } else if n > MAX_DESCRIPTION {
        out.push(
            doc.error_at(
                at,
                Code::InvalidDescription,
                format!(
                    "the description has {n} characters; at most {MAX_DESCRIPTION} are allowed"
                ),
            )
            .hint("keep it to one line; put details in README.md"),
        );
    } else if d.trim() != d {
        out.push(
            doc.warning_at(
                at,
                Code::InvalidDescription,
                "the description starts or ends with whitespace",
            )
            .hint("trim it"),
        );
    }
}

fn license(doc: &FileRef<'_>, l: &str, out: &mut Vec<Diagnostic>) {
    if let Err(e) = spdx::Expression::parse(l) {
        let hint = match spdx::Expression::canonicalize(l) {
            Ok(Some(canon)) if spdx::Expression::parse(&canon).is_ok() => format!("did you mean `{canon}`?"),
            _ => "use SPDX identifiers joined by AND/OR, e.g. `MIT OR Apache-2.0`; see https://spdx.org/licenses/".to_owned(),
        };
        out.push(
            doc.error_at(
                &[f("license")],
                Code::InvalidLicense,
                format!("`{l}` is not a valid SPDX expression: {}", e.reason),
            )
            .hint(hint),
        );
    }
}

fn deprecation(
    doc: &FileRef<'_>,
    at: &[Key<'_>],
    d: &Deprecation,
    own: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    if d.message().trim().is_empty() {
        out.push(
            doc.error_at(at, Code::InvalidValue, "the deprecation message is empty")
                .hint("say why, and what to use instead"),
        );
    }
    if let Some(r) = d.replacement() {
        let mut path = at.to_vec();
        path.push(f("replacement"));
        match PluginName::parse(r) {
            Err(e) => out.push(
                doc.error_at(
                    &path,
                    Code::InvalidName,
                    format!("replacement `{r}` is not a valid plugin name: {e}"),
                )
                .hint(name_hint(&e)),
            ),
            Ok(n) if own.is_some_and(|o| crate::format::name::canonical(o) == n.canonical()) => {
                out.push(
                    doc.error_at(
                        &path,
                        Code::UnknownReplacement,
                        "a plugin cannot be replaced by itself",
                    )
                    .hint("name the plugin users should move to"),
                );
            }
            Ok(_) => {}
        }
    }
}

fn name_hint(e: &NameError) -> String {
    match e {
        NameError::TooLong(_) => "shorten the name to 64 characters or fewer".to_owned(),
        _ => "names are ASCII letters, digits, `-` and `_`, starting with a letter, e.g. `markdown-preview`".to_owned(),
    }
}

/// A lowercase DNS name: dot-separated labels of `a-z`, `0-9` and `-`.
pub(crate) fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

pub fn is_github_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A URL as it may appear in a message: any password replaced by `***`.
fn redacted(s: &str) -> String {
    match url::Url::parse(s) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => s.to_owned(),
    }
}

/// An absolute `https` URL with a host and no credentials, that means the
/// same to every reader. Whitespace and control characters are refused (the
/// `url` crate would drop tabs and newlines silently, and in `_redirects` a
/// space starts a new field), and so is `\` (a `/` to the `url` crate and
/// browsers, an escape to nginx). Non-ASCII text is allowed: it is written
/// out percent-encoded ([`normalised_url`]).
fn https_url(s: &str) -> Result<(), &'static str> {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "must not contain whitespace or control characters (percent-encode them, e.g. `%20` for a space)",
        );
    }
    if s.contains('\\') {
        return Err("must not contain `\\` (use `/`, or `%5C` for a backslash)");
    }
    let u = url::Url::parse(s).map_err(|_| "is not a valid URL")?;
    if u.scheme() != "https" {
        return Err("must use `https`");
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("has no host");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("must not carry credentials");
    }
    Ok(())
}

/// A checked external URL as it is published: parsed and written back by
/// the `url` crate, so non-ASCII paths are percent-encoded and hosts are
/// punycode. A URL that does not parse (which `check` refuses) is kept as is.
pub fn normalised_url(s: &str) -> String {
    url::Url::parse(s).map_or_else(|_| s.to_owned(), String::from)
}

/// A relative path that stays inside its base: no leading `/`, no `..`, no `\`.
fn relative_path(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("is empty");
    }
    if s.starts_with('/') || s.contains('\\') || s.contains(':') {
        return Err("must be a relative path with `/` separators");
    }
    if s.split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err("must not contain empty, `.` or `..` segments");
    }
    if s.contains(['?', '#']) || s.chars().any(char::is_whitespace) {
        return Err("must not contain `?`, `#` or whitespace");
    }
    Ok(())
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    out.truncate(MAX_TAG_LEN);
    out.trim_matches('-').to_owned()
}

fn permission_name(p: crate::format::types::Permission) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn method_name(m: Method) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The rules of one artifact table at `path` (`artifact`, or
/// `platforms[i].artifact`); its digest when that is valid.
fn artifact(
    doc: &FileRef<'_>,
    path: &[Key<'_>],
    a: &Artifact,
    reg: &RegistryConfig,
    out: &mut Vec<Diagnostic>,
) -> Option<Sha256> {
    let at = |field: &'static str| -> Vec<Key<'_>> {
        let mut p = path.to_vec();
        p.push(Key::Field(field));
        p
    };
    let name = super::document::path_string(path);
    let url = &a.url;
    if url.contains("://") || url.starts_with("//") {
        if let Err(why) = https_url(url) {
            out.push(doc.error_at(&at("url"), Code::InvalidUrl, format!("`{}.url` {why}: `{}`", name, redacted(url))).hint("use an `https://` URL, or a path relative to the registry's `base_url` for self-hosted artifacts"));
        }
    } else if let Err(why) = relative_path(url) {
        out.push(doc.error_at(&at("url"), Code::InvalidUrl, format!("`{name}.url` {why}: `{url}`")).hint("a relative artifact URL is a plain path under the registry, e.g. `artifacts/name/name-1.0.0.tar.gz`"));
    }
    let sha256 = a.sha256.parse::<Sha256>().map_err(|why| {
        let hint = if why == InvalidSha256::Uppercase {
            "write the digest in lowercase"
        } else {
            "compute it with `sha256sum FILE` (or `shasum -a 256 FILE`) and paste the 64 hex digits"
        };
        out.push(
            doc.error_at(
                &at("sha256"),
                Code::InvalidSha256,
                format!("`{name}.sha256` must be 64 lowercase hex digits"),
            )
            .hint(hint),
        );
    });
    let cap = reg.policy.max_artifact_size;
    if a.size == 0 {
        out.push(
            doc.error_at(&at("size"), Code::InvalidSize, "the artifact size is 0")
                .hint("give the artifact's size in bytes, e.g. from `wc -c < FILE`"),
        );
    } else if a.size > cap {
        out.push(
            doc.error_at(&at("size"), Code::InvalidSize, format!("the artifact is {} bytes; this registry allows at most {cap}", a.size))
                .hint("make the artifact smaller, or ask the registry's maintainers to raise `policy.max_artifact_size`"),
        );
    }
    sha256.ok()
}

/// `artifact` and `[[platforms]]`: a release has an artifact for some
/// platform, each platform artifact is valid, and no two selectors match the
/// same platform (a client could not tell which to take). Returns each
/// platform artifact's digest when valid, in order.
fn platforms(
    doc: &FileRef<'_>,
    v: &VersionManifest,
    reg: &RegistryConfig,
    out: &mut Vec<Diagnostic>,
) -> Vec<Option<Sha256>> {
    let mut digests = Vec::with_capacity(v.platforms.len());
    if v.artifact.is_none() && v.platforms.is_empty() {
        let hint = if v.runtime == Runtime::Native {
            "a native plugin gives one artifact per platform: `[[platforms]]` tables with `os`, `arch` and `artifact = { url, sha256, size }`, or one `[artifact]` for every platform"
        } else {
            "add an `[artifact]` table with `url`, `sha256` and `size` (`plugdex release` writes it)"
        };
        out.push(
            doc.error_at(
                &[],
                Code::MissingArtifact,
                "the release has no artifact: neither `[artifact]` nor `[[platforms]]`",
            )
            .hint(hint),
        );
    }
    for (i, p) in v.platforms.iter().enumerate() {
        let here = [f("platforms"), Key::Index(i)];
        digests.push(self::artifact(
            doc,
            &[f("platforms"), Key::Index(i), f("artifact")],
            &p.artifact,
            reg,
            out,
        ));
        let selector = p.selector();
        if let Some((j, first)) = v.platforms[..i]
            .iter()
            .enumerate()
            .find(|(_, q)| q.selector().overlaps(&selector))
        {
            let first = first.selector();
            let (code, message, hint) = if first == selector {
                (
                    Code::DuplicatePlatform,
                    format!("platform `{selector}` is listed twice (also `platforms[{j}]`)"),
                    "give each platform one artifact: remove one of the two tables".to_owned(),
                )
            } else {
                let (any, one) = if first.arch.is_none() {
                    (first, selector)
                } else {
                    (selector, first)
                };
                (
                    Code::OverlappingPlatforms,
                    format!(
                        "platform `{selector}` overlaps `{first}` (`platforms[{j}]`): both match `{one}`"
                    ),
                    format!(
                        "a table without `arch` serves every CPU of `{any}`; give `arch` to each `{}` table, or keep only one",
                        any.os.as_str()
                    ),
                )
            };
            out.push(doc.error_at(&here, code, message).hint(hint));
        }
    }
    digests
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_inside() {
        assert!(relative_path("artifacts/a/a-1.0.0.tar.gz").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "C:\\x",
            "a b",
            "x?y",
        ] {
            assert!(relative_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_that_readers_would_split_or_reinterpret_are_refused() {
        for bad in [
            "https://e.example/x.tar.gz\\",
            "https://e.example/x.tar.gz 200!",
            "https://e.example/x\t.tar.gz",
            "https://e.example/x.tar.gz\n/evil https://evil.example 200!",
            "https://e.example/a\u{a0}b",
        ] {
            assert!(https_url(bad).is_err(), "{bad:?}");
        }
        assert!(https_url("https://e.example/café.tar.gz").is_ok());
        assert_eq!(
            normalised_url("https://e.example/café \"x\".tar.gz"),
            "https://e.example/caf%C3%A9%20%22x%22.tar.gz"
        );
        assert_eq!(
            normalised_url("https://bücher.example/a.tgz"),
            "https://xn--bcher-kva.example/a.tgz"
        );
    }

    #[test]
    fn https_urls_only() {
        assert!(https_url("https://example.org/x").is_ok());
        assert!(https_url("http://example.org/x").is_err());
        assert!(https_url("https://user:pw@example.org/").is_err());
        assert!(https_url("not a url").is_err());
    }

    #[test]
    fn github_logins() {
        assert!(is_github_login("octo-cat"));
        assert!(is_github_login("a1"));
        for bad in ["", "-a", "a-", "a--b", "a_b", &"a".repeat(40)] {
            assert!(!is_github_login(bad), "{bad}");
        }
    }

    #[test]
    fn dns_names() {
        assert!(is_dns_name("plugins.example.org"));
        assert!(!is_dns_name("Plugins.example.org"));
        assert!(!is_dns_name("a..b"));
    }

    /// Unit tests of the version rules over typed manifests: each case is
    /// one field away from a valid manifest, so no fixture folder is needed.
    const REGISTRY: &str = r#"
id = "plugins.example.org"
title = "T"
description = "D"
base_url = "https://plugins.example.org/"
engine = "app"
[policy]
max_artifact_size = 1000
"#;

    const VERSION: &str = r#"
version = "1.2.0"
engine = ">=1.0.0"
entry = "main.wasm"
runtime = "wasm"
channel = "stable"
permissions = []
[artifact]
url = "artifacts/a/a-1.2.0.tar.gz"
sha256 = "db0835c84178d02d69ea04b3a2710e9404da428abfd0bd5b12ae2f4fee3ab577"
size = 635
"#;

    /// The codes `version` reports for the manifest `VERSION` with `edit`
    /// applied, in file `versions/<stem>.toml`.
    fn version_codes(edit: (&str, &str), stem: &str) -> Vec<Code> {
        let reg: RegistryConfig = toml::from_str(REGISTRY).expect("registry parses");
        let text = VERSION.replacen(edit.0, edit.1, 1);
        let v: VersionManifest = toml::from_str(&text).expect("version parses");
        let file = FileRef {
            path: "plugins/a/versions/x.toml",
        };
        let mut out = Vec::new();
        version(&file, &v, stem, "a", &reg, &mut out);
        out.iter().map(|d| d.code).collect()
    }

    #[test]
    fn a_valid_version_has_no_findings() {
        assert_eq!(version_codes(("", ""), "1.2.0"), Vec::<Code>::new());
    }

    #[test]
    fn each_version_rule_reports_its_own_code() {
        let cases = [
            (
                ("version = \"1.2.0\"", "version = \"1.2\""),
                "1.2",
                Code::InvalidVersion,
            ),
            (("", ""), "1.3.0", Code::VersionMismatch),
            (
                ("entry = \"main.wasm\"", "entry = \"../main.wasm\""),
                "1.2.0",
                Code::InvalidEntry,
            ),
            (
                ("url = \"artifacts", "url = \"http://e.example/artifacts"),
                "1.2.0",
                Code::InvalidUrl,
            ),
            (
                ("sha256 = \"db08", "sha256 = \"DB08"),
                "1.2.0",
                Code::InvalidSha256,
            ),
            (("size = 635", "size = 0"), "1.2.0", Code::InvalidSize),
            (("size = 635", "size = 1001"), "1.2.0", Code::InvalidSize),
        ];
        for (edit, stem, code) in cases {
            let codes = version_codes(edit, stem);
            assert_eq!(codes, vec![code], "{edit:?} in {stem}.toml");
        }
    }
}
