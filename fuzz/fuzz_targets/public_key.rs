//! Public and secret key files: every form `PublicKey::parse` accepts, the
//! one form published documents hold (`RawKey`),
//! (raw base64, minisign `.pub`, OpenSSH `.pub`) and refuses (PEM, other
//! key types), and the secret key files authors sign with.
//!
//! Input: the key file's text. What parses must survive a round trip
//! through each form plugdex writes, and a parsed secret key's signatures
//! must verify under its public key in every signature format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugdex::trust::keys::{PublicKey, RawKey};
use plugdex::trust::secret::SecretKey;
use plugdex::trust::signature::AuthorSignature;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = PublicKey::parse(&text) {
        for form in [
            key.to_raw_base64(),
            key.to_openssh("fuzz"),
            key.to_minisign(),
        ] {
            let back = PublicKey::parse(&form)
                .unwrap_or_else(|e| panic!("plugdex cannot read its own key {form:?}: {e}"));
            assert_eq!(back.bytes(), key.bytes(), "{form:?}");
        }
        // The published form reads back as the same key, in raw form.
        let published = key.to_raw_base64().parse::<RawKey>();
        assert_eq!(published.as_ref(), Ok(&RawKey::from(&key)));
        let _ = (
            key.fingerprint(),
            key.to_spki_pem(),
            key.minisign_id_or_derived(),
        );
    }
    // What a document may hold is a key `PublicKey::parse` reads too.
    if let Ok(published) = text.parse::<RawKey>() {
        assert_eq!(published.to_string(), text, "one text per published key");
        let key = PublicKey::parse(&text).expect("a published key is a key");
        assert!(published.is(&key));
    }
    if let Ok(secret) = SecretKey::parse(&text) {
        let public = secret.public();
        let message = b"plugdex fuzz message";
        for sig in [
            secret.sign_raw(message),
            secret.sign_minisign(message, "fuzz"),
            secret.sign_sshsig(message, "fuzz@plugdex"),
        ] {
            AuthorSignature::parse(&sig)
                .and_then(|s| s.verify(&public, message, "fuzz@plugdex"))
                .unwrap_or_else(|e| panic!("own signature {sig:?} refused: {e}"));
        }
        let again = SecretKey::parse(&secret.to_pkcs8_pem()).expect("own PKCS#8 PEM reads back");
        assert_eq!(again.public(), public);
    }
});
