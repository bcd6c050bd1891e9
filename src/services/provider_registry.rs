//! One long-lived calendar provider per tenant, rebuilt when its connection changes.
//!
//! Keeping the provider keeps its token cache and its cap on requests in flight, so every
//! sync of a tenant (scheduler, `sync --once`, connection tests) shares them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use secrecy::SecretString;
use tokio::sync::Mutex;

use super::TenantScope;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::provider_configs;
use crate::domain::FailureReason;
use crate::domain::provider::{DetailLevel, EwsAuth, ProviderKind};
use crate::providers::CalendarProvider;
use crate::providers::ews::{EwsProvider, EwsSettings, EwsTunables};
use crate::providers::graph::{GraphProvider, GraphSettings, Tunables};
use crate::secrets::{Keyring, SecretField};

/// Why a tenant has no working provider right now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionProblem {
    #[error("no calendar connection is set up")]
    NotConfigured,
    #[error(
        "the stored secret (client secret or Exchange password) cannot be decrypted ({0}); enter it again"
    )]
    Unreadable(String),
    #[error("the calendar connection is not usable: {0}")]
    Invalid(String),
    /// Reading the connection from the database failed: nothing is wrong with the connection,
    /// and the sync is simply tried again.
    #[error("the calendar connection could not be read from the database: {0}")]
    Storage(String),
}

impl ConnectionProblem {
    pub fn reason(&self) -> FailureReason {
        match self {
            ConnectionProblem::NotConfigured => FailureReason::NotConfigured,
            ConnectionProblem::Unreadable(_) => FailureReason::SecretUnreadable,
            ConnectionProblem::Invalid(_) => FailureReason::ConnectionInvalid,
            ConnectionProblem::Storage(_) => FailureReason::StorageUnavailable,
        }
    }
}

/// An Exchange on-premises connection to build a provider for.
#[derive(Debug, Clone)]
pub struct EwsTarget {
    pub url: String,
    pub username: String,
    pub password: SecretString,
    pub auth: EwsAuth,
    pub ca_pem: Option<String>,
    pub detail: DetailLevel,
}

impl EwsTarget {
    /// The stored connection, its password decrypted.
    pub fn stored(
        row: &crate::db::entities::provider_config::Model,
        keyring: &Keyring,
    ) -> Result<EwsTarget, ConnectionProblem> {
        let ciphertext =
            row.ews_password_ciphertext.as_deref().ok_or(ConnectionProblem::NotConfigured)?;
        let password = keyring
            .decrypt(&row.tenant_id, SecretField::EwsPassword, ciphertext)
            .map_err(|e| ConnectionProblem::Unreadable(e.to_string()))?;
        Ok(EwsTarget {
            url: row.ews_url.clone().unwrap_or_default(),
            username: row.ews_username.clone().unwrap_or_default(),
            password,
            auth: row.ews_auth_scheme.as_deref().and_then(EwsAuth::parse_input).unwrap_or_default(),
            ca_pem: row.ews_ca_pem.clone(),
            detail: row.detail_level,
        })
    }
}

struct Cached {
    version: DateTime<Utc>,
    provider: Arc<dyn CalendarProvider>,
}

pub struct ProviderRegistry {
    login_url: String,
    graph_url: String,
    tunables: Tunables,
    ews_tunables: EwsTunables,
    ews_allow_private: bool,
    clock: Clock,
    cache: Mutex<HashMap<Uuid, Cached>>,
}

impl ProviderRegistry {
    pub fn new(config: &Config, clock: Clock) -> ProviderRegistry {
        ProviderRegistry {
            login_url: config.ms_login_url.as_str().to_owned(),
            graph_url: config.ms_graph_url.as_str().to_owned(),
            tunables: Tunables { request_timeout: config.http_timeout, ..Tunables::default() },
            ews_tunables: EwsTunables {
                request_timeout: config.http_timeout,
                ..EwsTunables::default()
            },
            ews_allow_private: config.ews_allow_private,
            clock,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Other timeouts and retry timings (tests, benchmarks).
    pub fn with_tunables(mut self, tunables: Tunables) -> ProviderRegistry {
        self.tunables = tunables;
        self
    }

    /// Other timeouts and limits for Exchange on-premises (tests, benchmarks).
    pub fn with_ews_tunables(mut self, tunables: EwsTunables) -> ProviderRegistry {
        self.ews_tunables = tunables;
        self
    }

    /// An Exchange on-premises provider for a connection that is not stored (yet).
    pub fn ews(&self, connection: EwsTarget) -> Result<Arc<EwsProvider>, ConnectionProblem> {
        let settings = EwsSettings {
            url: connection.url,
            username: connection.username,
            password: connection.password,
            auth: connection.auth,
            ca_pem: connection.ca_pem,
            detail: connection.detail,
            tunables: self.ews_tunables.clone(),
            allow_private: self.ews_allow_private,
            clock: self.clock.clone(),
        };
        EwsProvider::new(settings)
            .map(Arc::new)
            .map_err(|e| ConnectionProblem::Invalid(e.to_string()))
    }

    /// A Microsoft 365 provider for credentials that are not stored (yet): a connection test
    /// before saving. Nothing is cached.
    pub fn graph(
        &self,
        directory: &str,
        client: &str,
        secret: SecretString,
        detail: DetailLevel,
    ) -> Result<Arc<dyn CalendarProvider>, ConnectionProblem> {
        let mut settings = GraphSettings::new(directory, client, secret, detail)
            .with_tunables(self.tunables.clone())
            .with_clock(self.clock.clone());
        settings.login_url = self.login_url.clone();
        settings.graph_url = self.graph_url.clone();
        let provider =
            GraphProvider::new(settings).map_err(|e| ConnectionProblem::Invalid(e.to_string()))?;
        Ok(Arc::new(provider))
    }

    /// The tenant's provider, built on first use and whenever its connection was saved again.
    pub async fn for_tenant(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        keyring: &Keyring,
        scope: TenantScope,
    ) -> Result<Arc<dyn CalendarProvider>, ConnectionProblem> {
        let row = provider_configs::find(db, scope)
            .await
            .map_err(|e| ConnectionProblem::Storage(e.to_string()))?
            .ok_or(ConnectionProblem::NotConfigured)?;
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.get(&row.tenant_id).filter(|c| c.version == row.updated_at) {
            return Ok(cached.provider.clone());
        }
        let provider: Arc<dyn CalendarProvider> = match row.kind {
            ProviderKind::Graph => {
                let ciphertext = row
                    .client_secret_ciphertext
                    .as_deref()
                    .ok_or(ConnectionProblem::NotConfigured)?;
                let secret = keyring
                    .decrypt(&row.tenant_id, SecretField::GraphClientSecret, ciphertext)
                    .map_err(|e| ConnectionProblem::Unreadable(e.to_string()))?;
                self.graph(
                    row.directory_id.as_deref().unwrap_or_default(),
                    row.client_id.as_deref().unwrap_or_default(),
                    secret,
                    row.detail_level,
                )?
            }
            ProviderKind::Ews => self.ews(EwsTarget::stored(&row, keyring)?)?,
        };
        cache.insert(row.tenant_id, Cached { version: row.updated_at, provider: provider.clone() });
        Ok(provider)
    }
}
