//! The calendar connection as a tenant admin manages it, in the wizard and under Settings →
//! Calendar connection: what is stored (never the secret), a test that stores nothing,
//! saving only what passed its test, and disconnecting.
//!
//! Saving and disconnecting need the admin's password within the last five minutes: signing
//! in counts, and so does the password typed into the form itself.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::connection_test::{self, Report};
use super::credentials::{self, GraphInput, GraphSummary};
use super::ews_connection::{self, EwsConnected, EwsTyped};
use super::{Actor, AppState, Error, FieldErrors, FormError, Invalid, Result, TenantScope, audit};
use crate::auth::Principal;
use crate::db::provider_configs::{self, GraphConnection};
use crate::db::tenants::{self, Milestone};
use crate::db::{availability, directory, leases};
use crate::domain::provider::{DetailLevel, ProviderKind, SecretExpiry, secret_expiry};
use crate::domain::{Email, FailureReason};
use crate::secrets::SecretField;

/// The stored connection, as far as anyone may see it.
#[derive(Debug, Clone)]
pub struct Connected {
    pub summary: GraphSummary,
    pub expiry: Option<SecretExpiry>,
    /// Days until the secret expires, when its date is known.
    pub days_left: Option<i64>,
    /// The last sync that read calendars with it.
    pub last_used: Option<DateTime<Utc>>,
    pub last_test: Option<(DateTime<Utc>, bool)>,
    pub permissions: Option<String>,
}

/// The form's fields as typed (the secret is never among them).
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub directory_id: String,
    pub client_id: String,
    pub secret_expires: String,
    pub detail: String,
    pub test_mailbox: String,
}

/// The connection page, or the wizard's credentials step.
#[derive(Debug, Clone)]
pub struct ConnectionPage {
    pub connected: Option<Connected>,
    pub typed: Typed,
    /// The last test of this visit, shown as a checklist.
    pub report: Option<Report>,
    /// Saving needs the password typed again (the last one is over five minutes old).
    pub needs_password: bool,
    /// Which form to show: the stored connection's system, else the one chosen in the wizard.
    pub system: ProviderKind,
    /// The Exchange on-premises form's fields.
    pub ews: EwsTyped,
    pub ews_connected: Option<EwsConnected>,
}

/// Either calendar system's form, as submitted.
pub enum Submission {
    Graph(ConnectionInput),
    Ews(ews_connection::EwsInput),
}

/// The Microsoft 365 connection form as submitted.
pub struct ConnectionInput {
    pub typed: Typed,
    /// Empty keeps the stored secret.
    pub client_secret: SecretString,
    /// The admin's password, when asked for.
    pub password: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Test, store nothing.
    Test,
    /// Test, and store only if the test passed.
    Save,
}

/// What a submitted form led to.
#[derive(Debug)]
pub enum Submitted {
    /// Shown again with the test's checklist; nothing was stored.
    Tested(Box<ConnectionPage>),
    Saved(Box<Report>),
}

async fn connected(state: &AppState, scope: TenantScope) -> Result<Option<Connected>> {
    let Some(row) = provider_configs::find(&state.db, scope).await? else { return Ok(None) };
    if row.client_secret_ciphertext.is_none() {
        return Ok(None);
    }
    let today = state.clock.now().date_naive();
    let last_used =
        leases::find(&state.db, scope.tenant_id()).await?.and_then(|s| s.last_success_at);
    Ok(Some(Connected {
        expiry: row.secret_expires_on.and_then(|d| secret_expiry(d, today)),
        days_left: row.secret_expires_on.map(|d| (d - today).num_days()),
        summary: GraphSummary {
            directory_id: row.directory_id.unwrap_or_default(),
            client_id: row.client_id.unwrap_or_default(),
            secret_expires_on: row.secret_expires_on,
            detail: row.detail_level,
        },
        last_used,
        last_test: row.last_test_at.zip(row.last_test_ok),
        permissions: row.granted_permissions,
    }))
}

/// A mailbox worth testing with: the first person with sync on, else the admin's own.
async fn default_mailbox(
    state: &AppState,
    scope: TenantScope,
    principal: &Principal,
) -> Result<String> {
    let users = directory::list(&state.db, scope).await?;
    Ok(users
        .into_iter()
        .find(|u| u.sync_enabled)
        .map_or_else(|| principal.email.clone(), |u| u.email))
}

