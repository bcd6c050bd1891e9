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
/// The key a rotation is moving to, written before any secret is re-encrypted under it.
const NEXT_KEY_FILE: &str = "master.key.next";
/// The key a finished rotation moved away from.
const PREVIOUS_KEY_FILE: &str = "master.key.previous";

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
        write_private(&path, &key.to_base64())?;
        Ok((key, true))
    }

    /// Keys left by a rotation (finished, or interrupted after re-encrypting), which can still
    /// be needed to decrypt.
    pub fn load_rotation_leftovers(data_dir: &Path) -> anyhow::Result<Vec<MasterKey>> {
        use anyhow::Context;
        let mut keys = Vec::new();
        for name in [NEXT_KEY_FILE, PREVIOUS_KEY_FILE] {
            let path = data_dir.join(name);
            if path.exists() {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading the key file {}", path.display()))?;
                keys.push(
                    MasterKey::from_base64(&SecretString::from(text))
                        .map_err(|m| anyhow::anyhow!("the key file {}: {m}", path.display()))?,
                );
            }
        }
        Ok(keys)
    }

    /// The key a rotation moves to: `master.key.next` if an interrupted rotation left one
    /// (secrets may already be encrypted under it), else a new one written there (mode 0600)
    /// before anything is encrypted under it.
    pub fn next_for_rotation(data_dir: &Path) -> anyhow::Result<MasterKey> {
        use anyhow::Context;
        let path = data_dir.join(NEXT_KEY_FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the key file {}", path.display()))?;
            return MasterKey::from_base64(&SecretString::from(text))
                .map_err(|m| anyhow::anyhow!("the key file {}: {m}", path.display()));
        }
        let key = MasterKey::generate();
        write_private(&path, &key.to_base64())?;
        Ok(key)
    }

    /// After a rotation committed: the next key becomes the key, and the old one is kept as
    /// `master.key.previous` until the operator removes it.
    pub fn promote_next_file(data_dir: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
        std::fs::rename(data_dir.join(KEY_FILE), data_dir.join(PREVIOUS_KEY_FILE))
            .context("keeping the old key as master.key.previous")?;
        std::fs::rename(data_dir.join(NEXT_KEY_FILE), data_dir.join(KEY_FILE))
            .context("installing the new master.key")?;
        Ok(())
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
        let mut mac = hmac_sha256(self.bytes.expose_secret());
        mac.update(b"calbridge/");
        mac.update(purpose.as_bytes());
        SecretBox::new(Box::new(mac.finalize().into_bytes().into()))
    }
}

/// Creates a file only its owner can read, and makes it durable.
fn write_private(path: &Path, content: &SecretString) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        options.open(path).with_context(|| format!("creating the key file {}", path.display()))?;
    file.write_all(content.expose_secret().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the key file {}", path.display()))
}

/// Which secret a ciphertext holds; part of the associated data, so a ciphertext cannot be
/// moved to another column any more than to another tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretField {
    GraphClientSecret,
    EwsPassword,
    WebhookSecret,
}

impl SecretField {
    fn label(self) -> &'static str {
        match self {
            SecretField::GraphClientSecret => "graph-client-secret",
            SecretField::EwsPassword => "ews-password",
            SecretField::WebhookSecret => "webhook-secret",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("the stored secret is not in a format calbridge wrote")]
    Malformed,
    #[error("the stored secret was encrypted with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the stored secret does not belong to this tenant or was altered")]
    Rejected,
}

const FORMAT: &str = "v1";
const NONCE_LEN: usize = 12;

/// The current master key, which encrypts, and earlier keys still needed to decrypt during a
/// rotation. Every ciphertext names its key, so the right one is always used.
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<String> = self.previous.iter().map(MasterKey::key_id).collect();
        write!(f, "Keyring(current {}, previous {:?})", self.current.key_id(), previous)
    }
}

