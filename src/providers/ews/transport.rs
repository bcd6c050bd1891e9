//! HTTP to one Exchange server: a few long-lived connections, each signed in on its own.
//!
//! NTLM authenticates a TCP connection, not a request: the three-message handshake must run
//! on one connection, after which the connection stays signed in. So every connection here
//! is its own HTTP/1.1 client holding at most one socket, used by one request at a time;
//! the pool of them is the tenant's cap on concurrent requests, which is what on-premises
//! Exchange throttles by.

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::wire;
use crate::clock::Clock;
use crate::domain::provider::EwsAuth;
use crate::providers::counters::CallCounters;
use crate::providers::retry::RetryPolicy;
use crate::providers::{AuthProblem, NetworkProblem, ProviderError};

/// A free/busy answer for 100 mailboxes over 42 days stays far below this.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
const WORKSTATION: &str = "CALBRIDGE";

/// The scheme a server was found to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Basic,
    Ntlm,
    /// NTLM tokens under the `Negotiate` name, for servers that only announce Negotiate
    /// (Windows accepts raw NTLM inside Negotiate).
    Negotiate,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Basic => "Basic",
            Scheme::Ntlm => "NTLM",
            Scheme::Negotiate => "Negotiate (NTLM)",
        }
    }

    fn header_prefix(self) -> &'static str {
        match self {
            Scheme::Basic => "Basic",
            Scheme::Ntlm => "NTLM",
            Scheme::Negotiate => "Negotiate",
        }
    }
}

/// The service account, as typed and as NTLM needs it.
pub struct Account {
    /// As typed: `DOMAIN\user` or a UPN; what Basic sends.
    pub login: String,
    pub password: SecretString,
}

impl Account {
    /// `(user, domain)` for NTLM: `DOMAIN\user` splits, a UPN goes whole with no domain.
    fn ntlm_names(&self) -> (String, String) {
        match self.login.split_once('\\') {
            Some((domain, user)) => (user.to_owned(), domain.to_owned()),
            None => (self.login.clone(), String::new()),
        }
    }
}

/// How connections are made.
pub struct Recipe {
    pub ca_pem: Option<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub allow_private: bool,
}

impl Recipe {
    fn client(&self) -> Result<reqwest::Client, ProviderError> {
        let mut builder = reqwest::Client::builder()
            .http1_only()
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(Duration::from_secs(90))
            // A redirect could carry the password elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .user_agent(concat!("calbridge/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &self.ca_pem {
            // Trusted in addition to the public roots, for this tenant's connections only.
            for certificate in reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| invalid_ca(e.to_string()))?
            {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if !self.allow_private {
            builder = builder.dns_resolver(std::sync::Arc::new(crate::outbound::PublicOnly));
        }
        builder.build().map_err(|e| invalid_ca(e.to_string()))
    }
}

fn invalid_ca(detail: String) -> ProviderError {
    ProviderError::Unreachable {
        problem: NetworkProblem::TlsUntrusted,
        detail: format!("the CA certificate cannot be used: {detail}"),
        source: None,
    }
}

struct Connection {
    client: reqwest::Client,
    /// NTLM signed this connection in; later requests on it need no header.
    signed_in: bool,
}

pub struct Transport {
    url: String,
    account: Account,
    choice: EwsAuth,
    /// What the server was found to accept: discovered once, by one request however many
    /// start at the same moment.
    scheme: tokio::sync::OnceCell<Scheme>,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    recipe: Recipe,
    retry: RetryPolicy,
    clock: Clock,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("url", &self.url)
            .field("login", &self.account.login)
            .field("choice", &self.choice)
            .finish_non_exhaustive()
    }
}

