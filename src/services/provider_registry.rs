//! One long-lived calendar provider per tenant, rebuilt when its connection changes.
//!
//! Keeping the provider keeps its token cache and its cap on requests in flight, so every
//! sync of a tenant (scheduler, `sync --once`, connection tests) shares them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use tokio::sync::Mutex;

use crate::config::Config;
use crate::db::{TenantScope, provider_configs};
use crate::domain::provider::DetailLevel;
use crate::providers::CalendarProvider;
use crate::providers::graph::{GraphProvider, GraphSettings, Tunables};
use crate::secrets::{Keyring, SecretField};

/// Why a tenant has no working provider; each needs an administrator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionProblem {
    #[error("no calendar connection is set up")]
    NotConfigured,
    #[error("the stored client secret cannot be decrypted ({0}); enter it again")]
    Unreadable(String),
    #[error("the calendar connection is not usable: {0}")]
    Invalid(String),
}

struct Cached {
    version: DateTime<Utc>,
    provider: Arc<dyn CalendarProvider>,
}

pub struct ProviderRegistry {
    login_url: String,
    graph_url: String,
    tunables: Tunables,
    cache: Mutex<HashMap<Uuid, Cached>>,
}

impl ProviderRegistry {
    pub fn new(config: &Config) -> ProviderRegistry {
        ProviderRegistry {
            login_url: config.ms_login_url.as_str().to_owned(),
            graph_url: config.ms_graph_url.as_str().to_owned(),
            tunables: Tunables::default(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Other timeouts and retry timings (tests, benchmarks).
    pub fn with_tunables(mut self, tunables: Tunables) -> ProviderRegistry {
        self.tunables = tunables;
        self
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
            .map_err(|e| ConnectionProblem::Invalid(e.to_string()))?
            .filter(|r| r.kind == provider_configs::KIND_GRAPH)
            .ok_or(ConnectionProblem::NotConfigured)?;
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.get(&row.tenant_id).filter(|c| c.version == row.updated_at) {
            return Ok(cached.provider.clone());
        }
        let ciphertext =
            row.client_secret_ciphertext.as_deref().ok_or(ConnectionProblem::NotConfigured)?;
        let secret = keyring
            .decrypt(&row.tenant_id, SecretField::GraphClientSecret, ciphertext)
            .map_err(|e| ConnectionProblem::Unreadable(e.to_string()))?;
        let detail = match DetailLevel::parse(&row.detail_level).unwrap_or_default() {
            DetailLevel::FreeBusy => crate::providers::graph::DetailLevel::FreeBusy,
            DetailLevel::Full => crate::providers::graph::DetailLevel::Full,
        };
        let mut settings = GraphSettings::new(
            row.directory_id.clone().unwrap_or_default(),
            row.client_id.clone().unwrap_or_default(),
            secret,
            detail,
        )
        .with_tunables(self.tunables.clone());
        settings.login_url = self.login_url.clone();
        settings.graph_url = self.graph_url.clone();
        let provider: Arc<dyn CalendarProvider> = Arc::new(
            GraphProvider::new(settings).map_err(|e| ConnectionProblem::Invalid(e.to_string()))?,
        );
        cache.insert(row.tenant_id, Cached { version: row.updated_at, provider: provider.clone() });
        Ok(provider)
    }
}
