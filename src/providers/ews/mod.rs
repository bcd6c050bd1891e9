//! Exchange Server on-premises through Exchange Web Services (SOAP 1.1 over HTTPS).
//!
//! A service ("Monitor") account with Reviewer on each calendar folder reads free/busy with
//! `GetUserAvailability` (100 mailboxes per request) or, for full detail, each calendar with
//! `FindItem` and a `CalendarView`, as a delegate. Private appointments lose subject and
//! location here, before anything else sees them.

mod call;
pub mod requests;
mod transport;
pub mod wire;
pub mod xml;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;

use super::{CalendarProvider, Grant, NetworkProblem, ProviderError, ReadOutcome, TimeWindow};
use crate::clock::Clock;
use crate::domain::Email;
use crate::domain::provider::{DetailLevel, EwsAuth};
use crate::providers::counters::CallCounters;
use crate::providers::retry::RetryPolicy;
pub use transport::Scheme;
use transport::{Account, Recipe, Transport};

/// Limits and timings; the defaults are what production uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EwsTunables {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Connections (so requests) in flight per tenant. Exchange's default throttling policy
    /// allows 27 concurrent EWS connections per account; staying well below leaves room for
    /// everything else the server does.
    pub max_in_flight: usize,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    pub max_retries: u32,
    /// `MaxEntriesReturned` of a calendar page.
    pub page_size: u32,
    /// Pages per mailbox and read before the answer is called malformed.
    pub max_pages: u32,
}

impl Default for EwsTunables {
    fn default() -> Self {
        EwsTunables {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_in_flight: 8,
            retry_base: Duration::from_secs(3),
            retry_cap: Duration::from_secs(180),
            max_retries: 3,
            page_size: 250,
            max_pages: 40,
        }
    }
}

/// Everything an EWS provider for one tenant needs.
pub struct EwsSettings {
    /// `https://host/EWS/Exchange.asmx`.
    pub url: String,
    /// `DOMAIN\user` or a UPN.
    pub username: String,
    pub password: SecretString,
    pub auth: EwsAuth,
    /// A PEM CA certificate (bundle) trusted for this tenant's server only.
    pub ca_pem: Option<String>,
    pub detail: DetailLevel,
    pub tunables: EwsTunables,
    /// Lets the provider reach private and loopback addresses (own-network installs, tests).
    pub allow_private: bool,
    pub clock: Clock,
}

impl fmt::Debug for EwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EwsSettings")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("auth", &self.auth)
            .field("detail", &self.detail)
            .finish_non_exhaustive()
    }
}

/// The EWS provider of one tenant: keep it, it holds the signed-in connections.
pub struct EwsProvider {
    transport: Arc<Transport>,
    detail: DetailLevel,
    tunables: EwsTunables,
}

impl fmt::Debug for EwsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EwsProvider")
            .field("transport", &self.transport)
            .field("detail", &self.detail)
            .finish_non_exhaustive()
    }
}

impl EwsProvider {
    pub fn new(settings: EwsSettings) -> Result<EwsProvider, ProviderError> {
        let url = url::Url::parse(settings.url.trim()).map_err(|_| invalid_url(&settings.url))?;
        let scheme_ok =
            url.scheme() == "https" || (settings.allow_private && url.scheme() == "http");
        if !scheme_ok || url.host().is_none() {
            return Err(invalid_url(&settings.url));
        }
        if !crate::outbound::literal_allowed(&url, settings.allow_private) {
            return Err(ProviderError::Unreachable {
                problem: NetworkProblem::PrivateAddress,
                detail: format!("{} is not a public address", url.host_str().unwrap_or_default()),
                source: None,
            });
        }
        let tunables = settings.tunables;
        let transport = Transport::new(
            url.to_string(),
            Account { login: settings.username.trim().to_owned(), password: settings.password },
            settings.auth,
            Recipe {
                ca_pem: settings.ca_pem.filter(|p| !p.trim().is_empty()),
                connect_timeout: tunables.connect_timeout,
                request_timeout: tunables.request_timeout,
                allow_private: settings.allow_private,
            },
            tunables.max_in_flight,
            RetryPolicy {
                base: tunables.retry_base,
                cap: tunables.retry_cap,
                max_retries: tunables.max_retries,
            },
            settings.clock,
        )?;
        Ok(EwsProvider { transport: Arc::new(transport), detail: settings.detail, tunables })
    }

    /// The authentication scheme the server accepted, once a request went through.
    pub fn scheme(&self) -> Option<Scheme> {
        self.transport.scheme()
    }

    /// Reads one mailbox at the given detail level, whatever the tenant's: the connection
    /// test reads free/busy first, then (for full detail) the calendar as a delegate, which
    /// only works with Reviewer on it.
    pub async fn read_as(
        &self,
        detail: DetailLevel,
        mailbox: &Email,
        window: TimeWindow,
    ) -> Result<Vec<crate::domain::calendar::CalendarItem>, ProviderError> {
        let reader = EwsProvider {
            transport: Arc::clone(&self.transport),
            detail,
            tunables: self.tunables.clone(),
        };
        let outcome = reader.read_calendars(std::slice::from_ref(mailbox), window).await;
        let mut calendars = outcome.result?;
        let calendar = calendars.pop().ok_or_else(|| ProviderError::MalformedResponse {
            detail: "no answer for the mailbox".into(),
        })?;
        calendar.result
    }
}

fn invalid_url(raw: &str) -> ProviderError {
    ProviderError::Unreachable {
        problem: NetworkProblem::NotEws,
        detail: format!("{raw:?} is not an https:// address"),
        source: None,
    }
}

/// A harmless authenticated request: the service account need not have a mailbox of its own.
const SIGN_IN_PROBE: &str = concat!(
    r#"<?xml version="1.0" encoding="utf-8"?>"#,
    r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" "#,
    r#"xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" "#,
    r#"xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">"#,
    r#"<soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header><soap:Body>"#,
    r#"<m:GetServerTimeZones ReturnFullTimeZoneData="false"><m:Ids><t:Id>UTC</t:Id></m:Ids>"#,
    r#"</m:GetServerTimeZones></soap:Body></soap:Envelope>"#
);

#[async_trait]
impl CalendarProvider for EwsProvider {
    async fn sign_in(&self) -> Result<Grant, ProviderError> {
        let counters = CallCounters::default();
        match self.transport.call(SIGN_IN_PROBE, &counters).await {
            // A fault means the server got past authentication to answer it.
            Ok(_) | Err(ProviderError::UpstreamUnavailable { .. }) => {}
            Err(error) => return Err(error),
        }
        Ok(Grant { permissions: None, method: self.scheme().map(|s| s.as_str().to_owned()) })
    }

    async fn read_calendars(&self, mailboxes: &[Email], window: TimeWindow) -> ReadOutcome {
        call::read(self, mailboxes, window).await
    }
}
