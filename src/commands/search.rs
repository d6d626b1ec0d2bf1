//! `plugdex search`: a registry's verified bundle (`client::search`) or a
//! local build's (`--dist`), one call to `Searcher::search`, and the
//! results printed as text or JSON.

use std::path::Path;

use crate::cli::{ClientArgs, ClientFormat, SearchArgs};
use crate::error::{CliError, Exit};
use crate::format::published::{CONFIG_PATH, Config};
use crate::printer;
use crate::search::{Filters, Results, Searcher, mapped, schema};
use crate::untrusted::{shown, shown_name};

pub fn run(query: &[String], args: &SearchArgs, opts: &ClientArgs) -> Result<(), CliError> {
    let searcher = match &args.dist {
        Some(dist) => local(dist)?,
        None => super::client::client(opts)?.searcher()?.0,
    };
    let filters = Filters {
        tags: args.tags.clone(),
        runtime: args.runtime.clone(),
        tier: args.tier.as_deref().and_then(schema::parse_tier),
        without_permissions: args.without_permissions.clone(),
        engine: opts.engine.clone(),
    };
    let text = query.join(" ");
    let limit = usize::from(args.limit);
    let found = if args.explain {
        searcher.explain(&text, &filters, limit)
    } else {
        searcher.search(&text, &filters, limit)
    }
    .map_err(|e| CliError::from_error(Exit::Failed, e))?;
    match opts.format {
        ClientFormat::Json => super::client::json_out(&found),
        ClientFormat::Human => Ok(printer::out(&render(&found))?),
    }
}

/// The bundle `DIR/config.json` names.
fn local(dist: &Path) -> Result<Searcher, CliError> {
    let config_path = dist.join(CONFIG_PATH);
    let bad = |why: String| {
        CliError::invalid(format!("`{}`: {why}", config_path.display())).hint(Some(
            "give `--dist` the folder `plugdex build` wrote".to_owned(),
        ))
    };
    let text = std::fs::read(&config_path).map_err(|e| bad(e.to_string()))?;
    let config: Config = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    let Some(search) = config.search else {
        return Err(bad(
            "names no search bundle (built by an older plugdex?)".into()
        ));
    };
    let path = dist.join(&search.bundle);
    let bytes = mapped::map(&path).map_err(|e| {
        CliError::failed(format!("`{}`: {e}", path.display()))
            .hint(Some("rebuild with `plugdex build`".to_owned()))
    })?;
    Searcher::open(bytes).map_err(|e| {
        CliError::invalid(format!("`{}`: {e}", path.display()))
            .hint(Some("rebuild with `plugdex build`".to_owned()))
    })
}

fn render(found: &Results) -> String {
    if found.results.is_empty() {
        return format!("no plugins match `{}`\n", shown(&found.query));
    }
    let mut s = String::new();
    for hit in &found.results {
        let version = hit
            .version
            .as_deref()
            .map(shown)
            .unwrap_or_else(|| "(all yanked)".into());
        s.push_str(&format!(
            "{} {version} [{}]\n    {}\n",
            shown_name(&hit.name),
            schema::tier_name(hit.tier),
            shown(&hit.description)
        ));
        if let Some(e) = &hit.explain {
            let f = &e.factors;
            s.push_str(&format!(
                "    score {:.3} = text {:.3} × popularity {:.2} × tier {:.2} × recency {:.3} × established {:.2} × demotion {:.2}{}{}\n",
                hit.score,
                e.text,
                f.popularity,
                f.tier,
                f.recency,
                f.established,
                f.demotion,
                if e.exact { " + 1000 (exact name)" } else { "" },
                if e.every_word { "" } else { "; not every word matched" },
            ));
            let matched: Vec<String> = e
                .matched
                .iter()
                .map(|(label, value)| format!("{} {value:.3}", shown(label)))
                .collect();
            s.push_str(&format!("    matched: {}\n", matched.join(", ")));
        }
    }
    let shown_count = found.results.len();
    if found.total > shown_count {
        s.push_str(&format!(
            "{shown_count} of {} matches (`--limit` shows more)\n",
            found.total
        ));
    }
    s
}