pub async fn page(
    state: &AppState,
    scope: TenantScope,
    principal: &Principal,
) -> Result<ConnectionPage> {
    let connected = connected(state, scope).await?;
    let typed = match &connected {
        Some(c) => Typed {
            directory_id: c.summary.directory_id.clone(),
            client_id: c.summary.client_id.clone(),
            secret_expires: c.summary.secret_expires_on.map(|d| d.to_string()).unwrap_or_default(),
            detail: c.summary.detail.as_str().to_owned(),
            test_mailbox: default_mailbox(state, scope, principal).await?,
        },
        None => Typed {
            detail: DetailLevel::default().as_str().to_owned(),
            test_mailbox: default_mailbox(state, scope, principal).await?,
            ..Typed::default()
        },
    };
    let needs_password = !principal.recently_authenticated(state.clock.now());
    let ews_connected = ews_connection::connected(state, scope).await?;
    let system = match (&connected, &ews_connected) {
        (Some(_), _) => ProviderKind::Graph,
        (None, Some(_)) => ProviderKind::Ews,
        (None, None) => tenants::get(&state.db, scope).await?.calendar_system,
    };
    let ews = ews_connection::typed(state, scope, typed.test_mailbox.clone()).await?;
    Ok(ConnectionPage {
        connected,
        typed,
        report: None,
        needs_password,
        system,
        ews,
        ews_connected,
    })
}

/// The stored secret, to test new ids or a new detail level with it.
async fn stored_secret(state: &AppState, scope: TenantScope) -> Result<Option<SecretString>> {
    let Some(row) = provider_configs::find(&state.db, scope).await? else { return Ok(None) };
    let Some(ciphertext) = row.client_secret_ciphertext else { return Ok(None) };
    Ok(state.keyring.decrypt(&scope.tenant_id(), SecretField::GraphClientSecret, &ciphertext).ok())
}

/// Tests the form's connection and, for [`Action::Save`], stores it if the test passed.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    principal: &Principal,
    scope: TenantScope,
    submission: Submission,
    action: Action,
) -> Result<Submitted, FormError<ConnectionPage>> {
    match submission {
        Submission::Graph(input) => {
            submit_graph(state, actor, principal, scope, input, action).await
        }
        Submission::Ews(input) => submit_ews(state, actor, principal, scope, input, action).await,
    }
}

/// Tests the form's connection and, for [`Action::Save`], stores it if the test passed.
async fn submit_ews(
    state: &AppState,
    actor: &Actor,
    principal: &Principal,
    scope: TenantScope,
    input: ews_connection::EwsInput,
    action: Action,
) -> std::result::Result<Submitted, FormError<ConnectionPage>> {
    let mut shown = page(state, scope, principal).await?;
    shown.system = ProviderKind::Ews;
    shown.ews = input.typed.clone();
    let refuse = |page: ConnectionPage, errors: FieldErrors| {
        FormError::Refused(super::Refused { page, errors, conflict: false })
    };
    let password = match input.password.expose_secret() {
        "" => ews_connection::stored(state, scope)
            .await?
            .map_or_else(|| SecretString::from(""), |t| t.password),
        _ => input.password.clone(),
    };
    let mut errors = FieldErrors::default();
    let mailbox = match input.typed.test_mailbox.trim() {
        "" => None,
        raw => Email::parse(raw).map_err(|_| errors.add("test_mailbox", Invalid::Email)).ok(),
    };
    let target =
        match ews_connection::validate(&input.typed, password, state.config.ews_allow_private) {
            Ok(target) if errors.is_empty() => target,
            Ok(_) => return Err(refuse(shown, errors)),
            Err(problems) => return Err(refuse(shown, problems)),
        };
    if action == Action::Save {
        confirm(state, principal, actor, input.admin_password.as_ref()).await.map_err(
            |e| match e {
                Error::Invalid(problems) => refuse(shown.clone(), problems),
                other => FormError::Other(other),
            },
        )?;
    }
    let report = ews_connection::test(state, actor, scope, target.clone(), mailbox).await?;
    if action == Action::Test || !report.passed() {
        shown.report = Some(report);
        return Ok(Submitted::Tested(Box::new(shown)));
    }
    ews_connection::store(state, actor, scope, &target, Some(&report)).await?;
    Ok(Submitted::Saved(Box::new(report)))
}

