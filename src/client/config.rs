//! Which registry to use and how: `--registry`, then the environment, then
//! the config file (`$PLUGDEX_CONFIG`, else `$XDG_CONFIG_HOME/plugdex/config.toml`,
//! else `~/.config/plugdex/config.toml`):
//!
//! ```toml
//! default = "inkwell"                      # used when no --registry is given
//!
//! [registries.inkwell]
//! url = "https://plugins.inkwell.example/"
//! root_keys = ["2NnyqCvq…="]               # pinned; without it, trust on first use
//! threshold = 1
//!
//! [registries.acme]                        # a private registry
//! url = "https://plugins.acme.internal/"
//! token = "…"                              # or PLUGDEX_TOKEN_ACME; sent as Authorization
//! ```
//!
//! Environment: `PLUGDEX_REGISTRY` (a name or a URL) overrides `default`;
//! `PLUGDEX_TOKEN_<NAME>` (upper case, `-` as `_`) overrides a registry's
//! token. `parse` and `select` are pure; only `read` touches the disk.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The name of the registry used without `--registry`.
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub registries: BTreeMap<String, RegistryEntry>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntry {
    pub url: String,
    #[serde(default)]
    pub token: Option<String>,
    /// Root keys to pin (raw base64); empty: pinned on first use.
    #[serde(default)]
    pub root_keys: Vec<String>,
    #[serde(default)]
    pub threshold: Option<u32>,
}

/// A secret sent as the `Authorization` header; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(secret: String) -> Token {
        Token(secret)
    }

    /// The header value: the token as given when it names a scheme
    /// (`Basic …`, `Bearer …`), else `Bearer {token}`.
    pub fn header_value(&self) -> String {
        if self.0.contains(' ') {
            self.0.clone()
        } else {
            format!("Bearer {}", self.0)
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The registry a command talks to.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Registry {
    /// Its name in the config file, when it has one.
    pub name: Option<String>,
    /// Base URL, ending with `/`.
    pub url: String,
    pub token: Option<Token>,
    /// Root keys pinned in the config file (raw base64) and their threshold.
    pub root_keys: Vec<String>,
    pub threshold: Option<u32>,
}

impl Registry {
    /// The registry at `url` (http or https; a missing final `/` is added),
    /// with no name, no token and root keys pinned on first use; set the
    /// public fields for more.
    pub fn new(url: &str) -> Result<Registry, ConfigError> {
        Ok(Registry {
            name: None,
            url: normalise_url(url)?,
            token: None,
            root_keys: Vec::new(),
            threshold: None,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a valid plugdex config: {why}")]
    Syntax { path: PathBuf, why: String },
    #[error(
        "no registry given: pass `--registry URL`, set `PLUGDEX_REGISTRY`, or set `default` in `{path}`"
    )]
    NoRegistry { path: String },
    #[error("no registry named `{name}` in `{path}`{}", suggest(.known))]
    UnknownName {
        name: String,
        path: String,
        known: Vec<String>,
    },
    #[error("`{url}` is not an http:// or https:// URL")]
    BadUrl { url: String },
}

fn suggest(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (configured: {})", known.join(", "))
    }
}

/// Where the config file is, from the environment.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("PLUGDEX_CONFIG")
        .map(PathBuf::from)
        .or_else(|| xdg(env, "XDG_CONFIG_HOME", ".config").map(|d| d.join("config.toml")))
}

/// Where the HTTP cache is: `$PLUGDEX_CACHE_DIR`, `$XDG_CACHE_HOME/plugdex`, `~/.cache/plugdex`.
pub fn default_cache_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("PLUGDEX_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| xdg(env, "XDG_CACHE_HOME", ".cache"))
}

/// `$xdg/plugdex`, else `~/{home_dir}/plugdex`.
fn xdg(env: &dyn Fn(&str) -> Option<String>, xdg: &str, home_dir: &str) -> Option<PathBuf> {
    let base = env(xdg)
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(home_dir)))?;
    Some(base.join("plugdex"))
}

