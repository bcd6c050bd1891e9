//! App-only access tokens from Microsoft Entra (client-credentials grant), cached per tenant.
//!
//! The cache sits behind an async mutex held across the token request, so concurrent calls
//! that find no valid token wait for the one request in flight instead of each sending their
//! own. There is no refresh token in this flow: a new token is simply requested.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenResponse,
};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RequestTokenError, Scope,
    StandardRevocableToken, TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use super::transport::{CallCounters, Transport, TransportError};
use super::wire::{TokenErrorResponse, describe_json_error};
use crate::clock::Clock;
use crate::providers::error::{AuthProblem, ProviderError};
use crate::providers::retry::{RetryPolicy, is_retryable_status, parse_retry_after};

/// When Microsoft leaves out `expires_in`, assume its usual lifetime of an hour.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3599);
/// `expires_in` comes from the network; a day is far beyond any real token's life and keeps
/// the arithmetic on `Instant` safe from absurd values.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

type EntraClient = oauth2::Client<
    TokenErrorResponse,
    BasicTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A bearer token and the generation it belongs to (to invalidate exactly that one).
#[derive(Clone)]
pub struct Bearer {
    value: Arc<SecretString>,
    generation: u64,
}

impl Bearer {
    /// The `Authorization` header, marked sensitive so that it never reaches a debug log.
    pub fn authorization(&self) -> reqwest::header::HeaderValue {
        let value = format!("Bearer {}", self.value.expose_secret());
        let mut header = reqwest::header::HeaderValue::from_str(&value)
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Bearer"));
        header.set_sensitive(true);
        header
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The application permissions in the token's `roles` claim. Microsoft issues app-only
    /// Graph tokens as JWTs but tells clients to treat them as opaque, so `None` when this
    /// one cannot be read; an absent claim is no permission at all.
    pub fn roles(&self) -> Option<Vec<String>> {
        use base64::Engine;
        #[derive(serde::Deserialize)]
        struct Claims {
            #[serde(default)]
            roles: Vec<String>,
        }
        let payload = self.value.expose_secret().split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice::<Claims>(&bytes).ok().map(|claims| claims.roles)
    }
}

struct Cached {
    bearer: Bearer,
    refresh_at: Instant,
}

pub struct TokenSource {
    token_url: TokenUrl,
    client_id: String,
    secret: SecretString,
    scope: String,
    refresh_margin: Duration,
    cache: tokio::sync::Mutex<Option<Cached>>,
    generations: std::sync::atomic::AtomicU64,
    clock: Clock,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// What the HTTP layer under `oauth2` saw, since `oauth2` keeps neither status nor headers.
#[derive(Debug, thiserror::Error)]
enum TokenHttpError {
    #[error(transparent)]
    Transport(TransportError),
    #[error("cannot build the token request")]
    Build(#[source] reqwest::Error),
    #[error("cannot read the token response")]
    Response(#[source] oauth2::http::Error),
}

/// The HTTP client `oauth2` calls: the tenant's transport, noting status and `Retry-After`.
struct Exchange {
    transport: Arc<Transport>,
    counters: Arc<CallCounters>,
    seen: Mutex<Option<(u16, Option<String>)>>,
}

impl<'c> oauth2::AsyncHttpClient<'c> for Exchange {
    type Error = TokenHttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, TokenHttpError>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(TokenHttpError::Build)?;
            self.counters.add_token_request();
            let received = self
                .transport
                .execute(request, &self.counters)
                .await
                .map_err(TokenHttpError::Transport)?;
            let retry_after = received.retry_after().map(str::to_owned);
            *self.seen.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((received.status, retry_after));
            let mut builder = oauth2::http::Response::builder().status(received.status);
            for (name, value) in &received.headers {
                builder = builder.header(name, value);
            }
            builder.body(received.body).map_err(TokenHttpError::Response)
        })
    }
}

/// One attempt's result, before deciding whether to try again.
enum Attempt {
    Issued(BasicTokenResponse),
    Retry { status: Option<u16>, retry_after: Option<Duration>, error: ProviderError },
    Fail(ProviderError),
}

impl TokenSource {
    pub fn new(
        token_url: TokenUrl,
        client_id: String,
        secret: SecretString,
        scope: String,
        refresh_margin: Duration,
        clock: Clock,
    ) -> TokenSource {
        TokenSource {
            token_url,
            client_id,
            secret,
            scope,
            refresh_margin,
            cache: tokio::sync::Mutex::new(None),
            generations: std::sync::atomic::AtomicU64::new(0),
            clock,
        }
    }

