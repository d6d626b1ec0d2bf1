//! Phase timings for profiling large runs: with `PLUGDEX_TIMINGS=1`, each
//! [`mark`] prints to stderr the wall time since the previous mark, the
//! resident memory now and the peak so far (Linux; elsewhere memory is left
//! out). Off by default, when a mark costs one atomic load.

use std::sync::Mutex;
use std::sync::OnceLock;
use std::time::Instant;

fn clock() -> Option<&'static Mutex<Instant>> {
    static CLOCK: OnceLock<Option<Mutex<Instant>>> = OnceLock::new();
    CLOCK
        .get_or_init(|| {
            let on = std::env::var_os("PLUGDEX_TIMINGS").is_some_and(|v| v != "0" && !v.is_empty());
            on.then(|| Mutex::new(Instant::now()))
        })
        .as_ref()
}

/// Starts the clock (the first phase is timed from here).
pub fn start() {
    clock();
}

/// Ends the phase called `name`.
pub fn mark(name: &str) {
    let Some(clock) = clock() else {
        return;
    };
    let mut last = clock.lock().unwrap_or_else(|e| e.into_inner());
    let secs = last.elapsed().as_secs_f64();
    *last = Instant::now();
    match memory() {
        Some((rss, peak)) => eprintln!(
            "timings: {name:<24} {secs:>8.3} s   rss {:>6} MiB   peak {:>6} MiB",
            rss >> 10,
            peak >> 10
        ),
        None => eprintln!("timings: {name:<24} {secs:>8.3} s"),
    }
}

/// Resident and peak resident memory in KiB, from `/proc/self/status`.
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
