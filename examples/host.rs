//! A host application embedding the plugdex client, as an editor or a game
//! would: it opens a registry, resolves and installs a plugin (and what it
//! needs) into its plugins folder, and lists what is installed. Every HTTP
//! request goes through the host's own `Transport`; this one logs each
//! request and hands it to plugdex's default, where a host would call its
//! own HTTP stack.
//!
//! Build with the client alone: `plugdex = { default-features = false,
//! features = ["client"] }`.
//!
//! ```text
//! cargo run --example host -- https://plugins.example.org/ citations ./plugins
//! ```

use std::error::Error;
use std::path::Path;
use std::sync::{Arc, Mutex};

use plugdex::client::commands::Listed;
use plugdex::client::config::Registry;
use plugdex::client::resolve::{Policy, Request};
use plugdex::client::transport::{self, Response, Transport, TransportError, UreqTransport};
use plugdex::client::{Client, Options};

/// The version of the plugin API this host offers: plugins declaring
/// another engine are not installed.
const ENGINE: semver::Version = semver::Version::new(1, 5, 0);

/// A transport that records `GET url -> status` and delegates to ureq.
#[derive(Default)]
pub struct LoggingTransport {
    inner: UreqTransport,
    log: Mutex<Vec<String>>,
}

impl LoggingTransport {
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }
}

impl Transport for LoggingTransport {
    fn send(&self, request: transport::Request) -> Result<Response, TransportError> {
        // Only the method and URL: the headers may carry the registry's token.
        let asked = format!("{} {}", request.method, request.url);
        let answer = self.inner.send(request);
        let outcome = match &answer {
            Ok(resp) => resp.status.to_string(),
            Err(e) => format!("failed: {e}"),
        };
        self.log
            .lock()
            .expect("log lock")
            .push(format!("{asked} -> {outcome}"));
        answer
    }
}

/// What one run did.
pub struct Hosted {
    /// The names installed by this run (the plugin and its dependencies).
    pub installed: Vec<String>,
    /// Everything in the plugins folder afterwards.
    pub listed: Vec<Listed>,
    /// The requests the transport saw.
    pub requests: Vec<String>,
}

/// Installs `plugin` from the registry at `url` into `dir`, caching HTTP
/// answers in `dir`'s sibling `plugins-cache`.
pub fn run(url: &str, plugin: &str, dir: &Path) -> Result<Hosted, Box<dyn Error>> {
    let transport = Arc::new(LoggingTransport::default());
    let cache = dir.with_file_name("plugins-cache");
    let options = Options::new(Registry::new(url)?, dir)
        .cache_dir(Some(cache))
        .policy(Policy {
            engine: Some(ENGINE),
            ..Policy::default()
        });
    let client = Client::with_transport(options, Arc::clone(&transport))?;

    // Plan first (verify signatures, download nothing): a host would show
    // `plan.changes` with their permissions and ask before applying.
    let plan = client.plan_install(&[Request::parse(plugin)?])?;
    let report = client.apply(plan)?;
    Ok(Hosted {
        installed: report.changes.into_iter().map(|c| c.name).collect(),
        listed: client.list()?,
        requests: transport.log(),
    })
}

#[allow(dead_code)] // the tests include this file as a module and call `run`
fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, plugin, dir] = args.as_slice() else {
        return Err("usage: host REGISTRY_URL PLUGIN PLUGINS_DIR".into());
    };
    let hosted = run(url, plugin, Path::new(dir))?;
    for line in &hosted.requests {
        eprintln!("http: {line}");
    }
    println!("installed: {}", hosted.installed.join(", "));
    for p in &hosted.listed {
        println!("{} {} (from {})", p.name, p.vers, p.registry);
    }
    Ok(())
}
