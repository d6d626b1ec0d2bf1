//! The files the client reads from its own folders, which any local program
//! can write: the lock file, the state file, the config file, a cache
//! entry's validators, and a `NAME@REQ` request from the command line.
//!
//! Input: files joined by `SEP`: `plugdex.lock`, the state file, the config
//! file, a cache `.meta` file, a request. A lock or state file that parses
//! must read back equal from the text plugdex writes for it.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use plugdex::client::cache::Validators;
use plugdex::client::config::ConfigFile;
use plugdex::client::lock::Lock;
use plugdex::client::resolve::Request;
use plugdex::client::state::State;
use plugdex_fuzz::Sections;

fuzz_target!(|data: &[u8]| {
    let s = Sections::split(data);
    if let Ok(lock) = Lock::parse(&s.text(0)) {
        let text = lock.to_text();
        let back = Lock::parse(&text)
            .unwrap_or_else(|e| panic!("plugdex cannot read its own lock file {text:?}: {e}"));
        assert_eq!(back, lock);
        let names: Vec<String> = lock
            .plugins
            .iter()
            .take(2)
            .map(|p| p.name.clone())
            .collect();
        let _ = lock.without(&names);
        let _ = lock.versions();
    }
    if let Ok(state) = State::parse(&s.text(1)) {
        let text = state.to_text();
        let back = State::parse(&text)
            .unwrap_or_else(|e| panic!("plugdex cannot read its own state file {text:?}: {e}"));
        assert_eq!(back, state);
    }
    if let Ok(config) = ConfigFile::parse(&s.text(2), Path::new("config.toml")) {
        let request = s.text(4);
        let env = |_: &str| None;
        for flag in [None, Some(request.as_str())] {
            let _ = config.select(flag, &env, "config.toml");
        }
    }
    if let Some(v) = Validators::parse(&s.text(3), "https://plugins.example/index/2/md") {
        let _ = v.conditional();
    }
    let _ = Request::parse(&s.text(4));
});
