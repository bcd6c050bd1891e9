//! Signing in and out, and turning a session cookie into a principal.

use std::sync::Arc;

use chrono::Duration;
use sea_orm::ConnectionTrait;
use sea_orm::prelude::Uuid;
use secrecy::SecretString;

use super::{Actor, AppState, Error, Result, audit};
use crate::auth::password::PasswordError;
use crate::auth::principal::{Principal, TenantInfo};
use crate::auth::session::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, TOUCH_INTERVAL};
use crate::auth::token;
use crate::db::{accounts, sessions, tenants};
use crate::domain::{Email, Locale, Role};

/// Consecutive failures after which an account is locked.
pub const LOCK_AFTER_FAILURES: i32 = 10;
const FIRST_LOCK: Duration = Duration::minutes(1);
/// A refused sign-in answers no sooner than this. Both paths verify a hash, but a known
/// account also records the failure; under load those writes could otherwise tell an
/// attacker which addresses have accounts.
const REFUSAL_FLOOR: std::time::Duration = std::time::Duration::from_millis(300);
const LONGEST_LOCK: Duration = Duration::hours(1);

/// How long the lock lasts after `failures` consecutive failures: one minute at the
/// threshold, doubling with every further failure, at most an hour.
pub fn lock_duration(failures: i32) -> Duration {
    let doublings = (failures - LOCK_AFTER_FAILURES).clamp(0, 16) as u32;
    (FIRST_LOCK * 2_i32.pow(doublings)).min(LONGEST_LOCK)
}

/// A new session: its token goes into the session cookie, the role decides the start page.
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub account_id: Uuid,
    pub role: Role,
}

/// Starts a session for the account (in the caller's transaction, if any).
pub async fn start(
    db: &impl ConnectionTrait,
    state: &AppState,
    account_id: Uuid,
    role: Role,
) -> Result<SignedIn> {
    let secret = token::random_token();
    sessions::create(db, token::hash(&secret), account_id, state.clock.now()).await?;
    Ok(SignedIn { token: secret, account_id, role })
}

pub enum LoginOutcome {
    SignedIn(SignedIn),
    /// Wrong e-mail, wrong password, locked or disabled: deliberately indistinguishable.
    Rejected,
    /// Too many password checks at once.
    Busy,
    /// Too many failed sign-ins from this address; try again after this long.
    Limited(std::time::Duration),
}

pub async fn login(
    state: &AppState,
    email: &str,
    password: &SecretString,
    ip: Option<String>,
) -> Result<LoginOutcome> {
    let now = state.clock.now();
    let answer_not_before = tokio::time::Instant::now() + REFUSAL_FLOOR;
    // Every attempt takes one from the address's bucket; a success gives it back.
    let address = ip.as_deref().and_then(|ip| ip.parse::<std::net::IpAddr>().ok());
    if let Some(address) = address
        && let Err(wait) = state.sign_ins.take(address, now)
    {
        return Ok(LoginOutcome::Limited(wait));
    }
    let give_back = || {
        if let Some(address) = address {
            state.sign_ins.give_back(address, now);
        }
    };
    let email = Email::parse(email).ok();
    let account = match &email {
        Some(e) => accounts::find_by_email(&state.db, e).await?,
        None => None,
    };
    let usable =
        account.as_ref().filter(|a| !a.disabled && a.locked_until.is_none_or(|until| until <= now));
    // Every path verifies one hash, so the answer takes as long whether or not the account
    // exists, is locked, or the password is wrong.
    let verified =
        match state.passwords.verify(password, usable.map(|a| a.password_hash.as_str())).await {
            Ok(ok) => ok,
            Err(PasswordError::Busy) => {
                give_back();
                return Ok(LoginOutcome::Busy);
            }
            Err(e) => return Err(e.into()),
        };
    let attempted = email.as_ref().map(|e| e.key());
    let actor = |account_id| Actor { account_id, email: attempted.clone(), ip: ip.clone() };
    match (account, verified) {
        (Some(account), true) => {
            give_back();
            accounts::record_success(&state.db, account.id, now).await?;
            let signed_in = start(&state.db, state, account.id, account.role).await?;
            audit::record(
                &state.db,
                state,
                &actor(Some(account.id)),
                account.tenant_id,
                "login.succeeded",
                None,
            )
            .await?;
            Ok(LoginOutcome::SignedIn(signed_in))
        }
        (Some(account), false) => {
            let was_usable = !account.disabled && account.locked_until.is_none_or(|u| u <= now);
            audit::record(
                &state.db,
                state,
                &actor(Some(account.id)),
                account.tenant_id,
                "login.failed",
                None,
            )
            .await?;
            // Attempts while locked do not count, or anyone could keep an account locked.
            if was_usable {
                let failures = accounts::record_failure(&state.db, account.id).await?;
                if failures >= LOCK_AFTER_FAILURES {
                    accounts::lock_until(&state.db, account.id, now + lock_duration(failures))
                        .await?;
                    audit::record(
                        &state.db,
                        state,
                        &Actor::default(),
                        account.tenant_id,
                        "account.locked",
                        Some(account.email.clone()),
                    )
                    .await?;
                }
            }
            tokio::time::sleep_until(answer_not_before).await;
            Ok(LoginOutcome::Rejected)
        }
        (None, _) => {
            audit::record(&state.db, state, &actor(None), None, "login.failed", None).await?;
            tokio::time::sleep_until(answer_not_before).await;
            Ok(LoginOutcome::Rejected)
        }
    }
}

