//! Writes the browser search files (`plugdex::search::web::assets()`) into a
//! built registry, as the site's build stage will, for benches that serve a
//! registry to a browser. Prints the ES module's path.
//!
//!     cargo run --release --example search-assets -- DIST

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(dist) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: search-assets DIST");
        std::process::exit(2);
    };
    let assets = plugdex::search::web::assets();
    for file in &assets.files {
        let path = dist.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("under the output"))
            .and_then(|()| std::fs::write(&path, &file.bytes))
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    }
    println!("{}", assets.module);
    Ok(())
}
