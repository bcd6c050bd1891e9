//! The Integrations page: how a phone system or switchboard gets availability out, by API
//! token or webhook.

use sea_orm::prelude::Uuid;

use super::api_tokens::{self, CreatedToken, TokenRow};
use super::error::or_refused;
use super::webhooks::{self, EndpointInput, EndpointRow, ShownSecret};
use super::{Actor, AppState, FormError, Result, TenantScope};

#[derive(Debug, Clone)]
pub struct IntegrationsPage {
    pub tokens: Vec<TokenRow>,
    pub endpoints: Vec<EndpointRow>,
}

pub async fn page(state: &AppState, scope: TenantScope) -> Result<IntegrationsPage> {
    Ok(IntegrationsPage {
        tokens: api_tokens::list(state, scope).await?,
        endpoints: webhooks::endpoints(state, scope).await?,
    })
}

/// One endpoint with its recent deliveries.
pub async fn endpoint(state: &AppState, scope: TenantScope, id: Uuid) -> Result<EndpointRow> {
    webhooks::endpoint(state, scope, id).await
}

pub async fn create_token(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    name: &str,
) -> Result<CreatedToken, FormError<IntegrationsPage>> {
    or_refused(api_tokens::create(state, actor, scope, name).await, page(state, scope)).await
}

pub async fn create_webhook(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    input: &EndpointInput,
) -> Result<ShownSecret, FormError<IntegrationsPage>> {
    or_refused(webhooks::create(state, actor, scope, input).await, page(state, scope)).await
}

pub async fn update_webhook(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    input: &EndpointInput,
) -> Result<(), FormError<EndpointRow>> {
    let updated = webhooks::update(state, actor, scope, id, input).await;
    or_refused(updated, endpoint(state, scope, id)).await
}