/// One response, read to the end.
struct Received {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    /// The schemes a 401 offers, by their names.
    fn offers(&self) -> Vec<String> {
        self.headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|v| v.split_whitespace().next())
            .map(|v| v.to_ascii_lowercase())
            .collect()
    }

    /// The NTLM challenge a 401 carries.
    fn challenge(&self, scheme: Scheme) -> Option<Vec<u8>> {
        let prefix = scheme.header_prefix();
        self.headers.get_all(WWW_AUTHENTICATE).iter().find_map(|v| {
            let v = v.to_str().ok()?;
            let (name, token) = v.split_once(' ')?;
            name.eq_ignore_ascii_case(prefix).then(|| BASE64.decode(token.trim()).ok()).flatten()
        })
    }
}

/// Classifies a failed exchange by what broke.
fn network_error(error: reqwest::Error) -> ProviderError {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    while let Some(e) = source {
        chain.push_str(&e.to_string().to_ascii_lowercase());
        chain.push_str(": ");
        source = e.source();
    }
    let problem = if chain.contains("public addresses only") {
        Some(NetworkProblem::PrivateAddress)
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        Some(NetworkProblem::TlsUntrusted)
    } else if chain.contains("dns") || chain.contains("lookup") || chain.contains("resolve") {
        Some(NetworkProblem::HostNotFound)
    } else if error.is_connect() {
        Some(NetworkProblem::ConnectFailed)
    } else {
        None
    };
    let detail = chain.trim_end_matches(": ").to_owned();
    match problem {
        Some(problem) => ProviderError::Unreachable { problem, detail, source: None },
        None if error.is_timeout() => ProviderError::UpstreamUnavailable {
            detail: "the Exchange server did not answer in time".into(),
            source: Some(std::sync::Arc::new(error)),
        },
        None => {
            ProviderError::UpstreamUnavailable { detail, source: Some(std::sync::Arc::new(error)) }
        }
    }
}

fn wrong_password(detail: &str) -> ProviderError {
    ProviderError::Auth { problem: AuthProblem::WrongPassword, aadsts: None, detail: detail.into() }
}

fn unsupported(offers: &[String]) -> ProviderError {
    ProviderError::Auth {
        problem: AuthProblem::SchemeUnsupported,
        aadsts: None,
        detail: format!(
            "the server offers: {}",
            if offers.is_empty() { "nothing".into() } else { offers.join(", ") }
        ),
    }
}

/// What one round trip came to.
enum Outcome {
    Answer(Vec<u8>),
    /// `ErrorServerBusy` or 503: wait and send again.
    Busy(Option<Duration>),
}

impl Transport {
    pub fn new(
        url: String,
        account: Account,
        choice: EwsAuth,
        recipe: Recipe,
        max_in_flight: usize,
        retry: RetryPolicy,
        clock: Clock,
    ) -> Result<Transport, ProviderError> {
        // Built once up front so that an unusable CA certificate is an error now.
        let first = Connection { client: recipe.client()?, signed_in: false };
        Ok(Transport {
            url,
            account,
            choice,
            scheme: tokio::sync::OnceCell::new(),
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(max_in_flight.max(1)),
            recipe,
            retry,
            clock,
        })
    }