    /// A valid token, from the cache or freshly requested.
    pub async fn bearer(
        &self,
        transport: &Arc<Transport>,
        counters: &Arc<CallCounters>,
        retry: &RetryPolicy,
    ) -> Result<Bearer, ProviderError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(cached.bearer.clone());
        }
        let response = self.request(transport, counters, retry).await?;
        let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME).min(MAX_LIFETIME);
        let generation = self.generations.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let bearer = Bearer {
            value: Arc::new(SecretString::from(response.access_token().secret().as_str())),
            generation,
        };
        let refresh_at = Instant::now() + lifetime.saturating_sub(self.refresh_margin);
        *cache = Some(Cached { bearer: bearer.clone(), refresh_at });
        tracing::debug!(lifetime_secs = lifetime.as_secs(), "access token issued");
        Ok(bearer)
    }

    /// Forgets the token of `generation` after Graph refused it; a newer one is kept.
    pub async fn invalidate(&self, generation: u64) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| c.bearer.generation == generation) {
            *cache = None;
        }
    }

    async fn request(
        &self,
        transport: &Arc<Transport>,
        counters: &Arc<CallCounters>,
        retry: &RetryPolicy,
    ) -> Result<BasicTokenResponse, ProviderError> {
        let mut retries = 0;
        loop {
            match self.attempt(transport, counters).await {
                Attempt::Issued(response) => return Ok(response),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { status, retry_after, error } => {
                    if status == Some(429) {
                        counters.add_throttled();
                    }
                    let wait = retry_after.unwrap_or_else(|| retry.backoff(retries));
                    if retries >= retry.max_retries || wait > retry.cap {
                        tracing::warn!(retries, error = %error, "token endpoint: giving up");
                        return Err(match status {
                            Some(429) => ProviderError::Throttled { retries, retry_after },
                            _ => error,
                        });
                    }
                    retries += 1;
                    counters.add_retry();
                    tracing::debug!(
                        ?status,
                        wait_ms = wait.as_millis() as u64,
                        "token endpoint: retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn attempt(&self, transport: &Arc<Transport>, counters: &Arc<CallCounters>) -> Attempt {
        // Built per request so the secret lives as a plain string only for this moment.
        let client: EntraClient = oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.secret.expose_secret().to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(self.token_url.clone());
        let exchange = Exchange {
            transport: Arc::clone(transport),
            counters: Arc::clone(counters),
            seen: Mutex::new(None),
        };
        let result = client
            .exchange_client_credentials()
            .add_scope(Scope::new(self.scope.clone()))
            .request_async(&exchange)
            .await;
        let seen = exchange.seen.lock().unwrap_or_else(|e| e.into_inner()).take();
        let status = seen.as_ref().map(|(status, _)| *status);
        let retry_after = seen
            .as_ref()
            .and_then(|(_, value)| value.as_deref())
            .and_then(|value| parse_retry_after(value, self.clock.now()));
        let retryable = status.is_some_and(is_retryable_status);
        let unavailable = |detail: String| ProviderError::UpstreamUnavailable {
            detail: self.redact(&detail),
            source: None,
        };
        match result {
            Ok(response) => Attempt::Issued(response),
            Err(RequestTokenError::ServerResponse(body)) if retryable => Attempt::Retry {
                status,
                retry_after,
                error: unavailable(format!("token endpoint: {body}")),
            },
            Err(RequestTokenError::ServerResponse(body)) => {
                Attempt::Fail(self.auth_error(&body, status))
            }
            Err(RequestTokenError::Request(TokenHttpError::Transport(error))) => {
                let detail = format!("token endpoint: {error}");
                Attempt::Retry {
                    status: None,
                    retry_after: None,
                    error: ProviderError::UpstreamUnavailable {
                        detail,
                        source: Some(Arc::new(error)),
                    },
                }
            }
            Err(RequestTokenError::Request(error)) => {
                Attempt::Fail(unavailable(format!("token endpoint: {error}")))
            }
            Err(_) if retryable => Attempt::Retry {
                status,
                retry_after,
                error: unavailable(format!(
                    "token endpoint answered {} without a readable body",
                    status.unwrap_or_default()
                )),
            },
            Err(RequestTokenError::Parse(error, _body)) => {
                let detail = format!(
                    "token endpoint (status {}): {} at {}",
                    status.unwrap_or_default(),
                    describe_json_error(error.inner()),
                    error.path()
                );
                Attempt::Fail(match status {
                    Some(500..) => unavailable(detail),
                    _ => ProviderError::MalformedResponse { detail },
                })
            }
            Err(RequestTokenError::Other(reason)) => {
                let detail =
                    format!("token endpoint (status {}): {reason}", status.unwrap_or_default());
                Attempt::Fail(match status {
                    Some(500..) => unavailable(detail),
                    _ => ProviderError::MalformedResponse { detail: self.redact(&detail) },
                })
            }
        }
    }

    fn auth_error(&self, body: &TokenErrorResponse, status: Option<u16>) -> ProviderError {
        let aadsts = body.aadsts();
        if status.is_some_and(|s| s >= 500) {
            return ProviderError::UpstreamUnavailable {
                detail: self.redact(&format!("token endpoint: {body}")),
                source: None,
            };
        }
        let problem = aadsts.map(AuthProblem::from_aadsts).unwrap_or(AuthProblem::Other);
        tracing::warn!(aadsts = ?aadsts, error = %body.error, "token request refused");
        ProviderError::Auth { problem, aadsts, detail: self.redact(&body.to_string()) }
    }

    /// Microsoft never echoes the secret, but a proxy or a future message might; the text is
    /// for logs and admins, so the secret is cut out whatever produced it.
    fn redact(&self, text: &str) -> String {
        let secret = self.secret.expose_secret();
        if secret.is_empty() { text.to_string() } else { text.replace(secret, "[redacted]") }
    }
}
