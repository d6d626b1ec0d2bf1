//! The theme's files: the stylesheet (the shared base, then the chosen
//! theme's look) and the one script, under content-hashed names so hosts can
//! cache them forever.

use crate::digest;
use crate::emit::OutFile;

/// Layout and components, shared by every theme; a theme sets the colours
/// and type it reads (themes/README.md).
pub const BASE: &str = include_str!("../../themes/base.css");
/// The built-in themes: name and stylesheet (what goes after the base).
pub const THEMES: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default/site.css")),
    ("paper", include_str!("../../themes/paper/site.css")),
];
/// Shared by every theme: the theme toggle, `/` to search, "Works with", search-as-you-type.
pub const SCRIPT: &str = include_str!("../../themes/site.js");
pub const ICON: &str = include_str!("../../themes/icon.svg");
/// Where the assets go.
pub const STATIC_DIR: &str = "static/";

/// The assets of one build, with the paths pages link them by.
#[derive(Debug, Clone)]
pub struct Assets {
    pub css: String,
    pub js: String,
    pub icon: String,
    pub files: Vec<OutFile>,
}

impl Assets {
    pub fn new(css: &str) -> Assets {
        let mut files = Vec::new();
        let mut add = |stem: &str, ext: &str, text: &str| {
            let hash = digest::hex(&digest::sha256(text.as_bytes()));
            let path = format!("{STATIC_DIR}{stem}.{}.{ext}", &hash[..12]);
            files.push(OutFile {
                path: path.clone(),
                bytes: text.as_bytes().to_vec(),
            });
            path
        };
        let css = add("site", "css", css);
        let js = add("site", "js", SCRIPT);
        let icon = add("icon", "svg", ICON);
        Assets {
            css,
            js,
            icon,
            files,
        }
    }
}

/// The one stylesheet pages link: the base, then the theme, so a theme's
/// rules win over the base's.
pub fn stylesheet(base: &str, theme: &str) -> String {
    let mut css = String::with_capacity(base.len() + theme.len() + 1);
    css.push_str(base);
    if !base.is_empty() && !base.ends_with('\n') {
        css.push('\n');
    }
    css.push_str(theme);
    css
}

/// The built-in stylesheet of `theme`.
pub fn builtin_theme(theme: &str) -> Option<&'static str> {
    THEMES
        .iter()
        .find(|(n, _)| *n == theme)
        .map(|(_, css)| *css)
}
