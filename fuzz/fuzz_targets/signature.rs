//! Author signatures (raw ed25519, minisign, SSHSIG) and the release
//! statement they sign, as `check` and the client read them.
//!
//! Input: files joined by `SEP`: the signature text, the signer's public
//! key, the signed message, the SSHSIG namespace. A signature that parses
//! must read back from the text plugdex writes for it; a statement that
//! parses is canonical, so it must print back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugdex::trust::keys::PublicKey;
use plugdex::trust::signature::AuthorSignature;
use plugdex::trust::statement::ReleaseStatement;
use plugdex_fuzz::Sections;

fuzz_target!(|data: &[u8]| {
    let s = Sections::split(data);
    let message = s.get(2).unwrap_or_default();
    if let Ok(sig) = AuthorSignature::parse(&s.text(0)) {
        let text = sig.to_text();
        let back = AuthorSignature::parse(&text)
            .unwrap_or_else(|e| panic!("plugdex cannot read its own signature {text:?}: {e}"));
        assert_eq!(back, sig);
        if let Ok(key) = PublicKey::parse(&s.text(1)) {
            let _ = sig.verify(&key, message, &s.text(3));
        }
    }
    if let Ok(text) = std::str::from_utf8(message)
        && let Ok(statement) = ReleaseStatement::parse(text)
    {
        assert_eq!(statement.to_text(), text);
    }
});
