//! Password hashing with argon2id on a fixed pool of worker threads, each reusing its memory.
//!
//! Each hash needs 19 MiB. Hashing on tokio's blocking pool let every new blocking thread
//! allocate its own 19 MiB in its own allocator arena, and glibc keeps freed memory of that
//! size in the arena: five rounds of 200 simultaneous sign-ins left the process 650 MB larger
//! for good. Here a fixed number of workers (one per core) each allocate their block memory
//! once and hash into it again and again, so hashing costs `workers × 19 MiB` however many
//! sign-ins arrive. A caller that cannot get a worker in time is told the service is busy.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Semaphore, oneshot};

/// OWASP's recommended argon2id settings: m=19456 KiB, t=2, p=1.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
const OUTPUT_LEN: usize = 32;
const SALT_LEN: usize = 16;
const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// A worker that had nothing to do for this long gives its memory back.
const IDLE_RELEASE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("too many sign-ins are being checked at once")]
    Busy,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

fn failed(e: impl std::fmt::Display) -> PasswordError {
    PasswordError::Hashing(e.to_string())
}

enum Work {
    Hash(SecretString),
    /// Verify against a stored PHC string; `real` is false for the decoy of unknown accounts.
    Verify {
        password: SecretString,
        stored: String,
        real: bool,
    },
}

enum Done {
    Hashed(String),
    Verified(bool),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Done, PasswordError>>,
}

/// How many hashes run at this moment, and the most that ever ran at once.
#[derive(Default)]
struct Gauge {
    now: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
}

impl Gauge {
    fn around<T>(&self, job: impl FnOnce() -> T) -> T {
        use std::sync::atomic::Ordering::SeqCst;
        let running = self.now.fetch_add(1, SeqCst) + 1;
        self.peak.fetch_max(running, SeqCst);
        let result = job();
        self.now.fetch_sub(1, SeqCst);
        result
    }
}

#[derive(Clone)]
pub struct PasswordService {
    /// One per worker: a caller holds one while its job runs, so jobs never queue unseen.
    slots: Arc<Semaphore>,
    running: Arc<Gauge>,
    jobs: flume::Sender<Job>,
    /// A real hash of a random password, verified when the account does not exist so that
    /// unknown e-mails take as long as wrong passwords.
    decoy_hash: Arc<String>,
}

#[expect(clippy::expect_used, reason = "the parameters are constants within argon2's limits")]
fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(OUTPUT_LEN)).expect("valid constants")
}

/// One worker: its block memory is allocated on the first job and reused for every other
/// until the worker has been idle for a while.
fn work(jobs: &flume::Receiver<Job>, running: &Gauge) {
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        let job = match jobs.recv_timeout(IDLE_RELEASE) {
            Ok(job) => job,
            Err(flume::RecvTimeoutError::Timeout) => {
                blocks = Vec::new();
                continue;
            }
            // Every sender is gone: the service was dropped.
            Err(flume::RecvTimeoutError::Disconnected) => return,
        };
        let result = running.around(|| match job.work {
            Work::Hash(password) => hash(&mut blocks, &password).map(Done::Hashed),
            Work::Verify { password, stored, real } => {
                Ok(Done::Verified(verify(&mut blocks, &password, &stored) && real))
            }
        });
        // The caller may have given up waiting; nothing is lost then.
        let _ = job.reply.send(result);
    }
}

fn memory<'a>(blocks: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    let needed = params.block_count();
    if blocks.len() < needed {
        blocks.resize(needed, Block::new());
    }
    &mut blocks[..needed]
}

fn hash(blocks: &mut Vec<Block>, password: &SecretString) -> Result<String, PasswordError> {
    let params = params();
    let salt: [u8; SALT_LEN] = rand::random();
    let mut out = [0u8; OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.expose_secret().as_bytes(),
            &salt,
            &mut out,
            memory(blocks, &params),
        )
        .map_err(failed)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(failed)?,
        salt: Some(Salt::new(&salt).map_err(failed)?),
        hash: Some(Output::new(&out).map_err(failed)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the stored hash, whatever argon2 parameters it was made with.
/// Anything unreadable is simply no match.
fn verify(blocks: &mut Vec<Block>, password: &SecretString, stored: &str) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else { return false };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::new(phc.algorithm.as_str()),
        Params::try_from(&phc),
        phc.salt.as_ref(),
        phc.hash.as_ref(),
    ) else {
        return false;
    };
    let version = phc.version.map_or(Ok(Version::V0x13), Version::try_from);
    let Ok(version) = version else { return false };
    let mut out = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
        password.expose_secret().as_bytes(),
        salt.as_ref(),
        &mut out,
        memory(blocks, &params),
    );
    // `Output` compares in constant time.
    hashed.is_ok() && Output::new(&out).is_ok_and(|computed| computed == *expected)
}

