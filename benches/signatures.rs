//! Signature verification rate, per format, on one core and on all cores:
//! `cargo bench --bench signatures`. Prints figures; asserts nothing about time.

use std::time::Instant;

use plugdex::trust::secret::SecretKey;
use plugdex::trust::signature::AuthorSignature;
use plugdex::trust::statement::ReleaseStatement;
use rayon::prelude::*;

const N: usize = 20_000;

fn main() {
    let key = SecretKey::from_seed([7; 32]);
    let public = key.public();
    let namespace = "plugdex-release@bench.example";
    let statements: Vec<String> = (0..N)
        .map(|i| {
            ReleaseStatement {
                registry: "bench.example".into(),
                plugin: format!("plugin-{i}"),
                version: "1.0.0".into(),
                artifacts: vec![plugdex::trust::statement::StatementArtifact::new(
                    None,
                    plugdex::digest::Sha256::of(&i.to_le_bytes()),
                    1000 + i as u64,
                )],
                manifest_sha256: plugdex::digest::Sha256::of(&(i * 7).to_le_bytes()),
            }
            .to_text()
        })
        .collect();
    println!("{N} release statements, one key; parse + verify_strict per signature");
    for (format, sign) in [
        (
            "raw",
            &(|m: &[u8]| key.sign_raw(m)) as &dyn Fn(&[u8]) -> String,
        ),
        ("minisign", &|m: &[u8]| key.sign_minisign(m, "bench")),
        ("sshsig", &|m: &[u8]| key.sign_sshsig(m, namespace)),
    ] {
        let sigs: Vec<String> = statements.iter().map(|s| sign(s.as_bytes())).collect();
        let verify = |(s, sig): (&String, &String)| {
            AuthorSignature::parse(sig)
                .expect("parses")
                .verify(&public, s.as_bytes(), namespace)
                .expect("verifies");
        };
        let t = Instant::now();
        statements.iter().zip(&sigs).for_each(verify);
        let one = N as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        statements.par_iter().zip(&sigs).for_each(verify);
        let all = N as f64 / t.elapsed().as_secs_f64();
        println!(
            "{format:>9}: {one:>8.0} signatures/s on 1 core, {all:>8.0}/s on {} threads; 1,000,000 releases: {:.1} s",
            rayon::current_num_threads(),
            1e6 / all
        );
    }
}
