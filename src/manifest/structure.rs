//! Walks a parsed TOML document against the JSON Schema generated from the
//! Rust types, reporting every structural problem at once: unknown and missing
//! fields (with "did you mean"), wrong types, values outside an enum.
//!
//! The schema is compiled once into [`Compiled`] nodes, so the walk does no
//! JSON lookups. Only the keywords schemars emits for our types are
//! understood. Value limits (`minLength`, `maxItems`, `minimum`...) are in the
//! schema for editors; the rules enforce them with specific codes and hints.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::document::{Document, Key, path_string};
use super::schema::FileKind;
use crate::diagnostic::{Code, Diagnostic};

/// Checks `doc` against the schema of `kind`; returns the problems found.
pub fn check(doc: &Document<'_>, kind: FileKind) -> Vec<Diagnostic> {
    static COMPILED: LazyLock<[Compiled; FileKind::ALL.len()]> =
        LazyLock::new(|| FileKind::ALL.map(|k| Compiled::new(k.schema())));
    let compiled = &COMPILED[FileKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)];
    let mut w = Walker {
        doc,
        schema: compiled,
        out: Vec::new(),
    };
    let span = doc.root.span();
    w.table(&mut Vec::new(), doc.root.get_ref(), span, compiled.root);
    w.out
}

const T_STRING: u8 = 1;
const T_INTEGER: u8 = 2;
const T_NUMBER: u8 = 4;
const T_BOOLEAN: u8 = 8;
const T_ARRAY: u8 = 16;
const T_OBJECT: u8 = 32;
/// TOML has no null: a `null` branch (from `Option`) matches nothing.
const T_NULL: u8 = 64;

#[derive(Debug, Default)]
struct Node {
    /// Allowed TOML types as `T_*` bits; 0 allows any.
    types: u8,
    constant: Option<&'static Value>,
    /// A closed set of strings (`enum`, or `oneOf` of string `const`s).
    strings: Option<Vec<&'static str>>,
    any_of: Vec<usize>,
    props: Vec<(&'static str, usize)>,
    required: Vec<&'static str>,
    /// `Some(None)`: unknown keys are errors; `Some(Some(n))`: they follow node `n`.
    additional: Option<Option<usize>>,
    items: Option<usize>,
    uint_max: Option<i128>,
    description: Option<&'static str>,
    /// How the node reads in a message: "a string", "`false` or a string".
    label: String,
}

/// A schema compiled into an arena of nodes; `$ref`s become indexes.
#[derive(Debug)]
struct Compiled {
    nodes: Vec<Node>,
    root: usize,
}

impl Compiled {
    fn new(schema: &'static Value) -> Compiled {
        let mut c = Compiled {
            nodes: Vec::new(),
            root: 0,
        };
        let mut refs = HashMap::new();
        c.root = c.compile(schema, schema, &mut refs);
        c
    }

    fn compile(
        &mut self,
        root: &'static Value,
        s: &'static Value,
        refs: &mut HashMap<&'static str, usize>,
    ) -> usize {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            if let Some(&id) = refs.get(name) {
                return id;
            }
            if let Some(target) = root.get("$defs").and_then(|d| d.get(name)) {
                let id = self.nodes.len();
                self.nodes.push(Node::default());
                refs.insert(name, id);
                let node = self.build(root, target, refs);
                self.nodes[id] = node;
                return id;
            }
        }
        let node = self.build(root, s, refs);
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn build(
        &mut self,
        root: &'static Value,
        s: &'static Value,
        refs: &mut HashMap<&'static str, usize>,
    ) -> Node {
        let mut n = Node {
            description: s.get("description").and_then(Value::as_str),
            constant: s.get("const"),
            ..Node::default()
        };
        let names: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for t in &names {
            n.types |= match *t {
                "string" => T_STRING,
                "integer" => T_INTEGER,
                "number" => T_NUMBER | T_INTEGER,
                "boolean" => T_BOOLEAN,
                "array" => T_ARRAY,
                "object" => T_OBJECT,
                "null" => T_NULL,
                _ => 0,
            };
        }
        n.strings = const_strings(s);
        if n.strings.is_none()
            && let Some(branches) = s
                .get("anyOf")
                .or_else(|| s.get("oneOf"))
                .and_then(Value::as_array)
        {
            n.any_of = branches
                .iter()
                .map(|b| self.compile(root, b, refs))
                .collect();
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            n.props = props
                .iter()
                .map(|(k, v)| (k.as_str(), self.compile(root, v, refs)))
                .collect();
        }
        n.required = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        n.additional = match s.get("additionalProperties") {
            Some(Value::Bool(false)) => Some(None),
            Some(a @ Value::Object(_)) => Some(Some(self.compile(root, a, refs))),
            _ => None,
        };
        n.items = s.get("items").map(|i| self.compile(root, i, refs));
        n.uint_max = match s.get("format").and_then(Value::as_str) {
            Some("uint32") => Some(i128::from(u32::MAX)),
            Some("uint64") => Some(i128::from(u64::MAX)),
            _ => None,
        };
        n.label = if let Some(c) = n.constant {
            format!("`{c}`")
        } else if let Some(strings) = &n.strings {
            format!("one of {}", list(strings))
        } else if !n.any_of.is_empty() {
            n.any_of
                .iter()
                .map(|&b| {
                    self.nodes
                        .get(b)
                        .map(|x| x.label.clone())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" or ")
        } else {
            match names.iter().find(|t| **t != "null").copied().unwrap_or("") {
                "string" => "a string",
                "integer" => "an integer",
                "number" => "a number",
                "boolean" => "a boolean",
                "array" => "an array",
                "object" => "a table",
                _ => "a value",
            }
            .to_owned()
        };
        n
    }
}

struct Walker<'d, 'a> {
    doc: &'d Document<'a>,
    schema: &'static Compiled,
    out: Vec<Diagnostic>,
}

impl<'t> Walker<'_, '_> {
    fn node(&self, id: usize) -> &'static Node {
        &self.schema.nodes[id]
    }

