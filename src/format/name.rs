//! Plugin names: the validated newtype, its canonical form, its shard path and
//! its confusable skeleton.

use std::fmt;

/// Longest allowed plugin name, in characters.
pub const MAX_NAME_LEN: usize = 64;

/// Names nobody may register: Windows device names (they break checkouts on
/// Windows) and the top-level folders of the built registry.
pub const BUILTIN_RESERVED: &[&str] = &[
    "con",
    "prn",
    "aux",
    "nul",
    "com0",
    "com1",
    "com2",
    "com3",
    "com4",
    "com5",
    "com6",
    "com7",
    "com8",
    "com9",
    "lpt0",
    "lpt1",
    "lpt2",
    "lpt3",
    "lpt4",
    "lpt5",
    "lpt6",
    "lpt7",
    "lpt8",
    "lpt9",
    "api",
    "index",
    "static",
    "search",
    "plugins",
    "by-hash",
    "artifacts",
    "config",
    "schemas",
    "plugdex",
];

/// Why a string is not a valid plugin name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong(usize),
    FirstNotLetter(char),
    InvalidChar(char),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => write!(f, "the name is empty"),
            NameError::TooLong(n) => {
                write!(
                    f,
                    "the name has {n} characters; at most {MAX_NAME_LEN} are allowed"
                )
            }
            NameError::FirstNotLetter(c) => {
                write!(
                    f,
                    "the name starts with {c:?}; it must start with an ASCII letter"
                )
            }
            NameError::InvalidChar(c) => write!(
                f,
                "the name contains {c:?}; only ASCII letters, digits, `-` and `_` are allowed"
            ),
        }
    }
}

/// A plugin name that passed [`PluginName::parse`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PluginName(String);

impl PluginName {
    pub fn parse(s: &str) -> Result<PluginName, NameError> {
        let mut chars = s.chars();
        let first = chars.next().ok_or(NameError::Empty)?;
        if !first.is_ascii_alphabetic() {
            return Err(NameError::FirstNotLetter(first));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(NameError::InvalidChar(bad));
        }
        if s.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong(s.len()));
        }
        Ok(PluginName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lowercase, `_` as `-`: two names with the same canonical form are the same plugin.
    pub fn canonical(&self) -> String {
        canonical(&self.0)
    }

    /// The look-alike skeleton: names with equal skeletons are confusable.
    pub fn skeleton(&self) -> String {
        skeleton(&self.0)
    }

    /// The shard folders for this name (without the name itself), e.g. `he/ll`.
    pub fn shard(&self) -> String {
        shard(&self.canonical())
    }

    /// Path of this plugin's folder under `plugins/`, e.g. `he/ll/hello-world`.
    pub fn folder(&self) -> String {
        format!("{}/{}", self.shard(), self.0)
    }

    /// Path of this plugin's sparse index file, e.g. `he/ll/hello-world` (canonical, lowercase).
    pub fn index_path(&self) -> String {
        let canonical = self.canonical();
        format!("{}/{}", shard(&canonical), canonical)
    }

    pub fn is_builtin_reserved(&self) -> bool {
        let c = self.canonical();
        BUILTIN_RESERVED.contains(&c.as_str())
    }
}

impl fmt::Display for PluginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lowercase, `_` as `-`.
/// [`canonical`] without an allocation when `name` already is canonical,
/// as nearly every name is: lookups by a million dependency names stay cheap.
pub fn canonical_cow(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b == b'_' || b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(canonical(name))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

pub fn canonical(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// The shard folders of a canonical (lowercase ASCII) name, as in cargo's
/// sparse index: `1`, `2`, `3/a`, `ab/cd`.
pub fn shard(canonical: &str) -> String {
    match canonical.len() {
        0 => String::new(),
        1 => "1".to_owned(),
        2 => "2".to_owned(),
        3 => format!("3/{}", &canonical[..1]),
        _ => format!("{}/{}", &canonical[..2], &canonical[2..4]),
    }
}

/// The canonical name with separators removed and look-alike characters folded.
pub fn skeleton(name: &str) -> String {
    let folded: String = canonical(name)
        .chars()
        .filter(|c| *c != '-')
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            '5' => 's',
            other => other,
        })
        .collect();
    folded
        .replace("rn", "m")
        .replace("vv", "w")
        .replace("cl", "d")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_parse() {
        for n in ["a", "hello-world", "Hello_World", "x1", &"a".repeat(64)] {
            assert!(PluginName::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn invalid_names_are_refused_with_reason() {
        assert_eq!(PluginName::parse(""), Err(NameError::Empty));
        assert_eq!(
            PluginName::parse("1abc"),
            Err(NameError::FirstNotLetter('1'))
        );
        assert_eq!(
            PluginName::parse("../../etc"),
            Err(NameError::FirstNotLetter('.'))
        );
        assert_eq!(PluginName::parse("héllo"), Err(NameError::InvalidChar('é')));
        assert_eq!(PluginName::parse("a b"), Err(NameError::InvalidChar(' ')));
        assert_eq!(
            PluginName::parse(&"a".repeat(65)),
            Err(NameError::TooLong(65))
        );
    }

    #[test]
    fn shard_paths_follow_cargo() {
        let p = |s: &str| PluginName::parse(s).unwrap();
        assert_eq!(p("a").folder(), "1/a");
        assert_eq!(p("ab").folder(), "2/ab");
        assert_eq!(p("abc").folder(), "3/a/abc");
        assert_eq!(p("hello-world").folder(), "he/ll/hello-world");
        assert_eq!(p("Hello_World").folder(), "he/ll/Hello_World");
        assert_eq!(p("Hello_World").index_path(), "he/ll/hello-world");
    }

    #[test]
    fn skeletons_fold_look_alikes() {
        assert_eq!(skeleton("he11o"), skeleton("hello"));
        assert_eq!(skeleton("modern"), skeleton("modem"));
        assert_eq!(skeleton("g0-fmt"), skeleton("gofmt"));
        assert_ne!(skeleton("hello"), skeleton("help"));
    }

    #[test]
    fn builtin_reserved_is_case_insensitive() {
        assert!(PluginName::parse("NUL").unwrap().is_builtin_reserved());
        assert!(!PluginName::parse("nullable").unwrap().is_builtin_reserved());
    }
}