    /// The scheme in use, once known.
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme.get().copied()
    }

    fn take(&self) -> Result<Connection, ProviderError> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match pooled {
            Some(connection) => Ok(connection),
            None => Ok(Connection { client: self.recipe.client()?, signed_in: false }),
        }
    }

    fn give_back(&self, connection: Connection) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(connection);
    }

    /// Sends one SOAP request, signing in as needed and waiting out `ErrorServerBusy`.
    pub async fn call(
        &self,
        body: &str,
        counters: &CallCounters,
    ) -> Result<Vec<u8>, ProviderError> {
        let mut retries = 0;
        loop {
            let outcome = {
                let _permit = self.permits.acquire().await.ok();
                let mut connection = self.take()?;
                let outcome = self.exchange(&mut connection, body, counters).await;
                // A connection that failed mid-way may be half-open: it is not reused.
                if outcome.is_ok() {
                    self.give_back(connection);
                }
                outcome?
            };
            match outcome {
                Outcome::Answer(bytes) => return Ok(bytes),
                Outcome::Busy(back_off) => {
                    counters.add_throttled();
                    if retries >= self.retry.max_retries {
                        return Err(ProviderError::Throttled { retries, retry_after: back_off });
                    }
                    let wait = back_off.unwrap_or_else(|| self.retry.backoff(retries));
                    if wait > self.retry.cap {
                        return Err(ProviderError::Throttled { retries, retry_after: back_off });
                    }
                    retries += 1;
                    counters.add_retry();
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn send(
        &self,
        connection: &Connection,
        body: &str,
        authorization: Option<String>,
        counters: &CallCounters,
    ) -> Result<Received, ProviderError> {
        let mut request = connection
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(body.to_owned());
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        counters.add_http_request();
        let mut response = request.send().await.map_err(network_error)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        if response.content_length().is_some_and(|len| len > MAX_BODY_BYTES as u64) {
            return Err(ProviderError::MalformedResponse {
                detail: format!("EWS answer larger than {MAX_BODY_BYTES} bytes"),
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network_error)? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ProviderError::MalformedResponse {
                    detail: format!("EWS answer larger than {MAX_BODY_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Received { status, headers, body: bytes })
    }

    /// Finds out which scheme to use: the chosen one, or what the server offers.
    async fn settle_scheme(
        &self,
        connection: &Connection,
        counters: &CallCounters,
    ) -> Result<Scheme, ProviderError> {
        let scheme = self
            .scheme
            .get_or_try_init(|| async {
                match self.choice {
                    EwsAuth::Basic => Ok(Scheme::Basic),
                    EwsAuth::Ntlm => Ok(Scheme::Ntlm),
                    EwsAuth::Auto => self.discover(connection, counters).await,
                }
            })
            .await?;
        Ok(*scheme)
    }

    /// Asks without credentials and reads the offered schemes off the 401.
    async fn discover(
        &self,
        connection: &Connection,
        counters: &CallCounters,
    ) -> Result<Scheme, ProviderError> {
        let probe = self.send(connection, "", None, counters).await?;
        let offers = probe.offers();
        let has = |name: &str| offers.iter().any(|o| o == name);
        if has("ntlm") {
            Ok(Scheme::Ntlm)
        } else if has("negotiate") {
            Ok(Scheme::Negotiate)
        } else if has("basic") {
            Ok(Scheme::Basic)
        } else if probe.status == 404 {
            Err(not_ews(404))
        } else {
            Err(unsupported(&offers))
        }
    }

    async fn exchange(
        &self,
        connection: &mut Connection,
        body: &str,
        counters: &CallCounters,
    ) -> Result<Outcome, ProviderError> {
        let scheme = self.settle_scheme(connection, counters).await?;
        let received = match scheme {
            Scheme::Basic => {
                let pair =
                    format!("{}:{}", self.account.login, self.account.password.expose_secret());
                let header = format!("Basic {}", BASE64.encode(pair));
                let received = self.send(connection, body, Some(header), counters).await?;
                if received.status == 401 {
                    return Err(wrong_password("Basic authentication was refused"));
                }
                received
            }
            Scheme::Ntlm | Scheme::Negotiate => {
                let mut received = None;
                if connection.signed_in {
                    let answer = self.send(connection, body, None, counters).await?;
                    if answer.status != 401 {
                        received = Some(answer);
                    }
                }
                match received {
                    Some(answer) => answer,
                    None => {
                        connection.signed_in = false;
                        let answer = self.handshake(connection, scheme, body, counters).await?;
                        connection.signed_in = true;
                        answer
                    }
                }
            }
        };
        self.interpret(received)
    }

    /// NTLM's negotiate → challenge → authenticate, the last one carrying `body`.
    async fn handshake(
        &self,
        connection: &Connection,
        scheme: Scheme,
        body: &str,
        counters: &CallCounters,
    ) -> Result<Received, ProviderError> {
        let prefix = scheme.header_prefix();
        let negotiate = ntlmclient::Message::Negotiate(ntlmclient::NegotiateMessage {
            flags: ntlmclient::Flags::NEGOTIATE_UNICODE
                | ntlmclient::Flags::REQUEST_TARGET
                | ntlmclient::Flags::NEGOTIATE_NTLM
                | ntlmclient::Flags::NEGOTIATE_WORKSTATION_SUPPLIED,
            supplied_domain: String::new(),
            supplied_workstation: WORKSTATION.to_owned(),
            os_version: Default::default(),
        });
        let bytes = negotiate.to_bytes().map_err(|e| ntlm_failed(format!("{e:?}")))?;
        let header = format!("{prefix} {}", BASE64.encode(bytes));
        let challenged = self.send(connection, "", Some(header), counters).await?;
        let Some(challenge) = challenged.challenge(scheme) else {
            if challenged.status == 401 {
                return Err(unsupported(&challenged.offers()));
            }
            return Err(ntlm_failed(format!("no NTLM challenge (HTTP {})", challenged.status)));
        };
        let challenge = match ntlmclient::Message::try_from(challenge.as_slice()) {
            Ok(ntlmclient::Message::Challenge(challenge)) => challenge,
            _ => return Err(ntlm_failed("the NTLM challenge is unreadable".into())),
        };
        let target_info: Vec<u8> =
            challenge.target_information.iter().flat_map(|entry| entry.to_bytes()).collect();
        let (user, domain) = self.account.ntlm_names();
        let credentials = ntlmclient::Credentials {
            username: user,
            password: self.account.password.expose_secret().to_owned(),
            domain,
        };
        let response = ntlmclient::respond_challenge_ntlm_v2(
            challenge.challenge,
            &target_info,
            ntlm_time(&self.clock),
            &credentials,
        );
        let message = response.to_message(
            &credentials,
            WORKSTATION,
            ntlmclient::Flags::NEGOTIATE_UNICODE | ntlmclient::Flags::NEGOTIATE_NTLM,
        );
        let bytes = message.to_bytes().map_err(|e| ntlm_failed(format!("{e:?}")))?;
        let header = format!("{prefix} {}", BASE64.encode(bytes));
        let answer = self.send(connection, body, Some(header), counters).await?;
        if answer.status == 401 {
            return Err(wrong_password("NTLM authentication was refused"));
        }
        Ok(answer)
    }

    fn interpret(&self, received: Received) -> Result<Outcome, ProviderError> {
        match received.status {
            200 => Ok(Outcome::Answer(received.body)),
            503 => Ok(Outcome::Busy(None)),
            404 => Err(not_ews(404)),
            status => match wire::fault(&received.body) {
                Some(fault) if fault.is_server_busy() => Ok(Outcome::Busy(fault.back_off)),
                Some(fault) => Err(ProviderError::UpstreamUnavailable {
                    detail: format!("EWS fault {}: {}", fault.code, fault.message),
                    source: None,
                }),
                None => Err(ProviderError::UpstreamUnavailable {
                    detail: format!("the Exchange server answered HTTP {status}"),
                    source: None,
                }),
            },
        }
    }
}

fn not_ews(status: u16) -> ProviderError {
    ProviderError::Unreachable {
        problem: NetworkProblem::NotEws,
        detail: format!("HTTP {status}: no EWS service at this address"),
        source: None,
    }
}

fn ntlm_failed(detail: String) -> ProviderError {
    ProviderError::Auth {
        problem: AuthProblem::Other,
        aadsts: None,
        detail: format!("NTLM: {detail}"),
    }
}

/// NTLM's clock: tenths of microseconds since 1601.
fn ntlm_time(clock: &Clock) -> i64 {
    const WINDOWS_TO_UNIX_SECS: i64 = 11_644_473_600;
    let now = clock.now();
    (now.timestamp() + WINDOWS_TO_UNIX_SECS) * 10_000_000
        + i64::from(now.timestamp_subsec_nanos() / 100)
}
