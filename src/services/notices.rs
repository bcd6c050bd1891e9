//! What calbridge e-mails when SMTP is configured: invitations to the invitee, and to each
//! tenant's admins the secret-expiry warnings (30, 14 and 3 days before, and once expired)
//! and "needs an administrator" alerts. Each notice is recorded before it is sent, so that
//! several instances send it once; one tenant's failure never stops another's.

use sea_orm::prelude::Uuid;

use super::invites::CreatedInvite;
use super::{AppState, Result, TenantScope};
use crate::db::entities::{account, tenant};
use crate::db::{accounts, leases, notices, provider_configs, tenants};
use crate::domain::provider::{SecretExpiry, secret_expiry};
use crate::domain::{Email, FailureReason, Locale, Role};
use crate::i18n::{Messages, messages};
use crate::mail::Mail;

const EXPIRY: &str = "secret_expiry";
const NEEDS_ADMIN: &str = "needs_admin";
const WEBHOOK_DISABLED: &str = "webhook_disabled";

/// Fills `{name}` placeholders.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

/// An absolute link into the portal, when the public address is known.
fn link(state: &AppState, path: &str) -> String {
    match &state.config.public_url {
        Some(url) => format!("{}{path}", url.as_str().trim_end_matches('/')),
        None => path.to_owned(),
    }
}

fn locale_of(tenant: &tenant::Model) -> Locale {
    Locale::parse(&tenant.locale).unwrap_or_default()
}

/// E-mails the invitation link to the invitee, in the tenant's language. False when no mail
/// went out (no SMTP, or the server refused; the link is on screen either way).
pub async fn invitation(
    state: &AppState,
    scope: TenantScope,
    created: &CreatedInvite,
    link: &str,
) -> Result<bool> {
    let Some(mailer) = &state.mailer else { return Ok(false) };
    let tenant = tenants::get(&state.db, scope).await?;
    let t = messages(locale_of(&tenant));
    let role = match created.role {
        Role::TenantAdmin => t.role_tenant_admin,
        Role::Receptionist => t.role_receptionist,
        Role::Operator => t.role_operator,
    };
    let Ok(to) = Email::parse(&created.email) else { return Ok(false) };
    let expires = created.expires_at.format("%Y-%m-%d").to_string();
    let values =
        [("tenant", tenant.name.as_str()), ("role", role), ("link", link), ("date", &expires)];
    let mail = Mail {
        to,
        subject: fill(t.mail_invite_subject, &values),
        body: fill(t.mail_invite_body, &values),
    };
    match mailer.send(mail).await {
        Ok(()) => Ok(true),
        Err(e) => {
            tracing::warn!(tenant.id = %tenant.id, error = format!("{e:#}"), "the invitation could not be e-mailed");
            Ok(false)
        }
    }
}

/// One round over every tenant; returns how many e-mails went out.
pub async fn run(state: &AppState) -> Result<usize> {
    if state.mailer.is_none() {
        return Ok(0);
    }
    let mut sent = 0;
    for summary in tenants::list_all(&state.db).await? {
        let id = summary.tenant.id;
        match for_tenant(state, &summary.tenant).await {
            Ok(n) => sent += n,
            Err(e) => tracing::warn!(tenant.id = %id, error = format!("{e:#}"), "notices failed"),
        }
    }
    Ok(sent)
}

async fn for_tenant(state: &AppState, tenant: &tenant::Model) -> Result<usize> {
    let scope = TenantScope::new(tenant.id);
    let today = state.clock.now().date_naive();
    let mut sent = 0;
    let expires_on =
        provider_configs::find(&state.db, scope).await?.and_then(|c| c.secret_expires_on);
    if let Some(date) = expires_on
        && let Some(expiry) = secret_expiry(date, today)
    {
        let key = match expiry {
            SecretExpiry::Soon { threshold, .. } => format!("{date}:{threshold}"),
            SecretExpiry::Expired => format!("{date}:expired"),
        };
        let write = |t: &Messages| expiry_mail(state, tenant, t, expiry, &date.to_string());
        sent += notify(state, tenant, EXPIRY, &key, write).await?;
    }
    let sync = leases::find(&state.db, tenant.id).await?;
    match sync.filter(|s| s.needs_admin_action) {
        Some(s) => {
            let reason = s.last_error_code.unwrap_or(FailureReason::AuthFailed);
            let write = |t: &Messages| needs_admin_mail(state, tenant, t, reason);
            sent += notify(state, tenant, NEEDS_ADMIN, reason.as_str(), write).await?;
        }
        // Back to working: a later problem is told again.
        None => notices::forget_kind(&state.db, tenant.id, NEEDS_ADMIN).await?,
    }
    Ok(sent)
}

