//! Use cases: what the portal, the CLI and the scheduler ask the product to do.
//!
//! Every use case returns display types (never database rows) and one [`Error`]; a form's use
//! case returns its page with the problems when it refuses the input ([`FormError`]).

pub mod accounts;
pub mod api_tokens;
pub mod audit;
mod availability;
pub mod connection;
pub mod connection_test;
pub mod console;
pub mod credentials;
pub mod directory;
pub mod directory_import;
mod error;
pub mod events;
pub mod ews_connection;
pub mod exchange_script;
pub mod group_sync;
pub mod health;
pub mod housekeeping;
pub mod integrations;
pub mod invites;
pub mod notices;
pub mod onboarding;
pub mod presence;
pub mod provider_registry;
pub mod rules;
pub mod sessions;
pub mod stream;
pub mod sync;
pub mod team;
pub mod tenants;
pub mod transitions;
mod validation;
pub mod webhooks;

pub use error::{Error, FormError, Refused, Result};
pub use validation::{FieldErrors, Invalid};

/// The proof that the caller may act inside one tenant (see [`crate::db::TenantScope`]).
pub use crate::db::TenantScope;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::csrf::CsrfKey;
use crate::auth::password::PasswordService;
use crate::clock::Clock;
use crate::config::Config;
use crate::secrets::Keyring;

/// Everything a use case may need, shared by the web server, the CLI and the jobs.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub passwords: PasswordService,
    /// Failed sign-ins per client address.
    pub sign_ins: Arc<crate::auth::throttle::SignInLimiter>,
    pub csrf: CsrfKey,
    pub keyring: Arc<Keyring>,
    /// One calendar provider per tenant, shared by every sync of that tenant.
    pub providers: Arc<provider_registry::ProviderRegistry>,
    /// Outgoing e-mail, when SMTP is configured.
    pub mailer: Option<Arc<dyn crate::mail::Mailer>>,
    /// This instance's presence stream clients.
    pub hub: Arc<stream::Hub>,
    /// Requests per API token.
    pub api_limiter: Arc<api_tokens::RateLimiter>,
    /// Tenants' presence lists as last sent, while unchanged.
    pub presence_lists: Arc<presence::ListCache>,
    /// Wakes the webhook delivery job (a test event was queued).
    pub webhook_wake: Arc<tokio::sync::Notify>,
}

/// Who did something, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub account_id: Option<sea_orm::prelude::Uuid>,
    pub email: Option<String>,
    pub ip: Option<String>,
}

/// How the audit trail names the command line as an actor.
pub const COMMAND_LINE: &str = "cli";

impl Actor {
    /// The command line: whoever has shell access to the service.
    pub fn command_line() -> Actor {
        Actor { account_id: None, email: Some(COMMAND_LINE.into()), ip: None }
    }

    pub fn from_principal(p: &crate::auth::Principal, ip: Option<String>) -> Actor {
        Actor { account_id: Some(p.account_id), email: Some(p.email.clone()), ip }
    }
}