impl ConfigFile {
    /// The pure twin of `read`.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            why: e.to_string(),
        })
    }

    /// Reads the file; a missing file is an empty config.
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => ConfigFile::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The registry for `flag` (a name or URL from `--registry`), else
    /// `PLUGDEX_REGISTRY`, else `default`. `path` only names the file in errors.
    pub fn select(
        &self,
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
        path: &str,
    ) -> Result<Registry, ConfigError> {
        let wanted = flag
            .map(str::to_owned)
            .or_else(|| env("PLUGDEX_REGISTRY"))
            .or_else(|| self.default.clone())
            .ok_or_else(|| ConfigError::NoRegistry {
                path: path.to_owned(),
            })?;
        let (name, entry) = if wanted.contains("://") {
            let url = normalise_url(&wanted)?;
            match self
                .registries
                .iter()
                .find(|(_, e)| normalise_url(&e.url).is_ok_and(|u| u == url))
            {
                Some((n, e)) => (Some(n.clone()), e.clone()),
                None => (
                    None,
                    RegistryEntry {
                        url,
                        token: None,
                        root_keys: Vec::new(),
                        threshold: None,
                    },
                ),
            }
        } else {
            let entry = self
                .registries
                .get(&wanted)
                .ok_or_else(|| ConfigError::UnknownName {
                    name: wanted.clone(),
                    path: path.to_owned(),
                    known: self.registries.keys().cloned().collect(),
                })?;
            (Some(wanted.clone()), entry.clone())
        };
        let env_token = name.as_deref().and_then(|n| env(&token_var(n)));
        Ok(Registry {
            url: normalise_url(&entry.url)?,
            token: env_token.or(entry.token).map(Token::new),
            root_keys: entry.root_keys,
            threshold: entry.threshold,
            name,
        })
    }
}

/// `PLUGDEX_TOKEN_<NAME>`.
pub fn token_var(name: &str) -> String {
    format!(
        "PLUGDEX_TOKEN_{}",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

fn normalise_url(url: &str) -> Result<String, ConfigError> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.split("://").nth(1).is_some_and(|rest| !rest.is_empty());
    if !ok {
        return Err(ConfigError::BadUrl {
            url: url.to_owned(),
        });
    }
    Ok(if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
default = "inkwell"
[registries.inkwell]
url = "https://plugins.inkwell.example"
root_keys = ["AAAA"]
threshold = 1
[registries.acme-corp]
url = "https://plugins.acme.internal/"
token = "from-file"
"#;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn file() -> ConfigFile {
        ConfigFile::parse(FILE, Path::new("c.toml")).expect("parses")
    }

    #[test]
    fn the_flag_beats_the_environment_which_beats_the_default() {
        let none = env(&[]);
        let r = file().select(None, &none, "c.toml").unwrap();
        assert_eq!(r.url, "https://plugins.inkwell.example/");
        assert_eq!(r.root_keys, ["AAAA"]);
        let e = env(&[("PLUGDEX_REGISTRY", "acme-corp")]);
        assert_eq!(
            file().select(None, &e, "c.toml").unwrap().name.as_deref(),
            Some("acme-corp")
        );
        let r = file()
            .select(Some("http://127.0.0.1:9/x"), &e, "c.toml")
            .unwrap();
        assert_eq!((r.name, r.url), (None, "http://127.0.0.1:9/x/".to_owned()));
        // A URL that matches a configured registry gets its settings.
        let r = file()
            .select(Some("https://plugins.acme.internal"), &none, "c.toml")
            .unwrap();
        assert_eq!(r.name.as_deref(), Some("acme-corp"));
    }

    #[test]
    fn tokens_come_from_the_environment_first_and_are_never_printed() {
        let e = env(&[("PLUGDEX_TOKEN_ACME_CORP", "s3cret")]);
        let r = file().select(Some("acme-corp"), &e, "c.toml").unwrap();
        let token = r.token.clone().expect("token");
        assert_eq!(token.header_value(), "Bearer s3cret");
        assert!(!format!("{r:?}").contains("s3cret"));
        let r = file()
            .select(Some("acme-corp"), &env(&[]), "c.toml")
            .unwrap();
        assert_eq!(r.token.unwrap().header_value(), "Bearer from-file");
        assert_eq!(Token::new("Basic abc".into()).header_value(), "Basic abc");
    }

    #[test]
    fn mistakes_are_named() {
        let none = env(&[]);
        let err = file().select(Some("inkwel"), &none, "c.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no registry named `inkwel` in `c.toml` (configured: acme-corp, inkwell)"
        );
        assert!(matches!(
            ConfigFile::default().select(None, &none, "c.toml"),
            Err(ConfigError::NoRegistry { .. })
        ));
        assert!(matches!(
            file().select(Some("ftp://x"), &none, "c.toml"),
            Err(ConfigError::BadUrl { .. })
        ));
        assert!(matches!(
            ConfigFile::parse("defualt = 1", Path::new("c.toml")),
            Err(ConfigError::Syntax { .. })
        ));
        let e = env(&[("HOME", "/home/u")]);
        assert_eq!(
            default_path(&e).unwrap(),
            Path::new("/home/u/.config/plugdex/config.toml")
        );
        assert_eq!(
            default_cache_dir(&e).unwrap(),
            Path::new("/home/u/.cache/plugdex")
        );
    }
}
