//! `plugdex keygen` and `plugdex delegate`: the keys of authors and registries.

use std::path::Path;

use crate::error::{CliError, Exit};
use crate::printer;
use crate::trust::secret::SecretKey;
use zeroize::Zeroizing;

/// Reads a secret key file; an encrypted one is decrypted with [`passphrase`].
pub fn read_secret(path: &Path) -> Result<SecretKey, CliError> {
    let what = format!("`{}`", path.display());
    SecretKey::read_file_with(path, &|| passphrase(&what))
        .map_err(|e| CliError::from_error(Exit::Failed, e))
}

/// The environment variable that holds the passphrase of an encrypted secret key.
pub const PASSPHRASE_VAR: &str = "PLUGDEX_KEY_PASSPHRASE";

/// The passphrase of the key `what`: `PLUGDEX_KEY_PASSPHRASE`, else asked
/// on the terminal without echo, else none.
pub fn passphrase(what: &str) -> Option<Zeroizing<String>> {
    use std::io::IsTerminal;
    if let Some(value) = std::env::var_os(PASSPHRASE_VAR) {
        return value.into_string().ok().map(Zeroizing::new);
    }
    if !std::io::stdin().is_terminal() {
        return None;
    }
    rpassword::prompt_password(format!("passphrase for {what}: "))
        .ok()
        .map(Zeroizing::new)
}

/// `keygen --show FILE`: the public key of a secret key.
pub fn show(path: &Path) -> Result<Exit, CliError> {
    printer::out(&format!(
        "{}\n",
        read_secret(path)?.public().to_raw_base64()
    ))?;
    Ok(Exit::Done)
}

/// `keygen --out FILE`: a new key pair.
pub fn generate(out: Option<&Path>) -> Result<Exit, CliError> {
    let out = out.ok_or_else(|| CliError::failed("give `--out FILE` or `--show FILE`"))?;
    let key = SecretKey::generate();
    key.write_file(out)
        .map_err(|e| CliError::from_error(Exit::Failed, e))?;
    let public = key.public();
    printer::status(&format!(
        "wrote the secret key to `{}`; keep it private",
        out.display()
    ));
    printer::out(&format!("{}\n", public.to_raw_base64()))?;
    printer::status(&format!(
        "public key (raw base64, above on stdout); the same key for other tools:\n  {}\n  minisign: {}",
        public.to_openssh("plugdex"),
        public.to_minisign().lines().last().unwrap_or_default()
    ));
    Ok(Exit::Done)
}

/// `delegate`: a root key's signature over the delegation to the online key.
pub fn delegate(index: &Path, root_key: &Path) -> Result<Exit, CliError> {
    let key = read_secret(root_key)?;
    let config = crate::sign::read_registry(index).map_err(super::sign::sign_error)?;
    let signing = config.signing.as_ref().ok_or_else(|| {
        CliError::invalid("`registry.toml` has no `[signing]` table")
            .hint(Some("add `root_keys` and `online_key` first"))
    })?;
    let online = crate::trust::keys::PublicKey::parse(&signing.online_key)
        .map_err(|e| CliError::context(Exit::Invalid, "`signing.online_key` is not usable", e))?;
    let text = crate::trust::statement::delegation_text(&config.id, &online.to_raw_base64());
    printer::out(&format!("{}\n", key.sign_raw(text.as_bytes())))?;
    printer::status("add the line above to `signing.online_key_signatures` in `registry.toml`");
    Ok(Exit::Done)
}