    fn value(&mut self, path: &mut Vec<Key<'t>>, v: &'t Spanned<DeValue<'t>>, id: usize) {
        let node = self.node(id);
        if let Some(names) = &node.strings {
            return self.string_enum(path, v, names);
        }
        if !node.any_of.is_empty() {
            return self.any_of(path, v, node);
        }
        if let Some(c) = node.constant {
            if !matches_const(v.get_ref(), c) {
                self.push(
                    v.span(),
                    Code::InvalidValue,
                    format!("`{}` must be {}", path_string(path), node.label),
                    None,
                );
            }
            return;
        }
        if !type_matches(v.get_ref(), node) {
            let hint = match v.get_ref() {
                DeValue::String(s) if node.types & T_INTEGER != 0 && s.parse::<u64>().is_ok() => {
                    Some("remove the quotes: numbers are written without them".to_owned())
                }
                _ => None,
            };
            let message = format!(
                "`{}` must be {}, found {}",
                path_string(path),
                node.label,
                toml_type(v.get_ref())
            );
            return self.push(v.span(), Code::WrongType, message, hint);
        }
        match v.get_ref() {
            DeValue::Table(t) => self.table(path, t, v.span(), id),
            DeValue::Array(items) => {
                if let Some(item) = node.items {
                    for (i, x) in items.iter().enumerate() {
                        path.push(Key::Index(i));
                        self.value(path, x, item);
                        path.pop();
                    }
                }
            }
            // Only the integer's machine range is structural.
            DeValue::Integer(i) => {
                let n = i128::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok();
                if let (Some(n), Some(hi)) = (n, node.uint_max) {
                    let problem = if n < 0 {
                        Some("cannot be negative".to_owned())
                    } else if n > hi {
                        Some(format!("is too large (at most {hi})"))
                    } else {
                        None
                    };
                    if let Some(problem) = problem {
                        self.push(
                            v.span(),
                            Code::InvalidValue,
                            format!("`{}` {problem}", path_string(path)),
                            None,
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn string_enum(&mut self, path: &[Key<'_>], v: &Spanned<DeValue<'_>>, names: &[&'static str]) {
        let DeValue::String(s) = v.get_ref() else {
            let message = format!(
                "`{}` must be one of {}, found {}",
                path_string(path),
                list(names),
                toml_type(v.get_ref())
            );
            return self.push(v.span(), Code::WrongType, message, None);
        };
        if !names.contains(&s.as_ref()) {
            let hint = match suggest(s, names.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("use one of {}", list(names)),
            };
            let message = format!(
                "`{}` must be one of {}; found `{s}`",
                path_string(path),
                list(names)
            );
            self.push(v.span(), Code::InvalidValue, message, Some(hint));
        }
    }

    fn any_of(
        &mut self,
        path: &mut Vec<Key<'t>>,
        v: &'t Spanned<DeValue<'t>>,
        node: &'static Node,
    ) {
        if matches!(path.last(), Some(Key::Field("yanked")))
            && matches!(v.get_ref(), DeValue::Boolean(true))
        {
            let hint = Some(
                "write the reason instead of `true`, e.g. `yanked = \"corrupt artifact\"`"
                    .to_owned(),
            );
            return self.push(
                v.span(),
                Code::InvalidValue,
                "`yanked = true` does not say why the version was yanked".to_owned(),
                hint,
            );
        }
        let mut best: Option<Vec<Diagnostic>> = None;
        for &b in &node.any_of {
            let mut sub = Walker {
                doc: self.doc,
                schema: self.schema,
                out: Vec::new(),
            };
            sub.value(path, v, b);
            if sub.out.is_empty() {
                return;
            }
            // A branch whose type matches gives the most precise report.
            if best.is_none() && type_matches(v.get_ref(), self.node(b)) {
                best = Some(sub.out);
            }
        }
        match best {
            Some(diags) => self.out.extend(diags),
            None => {
                let message = format!(
                    "`{}` must be {}, found {}",
                    path_string(path),
                    node.label,
                    toml_type(v.get_ref())
                );
                self.push(
                    v.span(),
                    Code::WrongType,
                    message,
                    Some(format!("write {}", node.label)),
                );
            }
        }
    }

    fn table(
        &mut self,
        path: &mut Vec<Key<'t>>,
        t: &'t DeTable<'t>,
        span: Range<usize>,
        id: usize,
    ) {
        let node = self.node(id);
        for (k, v) in t {
            let key: &'t str = k.get_ref().as_ref();
            path.push(Key::Field(key));
            if let Some(&(_, child)) = node.props.iter().find(|(name, _)| *name == key) {
                self.value(path, v, child);
            } else {
                match node.additional {
                    Some(None) => {
                        let hint = match suggest(key, node.props.iter().map(|(n, _)| *n)) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => {
                                let names: Vec<&str> = node.props.iter().map(|(n, _)| *n).collect();
                                format!("allowed here: {}", list(&names))
                            }
                        };
                        let where_ = if path.len() > 1 {
                            format!(" in `{}`", path_string(&path[..path.len() - 1]))
                        } else {
                            String::new()
                        };
                        self.out.push(
                            self.doc
                                .error(
                                    k.span(),
                                    Code::UnknownField,
                                    format!("unknown field `{key}`{where_}"),
                                )
                                .hint(hint),
                        );
                    }
                    Some(Some(child)) => self.value(path, v, child),
                    None => {}
                }
            }
            path.pop();
        }
        for r in &node.required {
            if t.get(*r).is_some() {
                continue;
            }
            let where_ = if path.is_empty() {
                "the file".to_owned()
            } else {
                format!("`{}`", path_string(path))
            };
            let description = node
                .props
                .iter()
                .find(|(n, _)| n == r)
                .and_then(|(_, c)| self.node(*c).description);
            let hint = match description {
                Some(d) => format!("add `{r}`: {d}"),
                None => format!("add `{r}`"),
            };
            // At the top level, point at the first key rather than a leading comment.
            let at = if path.is_empty() {
                first_content(self.doc.source.text)
            } else {
                span.clone()
            };
            self.out.push(
                self.doc
                    .error(
                        at,
                        Code::MissingField,
                        format!("missing required field `{r}` in {where_}"),
                    )
                    .hint(hint),
            );
        }
    }

    fn push(&mut self, span: Range<usize>, code: Code, message: String, hint: Option<String>) {
        let mut d = self.doc.error(span, code, message);
        if let Some(h) = hint {
            d = d.hint(h);
        }
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

fn type_bit(v: &DeValue<'_>) -> u8 {
    match v {
        DeValue::String(_) => T_STRING,
        DeValue::Integer(_) => T_INTEGER,
        DeValue::Float(_) => T_NUMBER,
        DeValue::Boolean(_) => T_BOOLEAN,
        DeValue::Array(_) => T_ARRAY,
        DeValue::Table(_) => T_OBJECT,
        DeValue::Datetime(_) => 0,
    }
}

fn type_matches(v: &DeValue<'_>, node: &Node) -> bool {
    if node.types != 0 {
        return node.types & type_bit(v) != 0;
    }
    match node.constant {
        Some(c) => matches_const(v, c),
        None => true,
    }
}

fn matches_const(v: &DeValue<'_>, c: &Value) -> bool {
    match (v, c) {
        (DeValue::Boolean(b), Value::Bool(cb)) => b == cb,
        (DeValue::String(s), Value::String(cs)) => s == cs,
        _ => false,
    }
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
        check(&doc, kind)
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
