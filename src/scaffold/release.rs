//! `plugdex release NAME VERSION --artifact FILE|URL`: the version manifest
//! an author would otherwise write by hand: the artifact's size and
//! SHA-256 (a file copied into `artifacts/NAME/`, a URL downloaded under the
//! registry's size cap), the `#:schema` line at the right depth, and the
//! release facts carried over from the previous version unless given.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::{ScaffoldError, schema_line, write_new};
use crate::check::change::fetch::{Download, DownloadError};
use crate::digest;
use crate::format::name::PluginName;
use crate::format::types::{
    Artifact, Channel, PlatformArtifact, Runtime, Selector, VersionManifest, Yanked,
};
use crate::manifest::schema::FileKind;
use crate::source::PLUGINS_DIR;

/// Where the artifact comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactSource {
    /// Self-hosted: copied into the index's `artifacts/NAME/`.
    File(PathBuf),
    /// External: an `https` URL, downloaded once for its size and digest.
    Url(String),
}

impl ArtifactSource {
    /// `PLATFORM=FILE|URL` (`linux-x86_64=dist/a.tar.gz`) or `FILE|URL`.
    /// A prefix before `=` without `/` or `:` must be a platform.
    pub fn parse_for_platform(given: &str) -> Result<(Option<Selector>, ArtifactSource), String> {
        match given.split_once('=') {
            Some((platform, rest)) if !platform.contains(['/', ':', '\\']) => {
                let selector = platform.parse::<Selector>()?;
                Ok((Some(selector), ArtifactSource::parse(rest)))
            }
            _ => Ok((None, ArtifactSource::parse(given))),
        }
    }

    /// `https://…` (or any `scheme://`) is a URL, anything else a file path.
    pub fn parse(given: &str) -> ArtifactSource {
        if given.contains("://") {
            ArtifactSource::Url(given.to_owned())
        } else {
            ArtifactSource::File(PathBuf::from(given))
        }
    }
}

/// What `release` writes; `None` facts come from the previous version.
#[derive(Debug, Clone)]
pub struct Release {
    pub index: PathBuf,
    pub name: String,
    pub version: String,
    /// The artifacts: one for every platform (`None`), or one per platform,
    /// or both (the plain one then serves the platforms not listed).
    pub artifacts: Vec<(Option<Selector>, ArtifactSource)>,
    /// The SemVer requirement on the host engine.
    pub engine: Option<String>,
    pub entry: Option<String>,
    pub runtime: Option<Runtime>,
}

/// What `release` wrote.
#[derive(Debug)]
pub struct Released {
    /// `plugins/…/versions/VERSION.toml`.
    pub manifest: PathBuf,
    /// The self-hosted copies, of the artifacts that are files.
    pub copied: Vec<PathBuf>,
    /// The artifacts as written, the plain one first.
    pub artifacts: Vec<(Option<Selector>, Artifact)>,
}