fn aad(tenant_id: &uuid::Uuid, field: SecretField) -> Vec<u8> {
    format!("calbridge:{FORMAT}:{tenant_id}:{}", field.label()).into_bytes()
}

fn cipher(key: &MasterKey) -> aes_gcm::Aes256Gcm {
    use aes_gcm::KeyInit;
    aes_gcm::Aes256Gcm::new(&(*key.bytes.expose_secret()).into())
}

impl Keyring {
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Keyring {
        Keyring { current, previous }
    }

    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// Encrypts with the current key: `v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`.
    #[expect(
        clippy::expect_used,
        reason = "AES-GCM refuses only messages over 64 GiB; stored secrets are bounded to a few KiB"
    )]
    pub fn encrypt(
        &self,
        tenant_id: &uuid::Uuid,
        field: SecretField,
        plaintext: &SecretString,
    ) -> String {
        use aes_gcm::aead::{Aead, Payload};
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = aes_gcm::Nonce::from(nonce_bytes);
        let payload =
            Payload { msg: plaintext.expose_secret().as_bytes(), aad: &aad(tenant_id, field) };
        let sealed = cipher(&self.current).encrypt(&nonce, payload).expect("AES-GCM encryption");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        format!("{FORMAT}:{}:{}", self.current.key_id(), STANDARD.encode(out))
    }

    pub fn decrypt(
        &self,
        tenant_id: &uuid::Uuid,
        field: SecretField,
        stored: &str,
    ) -> Result<SecretString, DecryptError> {
        use aes_gcm::aead::{Aead, Payload};
        let mut parts = stored.splitn(3, ':');
        let (Some(FORMAT), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(DecryptError::Malformed);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.key_id() == key_id)
            .ok_or_else(|| DecryptError::UnknownKey(key_id.to_owned()))?;
        let raw = STANDARD.decode(body).map_err(|_| DecryptError::Malformed)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(DecryptError::Malformed);
        }
        let (nonce_bytes, sealed) = raw.split_at(NONCE_LEN);
        let nonce_array: [u8; NONCE_LEN] =
            nonce_bytes.try_into().map_err(|_| DecryptError::Malformed)?;
        let nonce = aes_gcm::Nonce::from(nonce_array);
        let payload = Payload { msg: sealed, aad: &aad(tenant_id, field) };
        let plain = cipher(key).decrypt(&nonce, payload).map_err(|_| DecryptError::Rejected)?;
        let text = String::from_utf8(plain).map_err(|_| DecryptError::Malformed)?;
        Ok(SecretString::from(text))
    }

    /// Whether a ciphertext was written under an older key.
    pub fn is_stale(&self, stored: &str) -> bool {
        stored.split(':').nth(1) != Some(self.current.key_id().as_str())
    }
}

