//! What the client remembers about each registry between runs, in a small
//! JSON file beside the plugins folder: the root keys it pinned (on first
//! use, unless the config file pins them) and the highest timestamp version
//! it accepted, so an older timestamp is refused as a rollback. `parse` is
//! the pure twin of reading it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the state file.
pub const STATE_V: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub v: u32,
    /// By registry base URL.
    #[serde(default)]
    pub registries: BTreeMap<String, RegistryState>,
}

impl Default for State {
    fn default() -> State {
        State {
            v: STATE_V,
            registries: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryState {
    /// The registry's id, as its root keys signed it.
    pub id: String,
    /// Pinned root keys, raw base64.
    pub root_keys: Vec<String>,
    pub threshold: u32,
    /// The highest `timestamp.json` version accepted.
    pub timestamp_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the state file is not valid: {0}")]
    Syntax(String),
    #[error("the state file has format version {0}; this plugdex reads version {STATE_V} only")]
    NewerFormat(u32),
}

impl State {
    pub fn parse(text: &str) -> Result<State, StateError> {
        let state: State =
            serde_json::from_str(text).map_err(|e| StateError::Syntax(e.to_string()))?;
        if state.v != STATE_V {
            return Err(StateError::NewerFormat(state.v));
        }
        Ok(state)
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).expect("state serialises") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_versions() {
        let mut s = State::default();
        s.registries.insert(
            "http://r/".into(),
            RegistryState {
                id: "r".into(),
                root_keys: vec!["k".into()],
                threshold: 1,
                timestamp_version: 5,
            },
        );
        assert_eq!(State::parse(&s.to_text()), Ok(s));
        assert_eq!(
            State::parse("{\"v\":2,\"registries\":{}}"),
            Err(StateError::NewerFormat(2))
        );
        assert!(matches!(State::parse("[]"), Err(StateError::Syntax(_))));
    }
}