/// Confirms the signed-in owner's password before a sensitive change; a right password
/// renews [`Principal::authenticated_at`] for this session. Wrong passwords count towards
/// the account's lockout like failed sign-ins.
pub async fn confirm_password(
    state: &AppState,
    principal: &Principal,
    password: &SecretString,
    ip: Option<String>,
) -> Result<bool> {
    let now = state.clock.now();
    let account = accounts::find(&state.db, principal.account_id).await?.ok_or(Error::NotFound)?;
    let ok = state.passwords.verify(password, Some(account.password_hash.as_str())).await?;
    let actor = Actor::from_principal(principal, ip);
    let tenant = principal.tenant.as_ref().map(|t| t.id);
    if ok {
        sessions::mark_reauthenticated(&state.db, &principal.session_hash, now).await?;
        audit::record(&state.db, state, &actor, tenant, "reauth.succeeded", None).await?;
    } else {
        accounts::record_failure(&state.db, account.id).await?;
        audit::record(&state.db, state, &actor, tenant, "reauth.failed", None).await?;
    }
    Ok(ok)
}

pub async fn logout(state: &AppState, principal: &Principal, ip: Option<String>) -> Result<()> {
    sessions::delete(&state.db, &principal.session_hash).await?;
    let actor = Actor::from_principal(principal, ip);
    let tenant = principal.tenant.as_ref().map(|t| t.id);
    audit::record(&state.db, state, &actor, tenant, "logout", None).await?;
    Ok(())
}

/// The principal behind a session token, if the session is still valid. Expired sessions
/// are deleted on sight.
pub async fn resolve(state: &AppState, secret: &str) -> Result<Option<Arc<Principal>>> {
    let now = state.clock.now();
    let Some((session, account)) = sessions::find(&state.db, &token::hash(secret)).await? else {
        return Ok(None);
    };
    let expired =
        now - session.last_seen_at >= IDLE_TIMEOUT || now - session.created_at >= ABSOLUTE_TIMEOUT;
    if expired || account.disabled {
        sessions::delete(&state.db, &session.id_hash).await?;
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_INTERVAL {
        sessions::touch(&state.db, &session.id_hash, now).await?;
    }
    let tenant = match account.tenant_id {
        Some(id) => tenants::find(&state.db, id).await?.map(|t| TenantInfo {
            id: t.id,
            name: t.name,
            timezone: t.timezone.parse().unwrap_or(chrono_tz::Europe::Copenhagen),
            locale: Locale::parse(&t.locale).unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Some(Arc::new(Principal {
        account_id: account.id,
        email: account.email,
        display_name: account.display_name,
        role: account.role,
        locale: account.locale.as_deref().and_then(Locale::parse),
        tenant,
        authenticated_at: session
            .reauthenticated_at
            .unwrap_or(session.created_at)
            .max(session.created_at),
        session_hash: session.id_hash,
    })))
}

/// Whether the session (by its stored hash) still stands: not signed out, not expired, its
/// account not disabled. Reads only; a long-lived stream asks this now and then.
pub async fn is_live(state: &AppState, session_hash: &str) -> Result<bool> {
    let now = state.clock.now();
    Ok(sessions::find(&state.db, session_hash).await?.is_some_and(|(session, account)| {
        now - session.last_seen_at < IDLE_TIMEOUT
            && now - session.created_at < ABSOLUTE_TIMEOUT
            && !account.disabled
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_grows_from_a_minute_to_an_hour() {
        assert_eq!(lock_duration(10), Duration::minutes(1));
        assert_eq!(lock_duration(11), Duration::minutes(2));
        assert_eq!(lock_duration(13), Duration::minutes(8));
        assert_eq!(lock_duration(20), Duration::hours(1));
        assert_eq!(lock_duration(1000), Duration::hours(1));
    }
}