impl PasswordService {
    /// `workers` hashes run at once, each on its own thread with its own 19 MiB.
    pub fn new(workers: usize) -> Result<PasswordService, PasswordError> {
        let workers = workers.max(1);
        let (sender, receiver) = flume::unbounded();
        let running = Arc::new(Gauge::default());
        for n in 0..workers {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("calbridge-argon2-{n}"))
                .spawn({
                    let running = Arc::clone(&running);
                    move || work(&receiver, &running)
                })
                .map_err(failed)?;
        }
        let decoy = SecretString::from(crate::auth::token::random_token());
        let decoy_hash = hash(&mut Vec::new(), &decoy)?;
        Ok(PasswordService {
            slots: Arc::new(Semaphore::new(workers)),
            running,
            jobs: sender,
            decoy_hash: Arc::new(decoy_hash),
        })
    }

    /// One worker per core, at least two.
    pub fn for_this_machine() -> Result<PasswordService, PasswordError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordService::new(cores.max(2))
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        match self.run(Work::Hash(password.clone())).await? {
            Done::Hashed(hash) => Ok(hash),
            Done::Verified(_) => Err(failed("a hash job answered as a verification")),
        }
    }

    /// Checks `password` against `stored`; with no stored hash the decoy is checked and the
    /// answer is always false, taking the same time.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let (stored, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.decoy_hash.as_ref().clone(), false),
        };
        match self.run(Work::Verify { password: password.clone(), stored, real }).await? {
            Done::Verified(ok) => Ok(ok),
            Done::Hashed(_) => Err(failed("a verification answered as a hash")),
        }
    }

    async fn run(&self, work: Work) -> Result<Done, PasswordError> {
        let busy = |_| {
            let running = self.running.now.load(std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(
                running,
                waited_secs = QUEUE_WAIT.as_secs(),
                "no hashing worker came free"
            );
            PasswordError::Busy
        };
        let _slot = tokio::time::timeout(QUEUE_WAIT, self.slots.acquire())
            .await
            .map_err(busy)?
            .map_err(|_| PasswordError::Busy)?;
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { work, reply }).map_err(|_| failed("the hashing workers stopped"))?;
        answer.await.map_err(|_| failed("a hashing worker stopped"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{PasswordHasher, PasswordVerifier};

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
        assert_ne!(service.hash(&pw).await.unwrap(), hash, "a fresh salt every time");
    }

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own() {
        // Stored hashes made by earlier versions (the crate's own hasher) still verify, and
        // ours verify with the crate's verifier.
        let service = PasswordService::new(1).unwrap();
        let pw = SecretString::from("grøn kaffe på taget 7");
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(pw.expose_secret().as_bytes())
            .unwrap()
            .to_string();
        assert!(service.verify(&pw, Some(&theirs)).await.unwrap());
        let ours = service.hash(&pw).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(pw.expose_secret().as_bytes(), &parsed).is_ok());
        // Other parameters are read from the stored hash.
        let light =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8, 1, 1, None).unwrap())
                .hash_password(b"tiny")
                .unwrap()
                .to_string();
        assert!(service.verify(&SecretString::from("tiny"), Some(&light)).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrency_is_bounded_by_the_workers() {
        for workers in [1, 2] {
            let service = PasswordService::new(workers).unwrap();
            let pw = SecretString::from("some password here");
            let tasks: Vec<_> = (0..6)
                .map(|_| {
                    let (service, pw) = (service.clone(), pw.clone());
                    tokio::spawn(async move { service.hash(&pw).await.unwrap() })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let peak = service.running.peak.load(std::sync::atomic::Ordering::SeqCst);
            assert!((1..=workers).contains(&peak), "{peak} hashes at once with {workers}");
        }
    }
}
