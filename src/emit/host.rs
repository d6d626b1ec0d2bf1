//! Host configuration beside the files: `_headers` and `_redirects` (read by
//! Netlify, Cloudflare Pages and `plugdex serve`) and `_nginx.conf`, a snippet
//! for nginx. One table of rules feeds all three, so they cannot disagree.

use std::fmt::Write;

use super::api::download_path;
use super::{Listing, OutFile, Shape};

pub const HEADERS_FILE: &str = "_headers";
pub const REDIRECTS_FILE: &str = "_redirects";
pub const NGINX_FILE: &str = "_nginx.conf";

/// Index, API and list files change with every publication: clients revalidate after five minutes.
pub const SHORT_CACHE: &str = "public, max-age=300";
/// Content-addressed files never change.
pub const IMMUTABLE_CACHE: &str = "public, max-age=31536000, immutable";
/// Sparse index files are JSON lines.
pub const INDEX_CONTENT_TYPE: &str = "application/x-ndjson; charset=utf-8";

/// Content types of artifact files by extension; nginx's stock `mime.types`
/// lacks some of them.
pub const ARTIFACT_TYPES: &[(&str, &str)] = &[
    ("gz", "application/gzip"),
    ("tgz", "application/gzip"),
    ("zip", "application/zip"),
    ("wasm", "application/wasm"),
];

/// The site's Content-Security-Policy: nothing inline, nothing from
/// elsewhere but README images over `https`; the search engine may compile
/// WebAssembly, start a worker and fetch its index, all from the site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https:; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers every response carries.
const COMMON: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    // On every response, not only pages: a JSON document or an artifact
    // opened in a browser gets no script either.
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    // The registry is public; host applications running in a browser may read it.
    ("Access-Control-Allow-Origin", "*"),
];

/// `(path pattern, extra headers)`; a trailing `*` matches any rest of the path.
const RULES: &[(&str, &[(&str, &str)])] = &[
    ("/config.json", &[("Cache-Control", SHORT_CACHE)]),
    ("/names.json", &[("Cache-Control", SHORT_CACHE)]),
    ("/names/*", &[("Cache-Control", SHORT_CACHE)]),
    (
        "/index/*",
        &[
            ("Cache-Control", SHORT_CACHE),
            ("Content-Type", INDEX_CONTENT_TYPE),
        ],
    ),
    ("/api/*", &[("Cache-Control", SHORT_CACHE)]),
    // Same paths, new bytes when plugdex's formats widen.
    ("/schemas/*", &[("Cache-Control", SHORT_CACHE)]),
    ("/artifacts/*", &[("Cache-Control", IMMUTABLE_CACHE)]),
    // The search bundle and the browser's engine, worker and module, all
    // content-addressed. No Content-Type here: the module and the worker must
    // be served as JavaScript, so each file's comes from its extension
    // (`.tantivy`: the default, application/octet-stream).
    ("/search/*", &[("Cache-Control", IMMUTABLE_CACHE)]),
    // The site's stylesheet, script and icon have content-hashed names.
    ("/static/*", &[("Cache-Control", IMMUTABLE_CACHE)]),
];

/// The API's documents by their paths without `.json` (`/api/v1/plugins/NAME`,
/// `…/versions`, `…/versions/VERSION`, `…/audit`, the list): rewrites, in
/// `_redirects`' placeholder syntax, that hosts apply only where no file is
/// (a `….json` path is served as it is). nginx does the same with
/// `try_files $uri $uri.json`.
pub const API_REWRITES: &[(&str, &str)] = &[
    ("/api/v1/plugins", "/api/v1/plugins.json"),
    ("/api/v1/plugins/:name", "/api/v1/plugins/:name.json"),
    (
        "/api/v1/plugins/:name/versions",
        "/api/v1/plugins/:name/versions.json",
    ),
    (
        "/api/v1/plugins/:name/versions/:version",
        "/api/v1/plugins/:name/versions/:version.json",
    ),
    (
        "/api/v1/plugins/:name/audit",
        "/api/v1/plugins/:name/audit.json",
    ),
];

