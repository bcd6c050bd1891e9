//! Password hashing with argon2id, off the async executor and with bounded concurrency.
//!
//! Each hash takes 19 MiB for tens of milliseconds; unbounded, a login flood would take all
//! memory and every blocking thread. A semaphore caps how many run at once, and a caller that
//! cannot get a slot in time is told the service is busy instead of queueing forever.

use std::sync::Arc;
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// OWASP's recommended argon2id settings: m=19456 KiB, t=2, p=1.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
const QUEUE_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("too many sign-ins are being checked at once")]
    Busy,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

#[derive(Clone)]
pub struct PasswordService {
    slots: Arc<Semaphore>,
    /// A real hash of a random password, verified when the account does not exist so that
    /// unknown e-mails take as long as wrong passwords.
    decoy_hash: Arc<String>,
}

#[expect(clippy::expect_used, reason = "the parameters are constants within argon2's limits")]
fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("valid constants");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordService {
    /// `concurrency` bounds simultaneous hashes (and so memory: concurrency × 19 MiB).
    pub fn new(concurrency: usize) -> Result<PasswordService, PasswordError> {
        let decoy = crate::auth::token::random_token();
        let decoy_hash = hasher()
            .hash_password(decoy.as_bytes())
            .map_err(|e| PasswordError::Hashing(e.to_string()))?
            .to_string();
        Ok(PasswordService {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy_hash: Arc::new(decoy_hash),
        })
    }

    /// A sensible bound for this machine: one hash per core, at least two.
    pub fn for_this_machine() -> Result<PasswordService, PasswordError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordService::new(cores.max(2))
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let password = password.clone();
        self.run(move || {
            hasher()
                .hash_password(password.expose_secret().as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| PasswordError::Hashing(e.to_string()))
        })
        .await?
    }

    /// Checks `password` against `stored`; with no stored hash the decoy is checked and the
    /// answer is always false, taking the same time.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let password = password.clone();
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.decoy_hash.as_ref().clone(), false),
        };
        self.run(move || {
            let ok = hasher()
                .verify_password(password.expose_secret().as_bytes(), hash.as_str())
                .is_ok();
            ok && real
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| PasswordError::Busy)?
            .map_err(|_| PasswordError::Busy)?;
        let result = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let service = PasswordService::new(2).unwrap();
        let pw = SecretString::from("correct horse battery staple");
        let hash = service.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(service.verify(&pw, Some(&hash)).await.unwrap());
        assert!(!service.verify(&SecretString::from("wrong"), Some(&hash)).await.unwrap());
        assert!(!service.verify(&pw, None).await.unwrap());
        assert!(!service.verify(&pw, Some("not a hash")).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrency_is_bounded() {
        let service = PasswordService::new(1).unwrap();
        let pw = SecretString::from("some password here");
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (service, pw, running, peak) =
                (service.clone(), pw.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                service
                    .run(move || {
                        let now = running.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                        peak.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                        let _ = hasher().hash_password(pw.expose_secret().as_bytes());
                        running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    })
                    .await
                    .unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
