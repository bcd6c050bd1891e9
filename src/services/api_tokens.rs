//! API tokens: how a phone system or switchboard reads one tenant's presence, read-only.
//!
//! A token is `cbk_` and 43 random characters, shown once; only its SHA-256 is kept, so a
//! leaked database does not leak working tokens. Each token has its own rate limit.

use std::num::NonZeroU32;
use std::time::Duration;

use chrono::{DateTime, Utc};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sea_orm::prelude::Uuid;

use super::validation::required_text;
use super::{Actor, AppState, Error, FieldErrors, Result, TenantScope, audit};
use crate::auth::token;
use crate::db::api_tokens;
use crate::db::entities::api_token;

/// What every token starts with, so that a scanner (or a person) recognises one.
pub const PREFIX: &str = "cbk_";
/// Characters of a token kept to tell tokens apart in a list: the prefix and 8 more.
const SHOWN: usize = PREFIX.len() + 8;
/// "Last used" is written at most this often per token, not on every request.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// One token as the Integrations page and `api-token list` show it.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    /// `cbk_AbCdEfGh…`: enough to recognise it, not to use it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for TokenRow {
    fn from(t: api_token::Model) -> TokenRow {
        TokenRow {
            id: t.id,
            name: t.name,
            prefix: format!("{}…", t.prefix),
            created_at: t.created_at,
            created_by: t.created_by,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token just made: the only moment its value is known.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub row: TokenRow,
    pub token: String,
}

pub async fn list(state: &AppState, scope: TenantScope) -> Result<Vec<TokenRow>> {
    Ok(api_tokens::list(&state.db, scope).await?.into_iter().map(TokenRow::from).collect())
}

/// Makes a token named `name` for the tenant.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    name: &str,
) -> Result<CreatedToken> {
    let mut errors = FieldErrors::default();
    let name = required_text(&mut errors, "name", name, 80);
    errors.into_result().map_err(Error::Invalid)?;
    let token = format!("{PREFIX}{}", token::random_token());
    let model = api_token::Model {
        id: Uuid::now_v7(),
        tenant_id: scope.tenant_id(),
        name: name.clone(),
        prefix: token.chars().take(SHOWN).collect(),
        token_hash: token::hash(&token),
        created_at: state.clock.now(),
        created_by: actor.email.clone().unwrap_or_default(),
        last_used_at: None,
        revoked_at: None,
    };
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    api_tokens::insert(&txn, model.clone()).await?;
    audit::record(&txn, state, actor, Some(scope.tenant_id()), "api_token.created", Some(name))
        .await?;
    txn.commit().await?;
    Ok(CreatedToken { row: model.into(), token })
}

/// Revokes one of the tenant's tokens: from the next request on, it is refused.
pub async fn revoke(state: &AppState, actor: &Actor, scope: TenantScope, id: Uuid) -> Result<()> {
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    let revoked = api_tokens::revoke(&txn, scope, id, state.clock.now()).await?;
    let token = revoked.ok_or(Error::NotFound)?;
    audit::record(
        &txn,
        state,
        actor,
        Some(scope.tenant_id()),
        "api_token.revoked",
        Some(token.name),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A machine client, proven by its token: it reads its own tenant's presence and nothing else.
#[derive(Debug, Clone, Copy)]
pub struct ApiClient {
    pub scope: TenantScope,
    pub token_id: Uuid,
}

/// Why a request with a token is not answered.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No token, not a token, unknown or revoked: the caller cannot tell which.
    #[error("missing, unknown or revoked API token")]
    Unauthenticated,
    /// Too many requests with this token; try again after the wait.
    #[error("rate limit reached")]
    Limited(Duration),
    #[error(transparent)]
    Failed(#[from] Error),
}

/// Requests per token: `per_minute` on average, a sixth of it (ten seconds' worth) at once.
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<Uuid>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimiter")
    }
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(per_minute / 6).unwrap_or(NonZeroU32::MIN);
        RateLimiter {
            limiter: governor::RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
        }
    }

    fn check(&self, token: Uuid) -> Result<(), Duration> {
        self.limiter
            .check_key(&token)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The client a bearer token (the `Authorization` header's value) proves, within its rate.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
) -> std::result::Result<ApiClient, Refusal> {
    let presented = authorization
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| t.starts_with(PREFIX) && t.len() < 200)
        .ok_or(Refusal::Unauthenticated)?;
    let found =
        api_tokens::find_by_hash(&state.db, &token::hash(presented)).await.map_err(Error::from)?;
    let token = found.filter(|t| t.revoked_at.is_none()).ok_or(Refusal::Unauthenticated)?;
    state.api_limiter.check(token.id).map_err(Refusal::Limited)?;
    let now = state.clock.now();
    if token.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
        api_tokens::touch(&state.db, token.id, now).await.map_err(Error::from)?;
    }
    Ok(ApiClient { scope: TenantScope::new(token.tenant_id), token_id: token.id })
}

/// Whether the token is still live (not revoked); a long-lived stream asks this now and then.
pub async fn is_live(state: &AppState, token_id: Uuid) -> Result<bool> {
    Ok(api_tokens::find(&state.db, token_id).await?.is_some_and(|t| t.revoked_at.is_none()))
}
