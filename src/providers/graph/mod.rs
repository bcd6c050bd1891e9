//! Microsoft Graph (Exchange Online) as a calendar source.
//!
//! Free/busy reads `getSchedule` for up to 20 mailboxes per request; full detail reads each
//! mailbox's `calendarView`. Either way the requests travel in JSON batches of up to 20, so a
//! free/busy sync of 400 mailboxes is one HTTP request.

mod call;
mod exchange;
#[cfg(test)]
mod fuzz;
mod groups;
mod items;
mod progress;
mod requests;
mod token;
mod transport;
mod verdict;
pub mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use oauth2::TokenUrl;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::SecretString;

use super::{
    CalendarProvider, Grant, GroupDirectory, GroupError, GroupMembers, ProviderError, ReadOutcome,
    TimeWindow,
};
use crate::clock::Clock;
use crate::domain::Email;
use crate::providers::retry::RetryPolicy;
use token::TokenSource;
use transport::Transport;

pub const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";
/// The app-only scope for Microsoft Graph: "whatever application permissions were consented".
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

pub use crate::domain::provider::DetailLevel;

/// Limits and timings; the defaults are what production uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunables {
    pub connect_timeout: Duration,
    /// For one whole HTTP exchange; a batch of 20 getSchedule requests can take seconds.
    pub request_timeout: Duration,
    /// Backoff base when Graph gives no `Retry-After`: the n-th retry waits up to base · 2ⁿ.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    pub max_retries: u32,
    /// HTTP requests in flight per tenant, across all calls. Outlook allows 4 concurrent
    /// requests per app and mailbox; keeping the whole tenant at 4 means no mailbox can ever
    /// be in more than 4 concurrent requests, whatever the calls overlap.
    pub max_in_flight: usize,
    /// A cached token is replaced this long before it expires.
    pub token_refresh_margin: Duration,
    /// `$top` for calendarView pages.
    pub page_size: u32,
    /// `$top` for group member pages (Graph's largest is 999).
    pub group_page_size: u32,
    /// The token scope; only national clouds need another one.
    pub scope: String,
}

impl Default for Tunables {
    fn default() -> Self {
        Tunables {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry_base: Duration::from_secs(3),
            retry_cap: Duration::from_secs(180),
            max_retries: 3,
            max_in_flight: 4,
            token_refresh_margin: Duration::from_secs(300),
            page_size: 100,
            group_page_size: 999,
            scope: GRAPH_SCOPE.to_string(),
        }
    }
}

/// Everything a Graph provider for one tenant needs.
pub struct GraphSettings {
    pub login_url: String,
    pub graph_url: String,
    /// Directory (tenant) id: a GUID or a verified domain.
    pub directory: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub detail: DetailLevel,
    pub tunables: Tunables,
    /// Reads "now" for `Retry-After` dates.
    pub clock: Clock,
}

impl GraphSettings {
    /// Settings against Microsoft's public cloud with production tunables.
    pub fn new(
        directory: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
        detail: DetailLevel,
    ) -> GraphSettings {
        GraphSettings {
            login_url: DEFAULT_LOGIN_URL.to_string(),
            graph_url: DEFAULT_GRAPH_URL.to_string(),
            directory: directory.into(),
            client_id: client_id.into(),
            client_secret,
            detail,
            tunables: Tunables::default(),
            clock: Clock::system(),
        }
    }

    /// Points both the login and the Graph base URL at `base` (the simulator serves both).
    pub fn with_base_url(mut self, base: &str) -> GraphSettings {
        self.login_url = base.to_string();
        self.graph_url = base.to_string();
        self
    }

    pub fn with_tunables(mut self, tunables: Tunables) -> GraphSettings {
        self.tunables = tunables;
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> GraphSettings {
        self.clock = clock;
        self
    }
}

impl fmt::Debug for GraphSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphSettings")
            .field("login_url", &self.login_url)
            .field("graph_url", &self.graph_url)
            .field("directory", &self.directory)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("detail", &self.detail)
            .field("tunables", &self.tunables)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid {which} URL")]
    Url { which: &'static str },
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

/// The Graph provider of one tenant. Build it once and keep it: it holds the tenant's token
/// cache and its cap on requests in flight.
pub struct GraphProvider {
    graph_url: String,
    detail: DetailLevel,
    page_size: u32,
    group_page_size: u32,
    retry: RetryPolicy,
    max_in_flight: usize,
    transport: Arc<Transport>,
    tokens: TokenSource,
    clock: Clock,
}

impl fmt::Debug for GraphProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphProvider")
            .field("graph_url", &self.graph_url)
            .field("detail", &self.detail)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// A GUID or a domain passes unchanged; anything else cannot change the token URL's path.
const DIRECTORY_SEGMENT: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.');

fn base(url: &str, which: &'static str) -> Result<String, SettingsError> {
    let parsed = url::Url::parse(url).map_err(|_| SettingsError::Url { which })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
        return Err(SettingsError::Url { which });
    }
    Ok(url.trim_end_matches('/').to_string())
}

impl GraphProvider {
    pub fn new(settings: GraphSettings) -> Result<GraphProvider, SettingsError> {
        let GraphSettings {
            login_url,
            graph_url,
            directory,
            client_id,
            client_secret,
            detail,
            tunables,
            clock,
        } = settings;
        let login = base(&login_url, "login")?;
        let graph_url = base(&graph_url, "Graph")?;
        let directory = utf8_percent_encode(directory.trim(), DIRECTORY_SEGMENT);
        let token_url = TokenUrl::new(format!("{login}/{directory}/oauth2/v2.0/token"))
            .map_err(|_| SettingsError::Url { which: "token" })?;
        let transport = Transport::new(
            tunables.connect_timeout,
            tunables.request_timeout,
            tunables.max_in_flight,
        )
        .map_err(SettingsError::Client)?;
        let tokens = TokenSource::new(
            token_url,
            client_id.trim().to_string(),
            client_secret,
            tunables.scope.clone(),
            tunables.token_refresh_margin,
            clock.clone(),
        );
        Ok(GraphProvider {
            graph_url,
            detail,
            page_size: tunables.page_size.max(1),
            group_page_size: tunables.group_page_size.clamp(1, 999),
            retry: RetryPolicy {
                base: tunables.retry_base,
                cap: tunables.retry_cap,
                max_retries: tunables.max_retries,
            },
            max_in_flight: tunables.max_in_flight.max(1),
            transport: Arc::new(transport),
            tokens,
            clock,
        })
    }

    pub fn detail(&self) -> DetailLevel {
        self.detail
    }
}

#[async_trait]
impl CalendarProvider for GraphProvider {
    async fn sign_in(&self) -> Result<Grant, ProviderError> {
        let counters = Arc::new(transport::CallCounters::default());
        let bearer = self.tokens.bearer(&self.transport, &counters, &self.retry).await?;
        Ok(Grant { permissions: bearer.roles(), method: None })
    }

    async fn read_calendars(&self, mailboxes: &[Email], window: TimeWindow) -> ReadOutcome {
        call::read(self, mailboxes, window).await
    }

    fn groups(&self) -> Option<&dyn GroupDirectory> {
        Some(self)
    }
}

#[async_trait]
impl GroupDirectory for GraphProvider {
    async fn group_members(&self, group: uuid::Uuid) -> Result<GroupMembers, GroupError> {
        groups::members(self, group).await
    }
}
