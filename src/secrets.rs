//! The master key and what is derived from it.
//!
//! Client secrets are encrypted under the master key; the CSRF key is derived from it so
//! that every instance sharing a database also shares form tokens.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};

const KEY_FILE: &str = "master.key";

pub struct MasterKey {
    bytes: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.key_id())
    }
}

impl MasterKey {
    pub fn from_base64(encoded: &SecretString) -> Result<MasterKey, String> {
        let decoded = STANDARD
            .decode(encoded.expose_secret().trim())
            .map_err(|_| "is not valid base64 (generate one with: openssl rand -base64 32)")?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|v: Vec<u8>| {
            format!("must decode to 32 bytes, not {} (openssl rand -base64 32)", v.len())
        })?;
        Ok(MasterKey { bytes: SecretBox::new(Box::new(bytes)) })
    }

    pub fn generate() -> MasterKey {
        MasterKey { bytes: SecretBox::new(Box::new(rand::random())) }
    }

    /// Reads `data_dir/master.key`, creating it (mode 0600) on first start.
    /// Returns the key and whether it was created now.
    pub fn load_or_create_file(data_dir: &Path) -> anyhow::Result<(MasterKey, bool)> {
        use anyhow::Context;
        let path = data_dir.join(KEY_FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the key file {}", path.display()))?;
            let key = MasterKey::from_base64(&SecretString::from(text))
                .map_err(|m| anyhow::anyhow!("the key file {}: {m}", path.display()))?;
            return Ok((key, false));
        }
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
        let key = MasterKey::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .with_context(|| format!("creating the key file {}", path.display()))?;
        file.write_all(key.to_base64().expose_secret().as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing the key file {}", path.display()))?;
        Ok((key, true))
    }

    pub fn to_base64(&self) -> SecretString {
        SecretString::from(STANDARD.encode(self.bytes.expose_secret()))
    }

    /// A short public fingerprint, stored next to every ciphertext so the right key is used.
    pub fn key_id(&self) -> String {
        let digest = Sha256::digest(self.bytes.expose_secret());
        digest[..4].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A purpose-bound subkey, so one key never serves two purposes.
    pub fn derive(&self, purpose: &str) -> SecretBox<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.bytes.expose_secret())
            .expect("HMAC takes any key length");
        mac.update(b"calbridge/");
        mac.update(purpose.as_bytes());
        SecretBox::new(Box::new(mac.finalize().into_bytes().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (first, created) = MasterKey::load_or_create_file(dir.path()).unwrap();
        assert!(created);
        let (second, created) = MasterKey::load_or_create_file(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(first.key_id(), second.key_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let key = MasterKey::generate();
        assert_ne!(key.derive("csrf").expose_secret(), key.derive("other").expose_secret());
    }
}