/// Bytes percent-encoded in a URL or path written into a host file: all but
/// printable ASCII, and what the files give a meaning to — whitespace
/// separates `_redirects` fields (`200!` after a space forces a proxy), `"`
/// and `\` end or escape an nginx string, `$` starts an nginx variable, and
/// `;` `{` `}` `'` `` ` `` are nginx syntax. `%` is kept: it starts an escape
/// already. Each is the same URL to a client, percent-encoded or not.
const HOST_FILE_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'\'')
    .add(b'\\')
    .add(b'$')
    .add(b';')
    .add(b'{')
    .add(b'}')
    .add(b'`');

/// `url` as a host file (or a `Location` header) may carry it: one token of
/// printable ASCII with nothing a reader of `_redirects` or nginx would act on.
pub fn host_safe(url: &str) -> String {
    percent_encoding::utf8_percent_encode(url, HOST_FILE_ESCAPED).to_string()
}

/// `(from, to)` of every redirect: each plugin's download path to its latest stable artifact.
fn redirects(listings: &[&Listing]) -> Vec<(String, String)> {
    listings
        .iter()
        .filter_map(|l| {
            let url = l.download.clone()?;
            Some((format!("/{}", download_path(&l.name)), url))
        })
        .collect()
}

pub(super) fn emit(listings: &[&Listing], shape: Shape, files: &mut Vec<OutFile>) {
    files.extend(host_files_of(&redirects(listings), shape));
}

/// The rewrites of [`API_REWRITES`] to documents `shape` has.
fn api_rewrites(shape: Shape) -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    API_REWRITES
        .iter()
        .filter(move |(from, _)| shape.version_documents || !from.ends_with("/:version"))
}

/// `_headers`, `_redirects` and `_nginx.conf` for `redirects` (`(from, to)`).
/// Every path and URL is made [`host_safe`] here, once for all three files;
/// `_headers` holds only this module's constants.
pub fn host_files(redirects: &[(String, String)]) -> Vec<OutFile> {
    host_files_of(
        redirects,
        Shape {
            version_documents: true,
        },
    )
}

fn host_files_of(redirects: &[(String, String)], shape: Shape) -> Vec<OutFile> {
    let redirects: Vec<(String, String)> = redirects
        .iter()
        .map(|(from, to)| (host_safe(from), host_safe(to)))
        .collect();
    let mut files = Vec::new();

    let mut headers = String::from(
        "# Generated by plugdex: cache and content-type rules (Netlify / Cloudflare Pages format).\n",
    );
    headers.push_str("/*\n");
    for (k, v) in COMMON {
        let _ = writeln!(headers, "  {k}: {v}");
    }
    for (pattern, extra) in RULES {
        let _ = writeln!(headers, "{pattern}");
        for (k, v) in *extra {
            let _ = writeln!(headers, "  {k}: {v}");
        }
    }

    let mut redirect_file = String::from(
        "# Generated by plugdex: each plugin's download path to its latest stable artifact,\n\
         # then the API's paths without `.json` (rewrites, status 200).\n",
    );
    for (from, to) in &redirects {
        let _ = writeln!(redirect_file, "{from} {to} 302");
    }
    for (from, to) in api_rewrites(shape) {
        let _ = writeln!(redirect_file, "{from} {to} 200");
    }

    files.push(OutFile {
        path: HEADERS_FILE.to_owned(),
        bytes: headers.into_bytes(),
    });
    files.push(OutFile {
        path: REDIRECTS_FILE.to_owned(),
        bytes: redirect_file.into_bytes(),
    });
    files.push(OutFile {
        path: NGINX_FILE.to_owned(),
        bytes: nginx(&redirects).into_bytes(),
    });
    files
}