async fn submit_graph(
    state: &AppState,
    actor: &Actor,
    principal: &Principal,
    scope: TenantScope,
    input: ConnectionInput,
    action: Action,
) -> Result<Submitted, FormError<ConnectionPage>> {
    let mut shown = page(state, scope, principal).await?;
    shown.system = ProviderKind::Graph;
    shown.typed = input.typed.clone();
    let refuse = |page: ConnectionPage, errors: FieldErrors| {
        FormError::Refused(super::Refused { page, errors, conflict: false })
    };
    let secret = match input.client_secret.expose_secret().trim() {
        "" => {
            stored_secret(state, scope).await?.unwrap_or_else(|| SecretString::from(String::new()))
        }
        _ => input.client_secret.clone(),
    };
    let graph = GraphInput {
        directory_id: input.typed.directory_id.clone(),
        client_id: input.typed.client_id.clone(),
        client_secret: secret,
        secret_expires: Some(input.typed.secret_expires.clone()),
        detail: Some(input.typed.detail.clone()),
    };
    let now = state.clock.now();
    let mut errors = FieldErrors::default();
    let validated = credentials::validate(&graph, now.date_naive());
    let mailbox = match input.typed.test_mailbox.trim() {
        "" => None,
        raw => Email::parse(raw).map_err(|_| errors.add("test_mailbox", Invalid::Email)).ok(),
    };
    let (summary, secret) = match validated {
        Ok(valid) if errors.is_empty() => valid,
        Ok(_) => return Err(refuse(shown, errors)),
        Err(problems) => return Err(refuse(shown, problems)),
    };
    if action == Action::Save {
        confirm(state, principal, actor, input.password.as_ref()).await.map_err(|e| match e {
            Error::Invalid(problems) => refuse(shown.clone(), problems),
            other => FormError::Other(other),
        })?;
    }
    let report = test(state, actor, scope, &summary, &secret, mailbox).await?;
    if action == Action::Test || !report.passed() {
        shown.report = Some(report);
        return Ok(Submitted::Tested(Box::new(shown)));
    }
    store(state, actor, scope, &summary, &secret, &report).await?;
    Ok(Submitted::Saved(Box::new(report)))
}

/// The password check before a change to credentials: recent enough, or typed now.
pub(super) async fn confirm(
    state: &AppState,
    principal: &Principal,
    actor: &Actor,
    password: Option<&SecretString>,
) -> Result<()> {
    if principal.recently_authenticated(state.clock.now()) {
        return Ok(());
    }
    let typed = password.filter(|p| !p.expose_secret().is_empty());
    let Some(password) = typed else {
        return Err(Error::Invalid(FieldErrors::single("password", Invalid::ReauthRequired)));
    };
    if super::sessions::confirm_password(state, principal, password, actor.ip.clone()).await? {
        Ok(())
    } else {
        Err(Error::Invalid(FieldErrors::single("password", Invalid::ReauthWrong)))
    }
}

async fn test(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    summary: &GraphSummary,
    secret: &SecretString,
    mailbox: Option<Email>,
) -> Result<Report> {
    let now = state.clock.now();
    let provider = state.providers.graph(
        &summary.directory_id,
        &summary.client_id,
        secret.clone(),
        summary.detail,
    );
    let report = match provider {
        Ok(provider) => connection_test::run(provider.as_ref(), summary.detail, mailbox, now).await,
        Err(problem) => Report::unusable(summary.detail, problem.reason(), problem.to_string()),
    };
    let outcome = match report.failure() {
        None => "passed".to_owned(),
        Some((_, reason, _)) => format!("failed: {reason}"),
    };
    let target = format!("Microsoft 365 · {} · {outcome}", summary.client_id);
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        "connection.tested",
        Some(target),
    )
    .await?;
    Ok(report)
}

