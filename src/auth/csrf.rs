//! CSRF tokens bound to the session (or, before sign-in, to a pre-session cookie).
//!
//! A token is an HMAC of the binding under a key derived from the master key, so it needs no
//! storage, works across instances, and a token from another session never verifies.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

/// The form field every state-changing form carries.
pub const FIELD: &str = "csrf_token";
/// The header alternative for requests that are not url-encoded forms.
pub const HEADER: &str = "x-csrf-token";

#[derive(Clone)]
pub struct CsrfKey {
    key: std::sync::Arc<SecretBox<[u8; 32]>>,
}

/// What a token is bound to.
pub enum Binding<'a> {
    /// A signed-in session, by the hash of its id.
    Session(&'a str),
    /// An anonymous visitor, by their pre-session cookie.
    PreSession(&'a str),
}

impl CsrfKey {
    pub fn new(key: SecretBox<[u8; 32]>) -> CsrfKey {
        CsrfKey { key: std::sync::Arc::new(key) }
    }

    fn mac(&self, binding: &Binding<'_>) -> Hmac<Sha256> {
        let mut mac = crate::secrets::hmac_sha256(self.key.expose_secret());
        match binding {
            Binding::Session(id) => {
                mac.update(b"session:");
                mac.update(id.as_bytes());
            }
            Binding::PreSession(id) => {
                mac.update(b"pre:");
                mac.update(id.as_bytes());
            }
        }
        mac
    }

    pub fn token(&self, binding: &Binding<'_>) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(binding).finalize().into_bytes())
    }

    /// Constant-time check of a submitted token.
    pub fn verify(&self, binding: &Binding<'_>, submitted: &str) -> bool {
        let Ok(raw) = URL_SAFE_NO_PAD.decode(submitted.trim()) else {
            return false;
        };
        self.mac(binding).verify_slice(&raw).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_binding() {
        let key = CsrfKey::new(SecretBox::new(Box::new([7u8; 32])));
        let t = key.token(&Binding::Session("a"));
        assert!(key.verify(&Binding::Session("a"), &t));
        assert!(!key.verify(&Binding::Session("b"), &t));
        assert!(!key.verify(&Binding::PreSession("a"), &t));
        assert!(!key.verify(&Binding::Session("a"), ""));
        assert!(!key.verify(&Binding::Session("a"), "%%%"));
        let other = CsrfKey::new(SecretBox::new(Box::new([8u8; 32])));
        assert!(!other.verify(&Binding::Session("a"), &t));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2_000, failure_persistence: None, ..Default::default() })]

        /// Whatever a form or header submits, verification answers, and only the real token
        /// for this binding passes.
        #[test]
        fn any_submitted_token_is_checked_without_panicking(
            submitted in "\\PC{0,120}",
            flip in proptest::prelude::any::<(usize, u8)>(),
        ) {
            let key = CsrfKey::new(SecretBox::new(Box::new([7u8; 32])));
            let binding = Binding::PreSession("pre-session-value");
            proptest::prop_assert!(!key.verify(&binding, &submitted) || submitted == key.token(&binding));
            let mut real = key.token(&binding).into_bytes();
            let at = flip.0 % real.len();
            let changed = real[at] != flip.1;
            real[at] = flip.1;
            let mutated = String::from_utf8_lossy(&real).into_owned();
            proptest::prop_assert_eq!(key.verify(&binding, &mutated), !changed);
        }
    }
}
