//! `plugdex status`: a published registry checked as a client would.

use crate::error::{CliError, Exit};
use crate::printer;

pub fn run(
    registry: String,
    deep: bool,
    warn_days: u32,
    root_keys: Vec<String>,
    timeout: u64,
) -> Result<Exit, CliError> {
    let url = match registry.ends_with('/') {
        true => registry,
        false => format!("{registry}/"),
    };
    let report = crate::status::check(&crate::status::Options {
        url,
        root_keys,
        deep,
        warn_secs: i64::from(warn_days) * 24 * 3600,
        timeout: std::time::Duration::from_secs(timeout),
        now: jiff::Timestamp::now().as_second(),
    })
    .map_err(|e| CliError::from_error(Exit::Failed, e))?;
    let mut text = String::new();
    for f in &report.findings {
        let verdict = if f.ok { "ok" } else { "error" };
        text.push_str(&format!("{verdict}: {}\n", f.text));
    }
    printer::out(&text)?;
    Ok(if report.healthy() {
        Exit::Done
    } else {
        Exit::Invalid
    })
}