pub fn release(opts: &Release, download: &dyn Download) -> Result<Released, ScaffoldError> {
    let refused = |m: String| ScaffoldError::Refused(m);
    let name = PluginName::parse(&opts.name)
        .map_err(|e| refused(format!("`{}` is not a valid plugin name: {e}", opts.name)))?;
    let version = semver::Version::parse(&opts.version).map_err(|e| {
        refused(format!(
            "`{}` is not a SemVer version ({e}), e.g. `1.2.0`",
            opts.version
        ))
    })?;
    let config = crate::sign::read_registry(&opts.index).map_err(|_| {
        refused(format!(
            "`{}` has no valid `registry.toml`; run `plugdex check --index {}`",
            opts.index.display(),
            opts.index.display()
        ))
    })?;
    let folder = name.folder();
    let plugin_dir = opts.index.join(PLUGINS_DIR).join(&folder);
    if !plugin_dir.join("plugin.toml").is_file() {
        return Err(refused(format!(
            "there is no plugin `{name}` in `{}`; add it with `plugdex new {name}` first",
            opts.index.display()
        )));
    }
    let versions = plugin_dir.join("versions");
    let manifest_path = versions.join(format!("{version}.toml"));
    if manifest_path.exists() {
        return Err(ScaffoldError::Exists(manifest_path));
    }
    let previous = previous_release(&versions, &version)?;
    let fact = |given: &Option<String>, carried: Option<&String>, flag: &str| {
        given.clone().or_else(|| carried.cloned()).ok_or_else(|| {
            refused(format!(
                "`{name}` has no earlier release to carry `{flag}` over from; pass `--{flag}`"
            ))
        })
    };
    let engine = fact(&opts.engine, previous.as_ref().map(|p| &p.engine), "engine")?;
    let entry = fact(&opts.entry, previous.as_ref().map(|p| &p.entry), "entry")?;
    let runtime = opts
        .runtime
        .or(previous.as_ref().map(|p| p.runtime))
        .ok_or_else(|| {
            refused(format!(
                "`{name}` has no earlier release to carry `runtime` over from; pass `--runtime`"
            ))
        })?;

    let cap = config.policy.max_artifact_size;
    let mut sources = opts.artifacts.clone();
    sources.sort_by_key(|(selector, _)| *selector);
    let (mut single, mut platforms, mut copied) = (None, Vec::new(), Vec::new());
    for (i, (selector, source)) in sources.iter().enumerate() {
        if sources[..i].iter().any(|(s, _)| s == selector) {
            let what = selector.map_or_else(|| "every platform".to_owned(), |s| s.to_string());
            return Err(refused(format!(
                "two artifacts are given for {what}; give one each"
            )));
        }
        let artifact = match source {
            ArtifactSource::File(file) => {
                let (artifact, dest) = self_hosted(&opts.index, name.as_str(), file, cap)?;
                copied.push(dest);
                artifact
            }
            ArtifactSource::Url(url) => external(url, cap, download)?,
        };
        match selector {
            None => single = Some(artifact),
            Some(s) => platforms.push(PlatformArtifact {
                os: s.os,
                arch: s.arch,
                artifact,
            }),
        }
    }
    let (permissions, dependencies, capabilities) = previous
        .map(|p| (p.permissions, p.dependencies, p.capabilities))
        .unwrap_or_default();
    let manifest = VersionManifest {
        version: version.to_string(),
        engine,
        entry,
        runtime,
        channel: if version.pre.is_empty() {
            Channel::Stable
        } else {
            Channel::Beta
        },
        permissions,
        artifact: single,
        platforms,
        dependencies,
        capabilities,
        yanked: Yanked::default(),
        deprecated: None,
        signature: None,
    };
    let body = toml::to_string(&manifest)
        .map_err(|e| refused(format!("cannot write the version manifest: {e}")))?;
    let depth = 2 + folder.split('/').count();
    let text = format!(
        "{}\n{body}",
        schema_line(depth, FileKind::Version.schema_file())
    );
    write_new(&manifest_path, text.as_bytes())?;
    Ok(Released {
        manifest: manifest_path,
        copied,
        artifacts: manifest
            .artifacts()
            .map(|(selector, a)| (selector, a.clone()))
            .collect(),
    })
}

/// The highest version below `version` already in `versions/`, parsed: the
/// facts a new release usually shares with it.
fn previous_release(
    versions: &Path,
    version: &semver::Version,
) -> Result<Option<VersionManifest>, ScaffoldError> {
    let Ok(entries) = std::fs::read_dir(versions) else {
        return Ok(None);
    };
    let best = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let file = e.file_name().into_string().ok()?;
            let v = semver::Version::parse(file.strip_suffix(".toml")?).ok()?;
            (v < *version).then_some((v, e.path()))
        })
        .max_by(|a, b| a.0.cmp(&b.0));
    let Some((_, path)) = best else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ScaffoldError::Read {
        path: path.clone(),
        source,
    })?;
    toml::from_str(&text).map(Some).map_err(|e| {
        ScaffoldError::Refused(format!(
            "`{}` does not parse ({e}); fix it (`plugdex check`) or pass every fact as a flag",
            path.display()
        ))
    })
}

/// Copies `file` to `artifacts/NAME/FILE_NAME` (an identical copy already
/// there is kept) and describes it.
fn self_hosted(
    index: &Path,
    name: &str,
    file: &Path,
    cap: u64,
) -> Result<(Artifact, PathBuf), ScaffoldError> {
    let read = |source| ScaffoldError::Read {
        path: file.to_owned(),
        source,
    };
    let handle = std::fs::File::open(file).map_err(read)?;
    let mut bytes = Vec::new();
    handle.take(cap + 1).read_to_end(&mut bytes).map_err(read)?;
    if bytes.len() as u64 > cap {
        return Err(ScaffoldError::Refused(format!(
            "`{}` is larger than the registry's `policy.max_artifact_size` ({cap} bytes)",
            file.display()
        )));
    }
    if bytes.is_empty() {
        return Err(ScaffoldError::Refused(format!(
            "`{}` is empty; an artifact has at least one byte",
            file.display()
        )));
    }
    let file_name = file
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.starts_with('.'))
        .ok_or_else(|| {
            ScaffoldError::Refused(format!(
                "`{}` has no usable file name (UTF-8, not a dot-file)",
                file.display()
            ))
        })?;
    let rel = format!("artifacts/{name}/{file_name}");
    let dest = index.join(&rel);
    match std::fs::read(&dest) {
        Ok(existing) if existing == bytes => {}
        Ok(_) => return Err(ScaffoldError::Exists(dest)),
        Err(_) => write_new(&dest, &bytes)?,
    }
    let artifact = Artifact {
        url: rel,
        sha256: digest::hex(&digest::sha256(&bytes)),
        size: bytes.len() as u64,
    };
    Ok((artifact, dest))
}

