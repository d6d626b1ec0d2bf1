//! `build`: check the index, date each version from git, emit every file and
//! hand them to the atomic writer. Emitting fans out over plugins with rayon;
//! the model is immutable from there on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::check::{self, Checked};
use crate::emit::{self, Context};
use crate::model::{Registry, Release};
use crate::source::history::{History, HistoryError, Origin};
use crate::source::{ArtifactError, IndexSource, SourceError};
use crate::write::{Summary, WriteError, Writer};

#[derive(Debug, Clone)]
pub struct Options {
    pub index: PathBuf,
    pub out: PathBuf,
    /// Overrides `registry.toml`'s `base_url` (previews, mirrors, tests).
    pub base_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("`--base-url` must be an absolute `http` or `https` URL: `{0}`")]
    BaseUrl(String),
    #[error("the self-hosted artifact `{path}` changed while building: {why}")]
    Artifact { path: String, why: String },
}

/// What a build did.
#[derive(Debug)]
pub struct Report {
    pub checked: Checked,
    /// `None` when the index has errors and nothing was written.
    pub built: Option<Built>,
}

#[derive(Debug)]
pub struct Built {
    pub summary: Summary,
    pub origin: Origin,
    /// Versions dated from git history (the rest used the fallback rule).
    pub dated_from_git: usize,
    pub elapsed: Duration,
}

pub fn build(opts: &Options, progress: &ProgressBar) -> Result<Report, BuildError> {
    let started = Instant::now();
    let base_url = opts
        .base_url
        .as_deref()
        .map(normalise_base_url)
        .transpose()?;
    let mut checked = check::check_index(&opts.index)?;
    let Some(mut registry) = checked.registry.take() else {
        return Ok(Report {
            checked,
            built: None,
        });
    };
    let history = History::read(&opts.index)?;
    let mut dated_from_git = 0;
    for plugin in &mut registry.plugins {
        for release in &mut plugin.releases {
            let (time, from_git) = history.pubtime(&release.file, &opts.index);
            release.pubtime = time;
            dated_from_git += usize::from(from_git);
        }
    }
    let cx = Context {
        base_url: base_url.unwrap_or_else(|| registry.config.base_url.clone()),
    };
    let writer = Writer::open(&opts.out)?;
    let source = IndexSource::open(&opts.index)?;
    progress.set_length(registry.plugins.len() as u64);
    write_all(&registry, &cx, &source, &writer, progress)?;
    let summary = writer.commit()?;
    progress.finish_and_clear();
    Ok(Report {
        checked,
        built: Some(Built {
            summary,
            origin: history.origin,
            dated_from_git,
            elapsed: started.elapsed(),
        }),
    })
}

fn write_all(
    registry: &Registry,
    cx: &Context,
    source: &IndexSource,
    writer: &Writer,
    progress: &ProgressBar,
) -> Result<(), BuildError> {
    for file in emit::registry(registry, cx) {
        writer.put(&file.path, &file.bytes)?;
    }
    registry.plugins.par_iter().try_for_each(|plugin| {
        for file in emit::plugin(plugin, cx) {
            writer.put(&file.path, &file.bytes)?;
        }
        progress.inc(1);
        Ok::<(), BuildError>(())
    })?;
    // Two releases may share one artifact: copy each content-addressed file once.
    let artifacts: BTreeMap<String, &Release> = registry
        .plugins
        .iter()
        .flat_map(|p| &p.releases)
        .filter(|r| r.parsed.manifest.artifact.is_self_hosted())
        .map(|r| (emit::artifact_path(r), r))
        .collect();
    artifacts.par_iter().try_for_each(|(path, release)| {
        let art = &release.parsed.manifest.artifact;
        let bytes = source
            .read_artifact(&art.url, art.size)
            .map_err(|e: ArtifactError| BuildError::Artifact {
                path: art.url.clone(),
                why: e.to_string(),
            })?;
        // `check` verified it; a file swapped since then must not be published.
        if crate::digest::hex(&crate::digest::sha256(&bytes)) != art.sha256 {
            return Err(BuildError::Artifact {
                path: art.url.clone(),
                why: "its SHA-256 no longer matches the manifest".into(),
            });
        }
        writer.put(path, &bytes)?;
        Ok(())
    })
}

/// An absolute `http(s)` URL ending with `/`.
fn normalise_base_url(raw: &str) -> Result<String, BuildError> {
    let url = url::Url::parse(raw).map_err(|_| BuildError::BaseUrl(raw.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(BuildError::BaseUrl(raw.to_owned()));
    }
    let mut s = url.to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

/// Writes the changed paths, one per line, for a CDN invalidation.
pub fn write_changed_list(path: &Path, summary: &Summary) -> std::io::Result<()> {
    let mut text = String::new();
    for p in &summary.changed {
        text.push('/');
        text.push_str(p);
        text.push('\n');
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        assert_eq!(
            normalise_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            normalise_base_url("https://x.example/reg/").unwrap(),
            "https://x.example/reg/"
        );
        assert!(normalise_base_url("ftp://x.example/").is_err());
        assert!(normalise_base_url("/relative/").is_err());
    }
}
