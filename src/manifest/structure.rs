//! Walks a parsed TOML document against the JSON Schema generated from the
//! Rust types, reporting every structural problem at once: unknown and missing
//! fields (with "did you mean"), wrong types, values outside an enum or range.
//!
//! Only the schema keywords schemars emits for our types are understood.

use std::ops::Range;

use serde_json::{Map, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::document::Document;
use crate::diagnostic::{Code, Diagnostic};

/// Checks `doc` against `schema`; returns the problems found, sorted by position.
pub fn check(doc: &Document<'_>, schema: &'static Value) -> Vec<Diagnostic> {
    let mut w = Walker {
        doc,
        root: schema,
        out: Vec::new(),
    };
    let span = doc.root.span();
    w.table(&mut Vec::new(), doc.root.get_ref(), span, schema);
    w.out
}

struct Walker<'d, 'a> {
    doc: &'d Document<'a>,
    root: &'static Value,
    out: Vec<Diagnostic>,
}

impl Walker<'_, '_> {
    fn value(&mut self, path: &mut Vec<String>, v: &Spanned<DeValue<'_>>, schema: &'static Value) {
        let schema = self.resolve(schema);
        if let Some(names) = const_strings(schema) {
            return self.string_enum(path, v, &names);
        }
        if let Some(branches) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
            let branches = branches.as_array().map(Vec::as_slice).unwrap_or_default();
            return self.any_of(path, v, branches);
        }
        if let Some(c) = schema.get("const") {
            if !matches_const(v.get_ref(), c) {
                self.push_value(
                    path,
                    v.span(),
                    Code::InvalidValue,
                    format!("`{}` must be {}", dotted(path), c),
                    None,
                );
            }
            return;
        }
        if !type_matches(v.get_ref(), schema) {
            let expected = describe(schema, self);
            let found = toml_type(v.get_ref());
            let hint = match v.get_ref() {
                DeValue::String(s) if expected.contains("integer") && s.parse::<u64>().is_ok() => {
                    Some("remove the quotes: numbers are written without them".to_owned())
                }
                _ => None,
            };
            self.push_value(
                path,
                v.span(),
                Code::WrongType,
                format!("`{}` must be {expected}, found {found}", dotted(path)),
                hint,
            );
            return;
        }
        match v.get_ref() {
            DeValue::Table(t) => self.table(path, t, v.span(), schema),
            DeValue::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        path.push(format!("[{i}]"));
                        self.value(path, item, item_schema);
                        path.pop();
                    }
                }
            }
            // Only the integer's machine range is structural; limits such as
            // `minLength` or `minimum` are in the schema for editors, and the
            // rules enforce them with specific codes and hints.
            DeValue::Integer(i) => {
                let n = i128::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok();
                let range = match schema.get("format").and_then(Value::as_str) {
                    Some("uint32") => Some((0, i128::from(u32::MAX))),
                    Some("uint64") => Some((0, i128::from(u64::MAX))),
                    _ => None,
                };
                if let (Some(n), Some((lo, hi))) = (n, range) {
                    let problem = if n < lo {
                        Some("cannot be negative".to_owned())
                    } else if n > hi {
                        Some(format!("is too large (at most {hi})"))
                    } else {
                        None
                    };
                    if let Some(problem) = problem {
                        self.push_value(
                            path,
                            v.span(),
                            Code::InvalidValue,
                            format!("`{}` {problem}", dotted(path)),
                            None,
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// A closed set of strings: schemars writes `enum`, or `oneOf` of `const`s
    /// when the variants carry descriptions.
    fn string_enum(&mut self, path: &[String], v: &Spanned<DeValue<'_>>, names: &[&'static str]) {
        let DeValue::String(s) = v.get_ref() else {
            let found = toml_type(v.get_ref());
            self.push_value(
                path,
                v.span(),
                Code::WrongType,
                format!(
                    "`{}` must be one of {}, found {found}",
                    dotted(path),
                    list(names)
                ),
                None,
            );
            return;
        };
        if !names.contains(&s.as_ref()) {
            let hint = match suggest(s, names.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("use one of {}", list(names)),
            };
            self.push_value(
                path,
                v.span(),
                Code::InvalidValue,
                format!(
                    "`{}` must be one of {}; found `{s}`",
                    dotted(path),
                    list(names)
                ),
                Some(hint),
            );
        }
    }

    fn resolve(&self, mut schema: &'static Value) -> &'static Value {
        // `$ref` is always local (`#/$defs/Name`) in generated schemas.
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            match self.root.get("$defs").and_then(|d| d.get(name)) {
                Some(t) => schema = t,
                None => break,
            }
        }
        schema
    }

    fn any_of(
        &mut self,
        path: &mut Vec<String>,
        v: &Spanned<DeValue<'_>>,
        branches: &'static [Value],
    ) {
        if path.last().is_some_and(|p| p == "yanked")
            && matches!(v.get_ref(), DeValue::Boolean(true))
        {
            let hint = Some(
                "write the reason instead of `true`, e.g. `yanked = \"corrupt artifact\"`"
                    .to_owned(),
            );
            return self.push_value(
                path,
                v.span(),
                Code::InvalidValue,
                "`yanked = true` does not say why the version was yanked".to_owned(),
                hint,
            );
        }
        let mut best: Option<Vec<Diagnostic>> = None;
        for b in branches {
            let mut sub = Walker {
                doc: self.doc,
                root: self.root,
                out: Vec::new(),
            };
            sub.value(path, v, b);
            if sub.out.is_empty() {
                return;
            }
            // A branch whose type matches gives the most precise report.
            let resolved = self.resolve(b);
            if type_matches(v.get_ref(), resolved) && best.is_none() {
                best = Some(sub.out);
            }
        }
        match best {
            Some(diags) => self.out.extend(diags),
            None => {
                let expected: Vec<String> = branches
                    .iter()
                    .map(|b| describe(self.resolve(b), self))
                    .collect();
                let hint = Some(format!("write {}", expected.join(" or ")));
                self.push_value(
                    path,
                    v.span(),
                    Code::WrongType,
                    format!(
                        "`{}` must be {}, found {}",
                        dotted(path),
                        expected.join(" or "),
                        toml_type(v.get_ref())
                    ),
                    hint,
                );
            }
        }
    }

    fn table(
        &mut self,
        path: &mut Vec<String>,
        t: &DeTable<'_>,
        span: Range<usize>,
        schema: &'static Value,
    ) {
        static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        let additional = schema.get("additionalProperties");
        for (k, v) in t {
            let key = k.get_ref().as_ref();
            path.push(key.to_owned());
            if let Some(s) = props.get(key) {
                self.value(path, v, s);
            } else {
                match additional {
                    Some(Value::Bool(false)) => {
                        let hint = match suggest(key, props.keys().map(String::as_str)) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => {
                                let names: Vec<&str> = props.keys().map(String::as_str).collect();
                                format!("allowed here: {}", list(&names))
                            }
                        };
                        let where_ = if path.len() > 1 {
                            format!(" in `{}`", dotted(&path[..path.len() - 1]))
                        } else {
                            String::new()
                        };
                        self.out.push(
                            self.doc
                                .source
                                .error(
                                    k.span(),
                                    Code::UnknownField,
                                    format!("unknown field `{key}`{where_}"),
                                )
                                .hint(hint),
                        );
                    }
                    Some(s @ Value::Object(_)) => self.value(path, v, s),
                    _ => {}
                }
            }
            path.pop();
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if t.get(r).is_none() {
                    let where_ = if path.is_empty() {
                        "the file".to_owned()
                    } else {
                        format!("`{}`", dotted(path))
                    };
                    let hint = props
                        .get(r)
                        .and_then(|p| {
                            self.resolve(p)
                                .get("description")
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        })
                        .or_else(|| {
                            props
                                .get(r)
                                .and_then(|p| p.get("description"))
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        })
                        .map(|d| format!("add `{r}`: {d}"))
                        .unwrap_or_else(|| format!("add `{r}`"));
                    // At the top level, point at the first key rather than a leading comment.
                    let at = if path.is_empty() {
                        first_content(self.doc.source.text)
                    } else {
                        span.clone()
                    };
                    self.out.push(
                        self.doc
                            .source
                            .error(
                                at,
                                Code::MissingField,
                                format!("missing required field `{r}` in {where_}"),
                            )
                            .hint(hint),
                    );
                }
            }
        }
    }

    fn push_value(
        &mut self,
        _path: &[String],
        span: Range<usize>,
        code: Code,
        message: String,
        hint: Option<String>,
    ) {
        let mut d = self.doc.source.error(span, code, message);
        d.hint = hint;
        self.out.push(d);
    }
}