/// Downloads `url` (at most `cap` bytes) for its size and digest.
fn external(url: &str, cap: u64, download: &dyn Download) -> Result<Artifact, ScaffoldError> {
    if !url.starts_with("https://") {
        return Err(ScaffoldError::Refused(format!(
            "`{url}`: an external artifact must be an `https` URL; give a file to self-host it"
        )));
    }
    let bytes = fetch(url, cap, download)?;
    Ok(Artifact {
        url: url.to_owned(),
        sha256: digest::hex(&digest::sha256(&bytes)),
        size: bytes.len() as u64,
    })
}

/// The body at `url`, refused past `cap` bytes or empty.
pub fn fetch(url: &str, cap: u64, download: &dyn Download) -> Result<Vec<u8>, ScaffoldError> {
    let bytes = download.download(url, cap).map_err(|e| {
        ScaffoldError::Refused(match e {
            DownloadError::TooLarge => format!(
                "`{url}` is larger than the registry's `policy.max_artifact_size` ({cap} bytes)"
            ),
            DownloadError::NotFound { message } | DownloadError::Failed { message } => {
                format!("cannot download the artifact: {message}")
            }
        })
    })?;
    if bytes.is_empty() {
        return Err(ScaffoldError::Refused(format!(
            "`{url}` answered with an empty body; an artifact has at least one byte"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback server answering every request with `body`.
    fn serve(body: Vec<u8>) -> String {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}/a.tar.gz", server.server_addr().to_ip().unwrap());
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let _ = request.respond(tiny_http::Response::from_data(body.clone()));
            }
        });
        url
    }

    #[test]
    fn a_download_is_capped_and_hashed_over_real_http() {
        let download =
            crate::check::change::fetch::over_http(crate::check::change::fetch::Limits {
                timeout: std::time::Duration::from_secs(10),
            });
        let url = serve(b"artifact bytes".to_vec());
        let bytes = fetch(&url, 1024, &*download).unwrap();
        assert_eq!(bytes, b"artifact bytes");
        let err = fetch(&url, 5, &*download).unwrap_err().to_string();
        assert!(
            err.contains("larger than") && err.contains("(5 bytes)"),
            "{err}"
        );
        let empty = serve(Vec::new());
        let err = fetch(&empty, 1024, &*download).unwrap_err().to_string();
        assert!(err.contains("empty body"), "{err}");
    }

    #[test]
    fn platform_artifact_sources() {
        let linux: Selector = "linux-x86_64".parse().unwrap();
        assert_eq!(
            ArtifactSource::parse_for_platform("linux-x86_64=dist/a.tar.gz"),
            Ok((Some(linux), ArtifactSource::File("dist/a.tar.gz".into())))
        );
        assert_eq!(
            ArtifactSource::parse_for_platform("macos=https://e.example/a.zip?x=1"),
            Ok((
                Some("macos".parse().unwrap()),
                ArtifactSource::Url("https://e.example/a.zip?x=1".into())
            ))
        );
        // `=` after a `/` or in a URL's query is part of the path.
        assert_eq!(
            ArtifactSource::parse_for_platform("https://e.example/a.zip?x=1"),
            Ok((
                None,
                ArtifactSource::Url("https://e.example/a.zip?x=1".into())
            ))
        );
        assert_eq!(
            ArtifactSource::parse_for_platform("dist/a=b.zip"),
            Ok((None, ArtifactSource::File("dist/a=b.zip".into())))
        );
        let err = ArtifactSource::parse_for_platform("linx-x86_64=a.zip").unwrap_err();
        assert!(err.contains("did you mean `linux`"), "{err}");
    }

    #[test]
    fn artifact_sources() {
        assert_eq!(
            ArtifactSource::parse("https://e.example/a.zip"),
            ArtifactSource::Url("https://e.example/a.zip".into())
        );
        assert_eq!(
            ArtifactSource::parse("dist/a.zip"),
            ArtifactSource::File("dist/a.zip".into())
        );
    }
}
