//! `plugdex serve` answering raw requests on loopback, over a folder holding
//! a built registry's files, a folder with `index.html`, a dot-file and a
//! symbolic link out of the folder. The folder's `_headers` and
//! `_redirects` are the built registry's plus lines from the input.
//!
//! Input: files joined by `SEP`: the raw request bytes, lines appended to
//! `_headers`, lines appended to `_redirects`. No response may carry the
//! content of a file outside the folder or of the dot-file.
#![no_main]

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use plugdex_fuzz::{Sections, fixture, scratch};

/// Bytes only the files the server must not serve contain.
const SECRET: &str = "plugdex-fuzz-secret-3f9a";

struct Served {
    addr: SocketAddr,
    root: PathBuf,
    headers: Vec<u8>,
    redirects: Vec<u8>,
}

fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let dir = scratch().keep();
        let root = dir.join("site");
        let golden = "tests/golden/example";
        for rel in [
            "config.json",
            "root.json",
            "timestamp.json",
            "names.json",
            "index/2/md",
        ] {
            let path = root.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, fixture(&format!("{golden}/{rel}"))).unwrap();
        }
        fs::create_dir_all(root.join("plugins/md")).unwrap();
        fs::write(root.join("plugins/md/index.html"), "<h1>md</h1>").unwrap();
        fs::write(root.join(".secret"), SECRET).unwrap();
        fs::write(dir.join("outside.txt"), SECRET).unwrap();
        std::os::unix::fs::symlink(dir.join("outside.txt"), root.join("link.txt")).unwrap();
        let server = plugdex::serve::bind(&root, "127.0.0.1:0").expect("bind loopback");
        let addr: SocketAddr = server.local_addr().expect("a bound address");
        let serve_root = root.clone();
        std::thread::spawn(move || plugdex::serve::serve_forever(server, &serve_root));
        Served {
            addr,
            root,
            headers: fixture(&format!("{golden}/_headers")),
            redirects: fixture(&format!("{golden}/_redirects")),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = Sections::split(data);
    let srv = served();
    let with = |base: &[u8], extra: Option<&[u8]>| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra.unwrap_or_default());
        v
    };
    fs::write(srv.root.join("_headers"), with(&srv.headers, s.get(1))).unwrap();
    fs::write(srv.root.join("_redirects"), with(&srv.redirects, s.get(2))).unwrap();

    let mut stream = TcpStream::connect(srv.addr).expect("connect to serve");
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let _ = stream.write_all(s.get(0).unwrap_or_default());
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    assert!(
        !String::from_utf8_lossy(&response).contains(SECRET),
        "served a file it must not: {}",
        String::from_utf8_lossy(&response)
    );
});