/// Claims the notice and sends it to every admin, each in their language; releases the
/// claim when nothing could be sent, so the next round tries again.
async fn notify(
    state: &AppState,
    tenant: &tenant::Model,
    kind: &str,
    key: &str,
    write: impl Fn(&Messages) -> (String, String),
) -> Result<usize> {
    let Some(mailer) = &state.mailer else { return Ok(0) };
    let admins = admins(state, tenant.id).await?;
    if admins.is_empty()
        || !notices::claim(&state.db, tenant.id, kind, key, state.clock.now()).await?
    {
        return Ok(0);
    }
    let mut sent = 0;
    for admin in admins {
        let locale = admin.locale.as_deref().and_then(Locale::parse).unwrap_or(locale_of(tenant));
        let (subject, body) = write(messages(locale));
        let Ok(to) = Email::parse(&admin.email) else { continue };
        match mailer.send(Mail { to, subject, body }).await {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::warn!(tenant.id = %tenant.id, kind, error = format!("{e:#}"), "a notice could not be e-mailed")
            }
        }
    }
    if sent == 0 {
        notices::release(&state.db, tenant.id, kind, key).await?;
    }
    Ok(sent)
}

async fn admins(state: &AppState, tenant_id: Uuid) -> Result<Vec<account::Model>> {
    Ok(accounts::list_in_tenant(&state.db, TenantScope::new(tenant_id))
        .await?
        .into_iter()
        .filter(|a| a.role == Role::TenantAdmin && !a.disabled)
        .collect())
}

fn expiry_mail(
    state: &AppState,
    tenant: &tenant::Model,
    t: &Messages,
    expiry: SecretExpiry,
    date: &str,
) -> (String, String) {
    let link = link(state, "/settings/connection");
    let days = match expiry {
        SecretExpiry::Soon { days_left, .. } => days_left.to_string(),
        SecretExpiry::Expired => String::new(),
    };
    let values =
        [("tenant", tenant.name.as_str()), ("date", date), ("days", &days), ("link", &link)];
    let (subject, body) = match expiry {
        SecretExpiry::Soon { .. } => (t.mail_expiry_subject, t.mail_expiry_body),
        SecretExpiry::Expired => (t.mail_expired_subject, t.mail_expired_body),
    };
    (fill(subject, &values), fill(body, &values))
}

fn needs_admin_mail(
    state: &AppState,
    tenant: &tenant::Model,
    t: &Messages,
    reason: FailureReason,
) -> (String, String) {
    let explained = t.explain(reason);
    let link = link(state, "/settings/connection");
    let values = [
        ("tenant", tenant.name.as_str()),
        ("problem", explained.problem),
        ("fix", explained.fix),
        ("link", &link),
    ];
    (fill(t.mail_needs_admin_subject, &values), fill(t.mail_needs_admin_body, &values))
}

/// Tells the tenant's admins that calbridge switched a webhook endpoint off.
pub async fn webhook_disabled(
    state: &AppState,
    scope: TenantScope,
    endpoint: &crate::db::entities::webhook_endpoint::Model,
    reason: crate::domain::integration::DisabledReason,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    use crate::domain::integration::DisabledReason;
    if state.mailer.is_none() {
        return Ok(0);
    }
    let tenant = tenants::get(&state.db, scope).await?;
    let link = link(state, "/integrations");
    let write = |t: &Messages| {
        let why = match reason {
            DisabledReason::Gone => t.webhook_disabled_gone,
            DisabledReason::Failing => t.webhook_disabled_failing,
        };
        let values = [
            ("tenant", tenant.name.as_str()),
            ("url", endpoint.url.as_str()),
            ("reason", why),
            ("link", link.as_str()),
        ];
        (
            fill(t.mail_webhook_disabled_subject, &values),
            fill(t.mail_webhook_disabled_body, &values),
        )
    };
    let key = format!("{}:{}", endpoint.id, at.timestamp());
    notify(state, &tenant, WEBHOOK_DISABLED, &key, write).await
}