async fn store(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    summary: &GraphSummary,
    secret: &SecretString,
    report: &Report,
) -> Result<()> {
    use sea_orm::TransactionTrait;
    let now = state.clock.now();
    let ciphertext =
        state.keyring.encrypt(&scope.tenant_id(), SecretField::GraphClientSecret, secret);
    let connection = GraphConnection {
        directory_id: summary.directory_id.clone(),
        client_id: summary.client_id.clone(),
        client_secret_ciphertext: ciphertext,
        secret_expires_on: summary.secret_expires_on,
        detail: summary.detail,
    };
    let permissions = report.permissions.as_ref().map(|p| p.join(", "));
    let txn = state.db.begin().await?;
    provider_configs::save_graph(&txn, scope, connection, now).await?;
    provider_configs::record_test(&txn, scope, now, true, permissions).await?;
    tenants::set_calendar_system(&txn, scope, ProviderKind::Graph, now).await?;
    tenants::activate(&txn, scope, now).await?;
    tenants::reach(&txn, scope.tenant_id(), Milestone::Connection, now).await?;
    leases::make_due(&txn, scope.tenant_id(), now).await?;
    let target = format!("Microsoft 365 · {} · {}", summary.client_id, summary.detail);
    audit::record(&txn, state, actor, Some(scope.tenant_id()), "credentials.updated", Some(target))
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Runs the test again on the stored connection, and records what it found.
pub async fn retest(
    state: &AppState,
    actor: &Actor,
    principal: &Principal,
    scope: TenantScope,
) -> Result<ConnectionPage> {
    let mut shown = page(state, scope, principal).await?;
    if shown.connected.is_none() && shown.ews_connected.is_none() {
        return Err(Error::NotFound);
    }
    let mailbox = Email::parse(&shown.typed.test_mailbox).ok();
    let report = check_stored(state, actor, scope, mailbox).await?;
    shown.connected = connected(state, scope).await?;
    shown.ews_connected = ews_connection::connected(state, scope).await?;
    shown.report = Some(report);
    Ok(shown)
}

/// The first person with sync on: who a test reads when nobody is named.
pub async fn first_synced_mailbox(state: &AppState, scope: TenantScope) -> Result<Option<Email>> {
    let users = directory::list(&state.db, scope).await?;
    Ok(users.into_iter().filter(|u| u.sync_enabled).find_map(|u| Email::parse(&u.email).ok()))
}

/// Tests the stored connection (the command line's `tenant test-connection`, and the
/// connection page's button) and records what it found.
pub async fn check_stored(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    mailbox: Option<Email>,
) -> Result<Report> {
    if ews_connection::connected(state, scope).await?.is_some() {
        return ews_connection::check_stored(state, actor, scope, mailbox).await;
    }
    let Some(Connected { summary, .. }) = connected(state, scope).await? else {
        let why = "no calendar connection is set up".to_owned();
        return Ok(Report::unusable(DetailLevel::default(), FailureReason::NotConfigured, why));
    };
    let Some(secret) = stored_secret(state, scope).await? else {
        let why = "the stored client secret cannot be decrypted; enter it again".to_owned();
        return Ok(Report::unusable(summary.detail, FailureReason::SecretUnreadable, why));
    };
    let report = test(state, actor, scope, &summary, &secret, mailbox).await?;
    let permissions = report.permissions.as_ref().map(|p| p.join(", "));
    provider_configs::record_test(
        &state.db,
        scope,
        state.clock.now(),
        report.passed(),
        permissions,
    )
    .await?;
    Ok(report)
}

/// Forgets the connection: the secret is deleted, syncing stops, people show as unknown.
pub async fn disconnect(
    state: &AppState,
    actor: &Actor,
    principal: &Principal,
    scope: TenantScope,
    password: Option<SecretString>,
) -> Result<()> {
    use sea_orm::TransactionTrait;
    confirm(state, principal, actor, password.as_ref()).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    if !provider_configs::delete(&txn, scope).await? {
        return Err(Error::NotFound);
    }
    tenants::deactivate(&txn, scope, now).await?;
    availability::clear_tenant(&txn, scope).await?;
    audit::record(&txn, state, actor, Some(scope.tenant_id()), "connection.removed", None).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether disconnecting needs the password typed again.
pub fn needs_password(state: &AppState, principal: &Principal) -> bool {
    !principal.recently_authenticated(state.clock.now())
}