/// HMAC-SHA256 keyed with a 256-bit key.
#[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
pub fn hmac_sha256(key: &[u8; 32]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length")
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

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[test]
    fn round_trip_and_refusals() {
        let ring = Keyring::new(MasterKey::generate(), vec![]);
        let tenant = uuid::Uuid::new_v4();
        let stored = ring.encrypt(&tenant, SecretField::GraphClientSecret, &secret("s3cr3t~Value"));
        assert!(stored.starts_with(&format!("v1:{}:", ring.current().key_id())));
        assert!(!stored.contains("s3cr3t"));
        let back = ring.decrypt(&tenant, SecretField::GraphClientSecret, &stored).unwrap();
        assert_eq!(back.expose_secret(), "s3cr3t~Value");
        // Same plaintext, fresh nonce: ciphertexts differ.
        assert_ne!(
            stored,
            ring.encrypt(&tenant, SecretField::GraphClientSecret, &secret("s3cr3t~Value"))
        );

        // Copied to another tenant's row, or into another column: refused.
        let other = uuid::Uuid::new_v4();
        assert_eq!(
            ring.decrypt(&other, SecretField::GraphClientSecret, &stored).unwrap_err(),
            DecryptError::Rejected
        );
        assert_eq!(
            ring.decrypt(&tenant, SecretField::EwsPassword, &stored).unwrap_err(),
            DecryptError::Rejected
        );
        // A different key: unknown.
        let stranger = Keyring::new(MasterKey::generate(), vec![]);
        assert!(matches!(
            stranger.decrypt(&tenant, SecretField::GraphClientSecret, &stored),
            Err(DecryptError::UnknownKey(_))
        ));
        // Tampering and junk.
        let mut tampered = stored.clone();
        tampered.pop();
        tampered.push(if stored.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.decrypt(&tenant, SecretField::GraphClientSecret, &tampered).is_err());
        for junk in ["", "v1", "v1:x", "v2:abc:def", "v1:abc:!!!"] {
            assert!(ring.decrypt(&tenant, SecretField::GraphClientSecret, junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn previous_keys_decrypt_during_rotation() {
        let old = MasterKey::generate();
        let old_copy = MasterKey::from_base64(&old.to_base64()).unwrap();
        let tenant = uuid::Uuid::new_v4();
        let stored =
            Keyring::new(old, vec![]).encrypt(&tenant, SecretField::EwsPassword, &secret("pw"));
        let rotated = Keyring::new(MasterKey::generate(), vec![old_copy]);
        assert!(rotated.is_stale(&stored));
        let plain = rotated.decrypt(&tenant, SecretField::EwsPassword, &stored).unwrap();
        let fresh = rotated.encrypt(&tenant, SecretField::EwsPassword, &plain);
        assert!(!rotated.is_stale(&fresh));
        assert_eq!(format!("{rotated:?}").matches("previous").count(), 1);
        assert!(!format!("{rotated:?}").contains("pw"));
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let key = MasterKey::generate();
        assert_ne!(key.derive("csrf").expose_secret(), key.derive("other").expose_secret());
    }

    mod stored_ciphertexts {
        use super::*;
        use proptest::prelude::*;

        /// What a database row could hold: arbitrary text, and real ciphertexts with bytes
        /// flipped, cut short or moved to another tenant. Never a panic, never the plaintext.
        fn ciphertext() -> impl Strategy<Value = String> {
            let keyring =
                Keyring::new(MasterKey { bytes: SecretBox::new(Box::new([3; 32])) }, Vec::new());
            let tenant = uuid::Uuid::from_u128(1);
            let real = keyring.encrypt(
                &tenant,
                SecretField::GraphClientSecret,
                &SecretString::from("Zq8~secret"),
            );
            prop_oneof![
                "\\PC{0,80}",
                "v1:[0-9a-f]{0,16}:[A-Za-z0-9+/=]{0,80}",
                (any::<usize>(), any::<u8>(), prop::option::of(any::<usize>())).prop_map(
                    move |(at, byte, cut)| {
                        let mut bytes = real.clone().into_bytes();
                        let at = at % bytes.len();
                        bytes[at] = byte;
                        if let Some(cut) = cut {
                            bytes.truncate(cut % (bytes.len() + 1));
                        }
                        String::from_utf8_lossy(&bytes).into_owned()
                    }
                ),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn any_stored_text_decrypts_or_is_refused(stored in ciphertext(), tenant in 0u128..3) {
                let keyring = Keyring::new(MasterKey { bytes: SecretBox::new(Box::new([3; 32])) }, Vec::new());
                let tenant = uuid::Uuid::from_u128(tenant);
                // Only the untouched ciphertext, for its own tenant, opens.
                if let Ok(secret) = keyring.decrypt(&tenant, SecretField::GraphClientSecret, &stored) {
                    prop_assert_eq!(tenant, uuid::Uuid::from_u128(1));
                    prop_assert_eq!(secret.expose_secret(), "Zq8~secret");
                }
                let _ = keyring.is_stale(&stored);
            }
        }
    }
}
