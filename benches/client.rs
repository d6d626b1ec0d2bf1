//! Client figures: requests and bytes to plan an install cold (empty cache)
//! and again warm (what `update` costs when nothing changed), against a
//! registry already served at a URL. `benches/client.sh` builds and serves
//! the registries and runs this; alone it does nothing:
//!
//! ```sh
//! cargo bench --bench client -- http://127.0.0.1:8000/ NAME...
//! ```
//!
//! Planning does everything an install does before downloading the artifact:
//! config, root, timestamp, snapshot walk, index files of the plugin and its
//! dependencies, resolution and author signatures. The artifact adds one
//! request of the size its index line names.

use std::time::{Duration, Instant};

use plugdex::client::config::Registry;
use plugdex::client::resolve::{Policy, Request};
use plugdex::client::{Client, Options};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some((url, names)) = args.split_first() else {
        eprintln!("usage: cargo bench --bench client -- URL NAME... (see benches/client.sh)");
        return;
    };
    println!(
        "{:<28} {:<6} {:>9} {:>10} {:>8} {:>12} {:>8}",
        "plugin", "cache", "requests", "200/304", "bytes", "cache hits", "ms"
    );
    for name in names {
        let home = tempfile::tempdir().expect("tempdir");
        for cache in ["cold", "warm"] {
            let registry = Registry::new(url).expect("a registry URL");
            let client = Client::new(
                Options::new(registry, home.path().join("plugins"))
                    .cache_dir(Some(home.path().join("cache")))
                    .policy(Policy {
                        allow_experimental: true,
                        ..Policy::default()
                    })
                    .timeout(Duration::from_secs(30)),
            )
            .expect("client");
            let started = Instant::now();
            let plan = client
                .plan_install(&[Request::parse(name).expect("a plugin name")])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let ms = started.elapsed().as_millis();
            let s = client.stats();
            println!(
                "{:<28} {:<6} {:>9} {:>10} {:>8} {:>12} {:>8}   ({} plugins resolved)",
                name,
                cache,
                s.requests,
                format!("{}/{}", s.ok, s.not_modified),
                s.bytes,
                s.cache_hits,
                ms,
                plan.changes.len()
            );
        }
    }
}