/// The nginx snippet. nginx drops inherited `add_header`s in any block that
/// sets its own, so every location repeats the common headers.
fn nginx(redirects: &[(String, String)]) -> String {
    let mut s = String::from(
        "# Generated by plugdex. Include it inside the `server` block that serves this\n\
         # folder, after `include mime.types;`:\n\
         #     root /srv/registry;  include /srv/registry/_nginx.conf;\n",
    );
    let common = |s: &mut String, extra: &[(&str, &str)]| {
        for (k, v) in COMMON.iter().chain(extra.iter()) {
            if *k == "Content-Type" {
                continue;
            }
            let _ = writeln!(s, "    add_header {k} \"{v}\" always;");
        }
    };
    // The site's own page for paths that hold nothing.
    s.push_str("error_page 404 /404.html;\ncharset utf-8;\n");
    s.push_str("location / {\n");
    common(&mut s, &[]);
    s.push_str("}\n");
    for (pattern, extra) in RULES {
        match pattern.strip_suffix('*') {
            Some(prefix) => {
                let _ = writeln!(s, "location ^~ {prefix} {{");
            }
            None => {
                let _ = writeln!(s, "location = {pattern} {{");
            }
        }
        if *pattern == "/artifacts/*" {
            s.push_str("    types {\n");
            for (ext, ct) in ARTIFACT_TYPES {
                let _ = writeln!(s, "        {ct} {ext};");
            }
            s.push_str("    }\n    default_type application/octet-stream;\n");
        }
        if *pattern == "/api/*" {
            // The API's paths without `.json`, as `_redirects`' rewrites serve them.
            s.push_str("    try_files $uri $uri.json =404;\n");
        }
        if let Some((_, ct)) = extra.iter().find(|(k, _)| *k == "Content-Type") {
            // Index files have no extension: give them their type outright.
            let _ = writeln!(s, "    types {{ }}\n    default_type \"{ct}\";");
        }
        common(&mut s, extra);
        s.push_str("}\n");
    }
    s.push_str("# Host configuration is not content.\n");
    s.push_str("location ~ ^/_(headers|redirects|nginx\\.conf)$ {\n    return 404;\n}\n");
    for (from, to) in redirects {
        let _ = writeln!(s, "location = {from} {{");
        common(&mut s, &[("Cache-Control", SHORT_CACHE)]);
        // `to` is host_safe: no `"` to end the string, `\` to escape or `$` to expand.
        let _ = writeln!(s, "    return 302 \"{to}\";\n}}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "https://e.example/x.tar.gz\\",
        "https://e.example/x.tar.gz /evil 200!",
        "https://e.example/x\t.tar.gz",
        "https://e.example/x\n/evil https://evil.example 200!",
        "https://e.example/caf\u{e9}.tar.gz",
        "https://e.example/a\"b$host;c{d}'e`f\r",
    ];

    #[test]
    fn host_safe_leaves_one_printable_token() {
        for url in HOSTILE {
            let safe = host_safe(url);
            assert!(
                safe.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"\"'\\$;{}`".contains(&b)),
                "{url:?} -> {safe}"
            );
        }
        assert_eq!(
            host_safe("https://e.example/a b\\"),
            "https://e.example/a%20b%5C"
        );
        // What is safe already is written as it is.
        let plain = "https://downloads.example.org/x-1.0.0.tar.gz?sig=a%2Fb&x=1#f";
        assert_eq!(host_safe(plain), plain);
    }

    #[test]
    fn redirects_file_has_three_fields_a_line() {
        let redirects: Vec<(String, String)> = HOSTILE
            .iter()
            .enumerate()
            .map(|(i, u)| (format!("/p{i}/download"), (*u).to_owned()))
            .collect();
        let files = host_files(&redirects);
        let text = String::from_utf8(files[1].bytes.clone()).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), HOSTILE.len() + API_REWRITES.len());
        for (i, line) in lines.iter().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "{line}");
            // The redirects, then the API's rewrites.
            let status = if i < HOSTILE.len() { "302" } else { "200" };
            assert_eq!(fields[2], status, "{line}");
        }
    }
}
