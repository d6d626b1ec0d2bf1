//! The client's HTTP handling against a hostile server on loopback: status
//! lines, headers, bodies, the size caps, conditional requests and `304`s
//! through the on-disk cache. The bytes the server sends are the input,
//! raw, so ureq's response parser runs as well as plugdex's handling.
//!
//! Input: responses joined by `SEP`: the answer to a first `get` of an
//! index file (stored in the cache), the answer to a second `get` of the
//! same file by a new client (sent with the stored validators), and the
//! answer to an artifact `download` capped at 64 bytes.
#![no_main]

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use plugdex::client::cache::Cache;
use plugdex::client::http::{Fetcher, MAX_METADATA};
use plugdex_fuzz::{Sections, scratch};

/// What the server answers next, one response per connection.
static ANSWERS: Mutex<VecDeque<Vec<u8>>> = Mutex::new(VecDeque::new());

/// The server's base URL; it runs for the whole fuzzing process.
fn server() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                answer(stream);
            }
        });
        base
    })
}

fn answer(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    // Read the request head first: closing with unread bytes sends a reset.
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = ANSWERS.lock().unwrap().pop_front().unwrap_or_default();
    let _ = stream.write_all(&reply);
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

fn fetcher(base: &str, cache: &Cache) -> Fetcher {
    Fetcher::new(
        base,
        None,
        Some(cache.clone()),
        false,
        Duration::from_secs(3),
    )
}

fuzz_target!(|data: &[u8]| {
    let s = Sections::split(data);
    let base = server();
    let dir = scratch();
    let cache = Cache::new(dir.path());
    {
        let mut answers = ANSWERS.lock().unwrap();
        answers.clear();
        answers.extend((0..3).map(|i| s.get(i).unwrap_or_default().to_vec()));
    }
    for _ in 0..2 {
        if let Ok(body) = fetcher(base, &cache).get("index/2/md") {
            assert!(body.len() as u64 <= MAX_METADATA);
        }
    }
    let sha256: plugdex::digest::Sha256 =
        "96249ac4950e71839d1f46ef07ab878015d6970e3f30f842e0cbbb1a9b31e7ae"
            .parse()
            .expect("a digest");
    let url = format!("{base}artifacts/md-0.1.0.tar.gz");
    if let Ok(body) = fetcher(base, &cache).download(&url, 64, Some(&sha256)) {
        assert!(
            body.len() <= 64,
            "a download larger than its cap was accepted"
        );
    }
});