fn first_content(text: &str) -> Range<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if !t.is_empty() && !t.starts_with('#') {
            let start = offset + (line.len() - t.len());
            return start..start + t.trim_end().len();
        }
        offset += line.len();
    }
    0..0
}

fn const_strings(schema: &'static Value) -> Option<Vec<&'static str>> {
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        return e.iter().map(Value::as_str).collect();
    }
    let branches = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))?
        .as_array()?;
    branches
        .iter()
        .map(|b| b.get("const").and_then(Value::as_str))
        .collect()
}

fn dotted(path: &[String]) -> String {
    let mut s = String::new();
    for p in path {
        if !p.starts_with('[') && !s.is_empty() {
            s.push('.');
        }
        s.push_str(p);
    }
    s
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn suggest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_lowercase();
    candidates
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(3) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

fn toml_type(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn json_type_matches(v: &DeValue<'_>, ty: &str) -> bool {
    matches!(
        (v, ty),
        (DeValue::String(_), "string")
            | (DeValue::Integer(_), "integer" | "number")
            | (DeValue::Float(_), "number")
            | (DeValue::Boolean(_), "boolean")
            | (DeValue::Array(_), "array")
            | (DeValue::Table(_), "object")
    )
}

fn type_matches(v: &DeValue<'_>, schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => json_type_matches(v, t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .any(|t| json_type_matches(v, t)),
        _ => match schema.get("const") {
            Some(c) => matches_const(v, c),
            None => true,
        },
    }
}

fn matches_const(v: &DeValue<'_>, c: &Value) -> bool {
    match (v, c) {
        (DeValue::Boolean(b), Value::Bool(cb)) => b == cb,
        (DeValue::String(s), Value::String(cs)) => s == cs,
        _ => false,
    }
}

fn describe(schema: &'static Value, w: &Walker<'_, '_>) -> String {
    if let Some(c) = schema.get("const") {
        return format!("`{c}`");
    }
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        return branches
            .iter()
            .map(|b| describe(w.resolve(b), w))
            .collect::<Vec<_>>()
            .join(" or ");
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("a value"),
        _ => "a value",
    };
    match ty {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean",
        "array" => "an array",
        "object" => "a table",
        _ => "a value",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::document::SourceFile;
    use crate::manifest::schema::FileKind;

    fn run(kind: FileKind, text: &str) -> Vec<(String, u32, String, Option<String>)> {
        let doc = Document::parse(SourceFile {
            path: "f.toml",
            text,
        })
        .unwrap();
        check(&doc, kind.schema())
            .into_iter()
            .map(|d| {
                (
                    d.code.as_str().to_owned(),
                    d.pos.map_or(0, |p| p.line),
                    d.message,
                    d.hint,
                )
            })
            .collect()
    }

    const PLUGIN: &str =
        "name = \"a\"\ndescription = \"d\"\nlicense = \"MIT\"\n[[owners]]\ngithub = \"x\"\n";

    #[test]
    fn valid_plugin_has_no_structural_problems() {
        assert!(run(FileKind::Plugin, PLUGIN).is_empty());
    }

    #[test]
    fn unknown_field_suggests_the_close_one() {
        let text = PLUGIN.replace("license", "licence");
        let r = run(FileKind::Plugin, &text);
        assert!(
            r.iter().any(|(c, l, m, h)| c == "unknown-field"
                && *l == 3
                && m.contains("`licence`")
                && h.as_deref() == Some("did you mean `license`?")),
            "{r:?}"
        );
        assert!(
            r.iter()
                .any(|(c, _, m, _)| c == "missing-field" && m.contains("`license`")),
            "{r:?}"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = "name = 1\ndescription = \"d\"\nlicense = \"MIT\"\ntags = \"x\"\nowners = []\nfoo = 1\n";
        let codes: Vec<String> = run(FileKind::Plugin, text)
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(
            codes.iter().filter(|c| *c == "wrong-type").count(),
            2,
            "{codes:?}"
        );
        assert!(codes.contains(&"unknown-field".to_owned()));
    }

    #[test]
    fn enum_values_get_suggestions() {
        let text = "version = \"1.0.0\"\nengine = \"^1\"\nentry = \"m\"\nruntime = \"wsam\"\n[artifact]\nurl = \"a\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\nsize = 1\n";
        let r = run(FileKind::Version, text);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].0, "invalid-value");
        assert_eq!(r[0].3.as_deref(), Some("did you mean `wasm`?"));
    }

    #[test]
    fn yanked_true_is_explained() {
        let text = "version = \"1.0.0\"\nengine = \"^1\"\nentry = \"m\"\nruntime = \"wasm\"\nyanked = true\n[artifact]\nurl = \"a\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\nsize = 1\n";
        let r = run(FileKind::Version, text);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].3.as_deref().unwrap().contains("reason"), "{r:?}");
    }

    #[test]
    fn quoted_numbers_hint_at_the_quotes() {
        let text = "version = \"1.0.0\"\nengine = \"^1\"\nentry = \"m\"\nruntime = \"wasm\"\n[artifact]\nurl = \"a\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\nsize = \"12\"\n";
        let r = run(FileKind::Version, text);
        assert_eq!(r[0].0, "wrong-type");
        assert!(r[0].3.as_deref().unwrap().contains("quotes"));
    }
}
