//! Who is available right now: every directory user of a tenant with their current state.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::availability::confirmed_at;
use super::{AppState, Error, FieldErrors, Invalid, Result, TenantScope};
use crate::availability::VisibleAppointment;
use crate::db::entities::{availability_history, directory_user};
use crate::db::{availability, directory, leases, tenants};
use crate::domain::{AvailabilityState, ErrorCode};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncError {
    pub code: ErrorCode,
    pub message: String,
}

/// The appointment that decides the state, as far as the tenant's detail level shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Appointment {
    pub subject: Option<String>,
    pub location: Option<String>,
    pub private: bool,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl From<VisibleAppointment> for Appointment {
    fn from(a: VisibleAppointment) -> Appointment {
        Appointment {
            subject: a.subject,
            location: a.location,
            private: a.private,
            start: a.start,
            end: a.end,
        }
    }
}

impl Appointment {
    /// What the receptionist reads: "subject · location", or `private_label` for a private
    /// appointment.
    pub fn describe(&self, private_label: &str) -> String {
        describe(self.private, self.subject.as_deref(), self.location.as_deref(), private_label)
    }
}

/// "subject · location" (whichever are known), or `private_label` for a private appointment.
pub fn describe(
    private: bool,
    subject: Option<&str>,
    location: Option<&str>,
    private_label: &str,
) -> String {
    if private {
        return private_label.to_owned();
    }
    [subject, location].into_iter().flatten().collect::<Vec<_>>().join(" · ")
}

/// One person as the receptionist and the public API see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Presence)]
pub struct PresenceEntry {
    #[serde(skip)]
    #[schema(ignore)]
    pub user_id: uuid::Uuid,
    pub email: String,
    pub name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
    pub sync_enabled: bool,
    /// Null when nothing is known (not synced yet, sync off, mailbox unreadable).
    pub available: Option<bool>,
    pub state: AvailabilityState,
    pub until: Option<DateTime<Utc>>,
    pub next_change_at: Option<DateTime<Utc>>,
    pub appointment: Option<Appointment>,
    pub sync_error: Option<SyncError>,
    /// When calbridge last confirmed this state from the calendar; never goes backwards.
    pub observed_at: Option<DateTime<Utc>>,
    /// The state shown is the last one confirmed (at `observed_at`): the latest read of this
    /// calendar failed (`sync_error`).
    pub stale: bool,
}

/// A tenant's presence: everyone, and the zone their times are read in.
#[derive(Debug, Clone)]
pub struct Presence {
    pub timezone: chrono_tz::Tz,
    pub entries: Vec<PresenceEntry>,
}

/// Everyone of a tenant (or those a filter picks), as `presence --json`, the API and the
/// stream's snapshot give them: one schema for all three.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PresenceList {
    pub tenant: uuid::Uuid,
    pub generated_at: DateTime<Utc>,
    pub users: Vec<PresenceEntry>,
}

/// Which people a machine client asks for; every given field must match (ignoring case).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub email: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
    pub state: Option<String>,
}

impl Filter {
    fn matches(&self, e: &PresenceEntry, state: Option<AvailabilityState>) -> bool {
        let same = |wanted: &Option<String>, value: Option<&str>| {
            wanted
                .as_deref()
                .is_none_or(|w| value.is_some_and(|v| v.eq_ignore_ascii_case(w.trim())))
        };
        same(&self.email, Some(&e.email))
            && same(&self.extension, e.extension.as_deref())
            && same(&self.department, e.department.as_deref())
            && state.is_none_or(|s| s == e.state)
    }
}

/// The receptionist's board: the people matching the search, and how many of all are free.
#[derive(Debug, Clone)]
pub struct Board {
    pub entries: Vec<PresenceEntry>,
    pub available: usize,
    pub total: usize,
    /// The tenant's latest sync failed for the whole tenant (the shown states may be old).
    pub sync_failing: bool,
    /// When the calendars were last read successfully.
    pub last_success: Option<DateTime<Utc>>,
    /// That was more than three sync intervals ago (or never, with people to show).
    pub out_of_date: bool,
    pub generated_at: DateTime<Utc>,
}

/// Everyone, for the command line.
pub async fn list(state: &AppState, scope: TenantScope) -> Result<Presence> {
    let tenant = tenants::get(&state.db, scope).await?;
    Ok(Presence {
        timezone: tenant.timezone.parse().unwrap_or(chrono_tz::Europe::Copenhagen),
        entries: entries(state, scope).await?,
    })
}

/// The tenant's people that `filter` picks; an unknown `state` is refused.
pub async fn document(
    state: &AppState,
    scope: TenantScope,
    filter: &Filter,
) -> Result<PresenceList> {
    let wanted = match filter.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<AvailabilityState>()
                .map_err(|_| Error::Invalid(FieldErrors::single("state", Invalid::Required)))?,
        ),
    };
    let generated_at = state.clock.now();
    let users =
        entries(state, scope).await?.into_iter().filter(|e| filter.matches(e, wanted)).collect();
    Ok(PresenceList { tenant: scope.tenant_id(), generated_at, users })
}

/// An answer to a client that may already have it: `NotModified` when its validator is still
/// current, else the answer with its validator.
#[derive(Debug)]
pub enum Conditional<T> {
    NotModified(String),
    Fresh(String, T),
}

/// A weak entity tag for `parts` (the data's version and what was asked).
fn tag(parts: &[&str]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(parts.join("\n").as_bytes());
    format!("W/\"{}\"", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]))
}

fn named_in(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// Whole lists recently sent, per tenant: polls of an unchanged tenant are answered from here
/// (one small query), whoever asks. Bounded; an old version is simply replaced.
#[derive(Default)]
pub struct ListCache {
    lists: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, (String, Arc<str>)>>,
}

/// Tenants whose list is kept.
const CACHED_TENANTS: usize = 256;

impl std::fmt::Debug for ListCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListCache")
    }
}

impl ListCache {
    fn get(&self, tenant: uuid::Uuid, etag: &str) -> Option<Arc<str>> {
        let lists = self.lists.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        lists.get(&tenant).filter(|(tag, _)| tag == etag).map(|(_, json)| json.clone())
    }

    fn put(&self, tenant: uuid::Uuid, etag: String, json: Arc<str>) {
        let mut lists = self.lists.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if lists.len() >= CACHED_TENANTS && !lists.contains_key(&tenant) {
            lists.clear();
        }
        lists.insert(tenant, (etag, json));
    }
}

fn to_json(value: &impl Serialize) -> Result<Arc<str>> {
    Ok(serde_json::to_string(value).map_err(anyhow::Error::from)?.into())
}

/// [`document`] as JSON, or `NotModified` when `if_none_match` names the current version: a
/// poller that is up to date costs one small query, and so does the whole list of a tenant
/// that did not change since it was last sent (its `generated_at` is then when it was built).
pub async fn document_if_changed(
    state: &AppState,
    scope: TenantScope,
    filter: &Filter,
    if_none_match: Option<&str>,
) -> Result<Conditional<Arc<str>>> {
    let version = availability::version(&state.db, scope).await?;
    let asked = [&filter.email, &filter.extension, &filter.department, &filter.state]
        .map(|f| f.as_deref().unwrap_or_default().trim().to_lowercase());
    let etag = tag(&[&version, "list", &asked[0], &asked[1], &asked[2], &asked[3]]);
    if named_in(if_none_match, &etag) {
        return Ok(Conditional::NotModified(etag));
    }
    let whole = asked.iter().all(String::is_empty);
    if whole && let Some(json) = state.presence_lists.get(scope.tenant_id(), &etag) {
        return Ok(Conditional::Fresh(etag, json));
    }
    let json = to_json(&document(state, scope, filter).await?)?;
    if whole {
        state.presence_lists.put(scope.tenant_id(), etag.clone(), json.clone());
    }
    Ok(Conditional::Fresh(etag, json))
}

/// [`one`] as JSON, or `NotModified` when `if_none_match` names the current version.
pub async fn one_if_changed(
    state: &AppState,
    scope: TenantScope,
    email: &str,
    if_none_match: Option<&str>,
) -> Result<Conditional<Arc<str>>> {
    let version = availability::version(&state.db, scope).await?;
    let etag = tag(&[&version, "one", &email.trim().to_lowercase()]);
    if named_in(if_none_match, &etag) {
        return Ok(Conditional::NotModified(etag));
    }
    Ok(Conditional::Fresh(etag, to_json(&one(state, scope, email).await?)?))
}

/// One person of the tenant, by e-mail address (ignoring case).
pub async fn one(state: &AppState, scope: TenantScope, email: &str) -> Result<PresenceEntry> {
    let filter = Filter { email: Some(email.to_owned()), ..Filter::default() };
    document(state, scope, &filter).await?.users.into_iter().next().ok_or(Error::NotFound)
}

/// The board, narrowed to those whose name, address, extension or department contains
/// `search` (ignoring case).
pub async fn board(state: &AppState, scope: TenantScope, search: &str) -> Result<Board> {
    let all = entries(state, scope).await?;
    let sync = leases::find(&state.db, scope.tenant_id()).await?;
    let needle = search.trim().to_lowercase();
    let total = all.len();
    let available = all.iter().filter(|e| e.available == Some(true)).count();
    let entries = all
        .into_iter()
        .filter(|e| {
            needle.is_empty()
                || [Some(&e.email), e.name.as_ref(), e.extension.as_ref(), e.department.as_ref()]
                    .into_iter()
                    .flatten()
                    .any(|v| v.to_lowercase().contains(&needle))
        })
        .collect::<Vec<_>>();
    let last_success = sync.as_ref().and_then(|s| s.last_success_at);
    let sync_failing = sync.as_ref().is_some_and(|s| s.consecutive_failures > 0);
    let oldest_fine = state.clock.now()
        - chrono::TimeDelta::from_std(state.config.sync_interval * 3).unwrap_or_default();
    let syncing = entries.iter().any(|e| e.sync_enabled);
    let out_of_date = syncing && sync.is_some() && last_success.is_none_or(|at| at < oldest_fine);
    let generated_at = state.clock.now();
    Ok(Board { entries, available, total, sync_failing, last_success, out_of_date, generated_at })
}

/// Every directory user of the tenant, sorted by name.
async fn entries(state: &AppState, scope: TenantScope) -> Result<Vec<PresenceEntry>> {
    let users = directory::list(&state.db, scope).await?;
    let mut rows: std::collections::HashMap<_, _> =
        availability::shown_for_tenant(&state.db, scope)
            .await?
            .into_iter()
            .map(|r| (r.user_id, r))
            .collect();
    let last_success =
        leases::find(&state.db, scope.tenant_id()).await?.and_then(|s| s.last_success_at);
    Ok(users
        .into_iter()
        .map(|user| {
            let row = rows.remove(&user.id).filter(|_| user.sync_enabled);
            let mut entry = blank(user);
            if let Some(row) = row {
                let state = row.state;
                entry.sync_error = row.sync_error_code.map(|code| SyncError {
                    code,
                    message: row.sync_error_message.clone().unwrap_or_default(),
                });
                entry.observed_at = Some(confirmed_at(
                    row.sync_error_code.is_some(),
                    row.observed_at,
                    last_success,
                ));
                if state != AvailabilityState::Unknown {
                    entry.available = Some(row.available);
                    entry.state = state;
                    entry.stale = entry.sync_error.is_some();
                    entry.until = row.until;
                    entry.next_change_at = row.next_change_at;
                    entry.appointment = appointment(row.appointment_json.as_deref());
                }
            }
            entry
        })
        .collect())
}

/// Someone of whom nothing is known yet.
fn blank(user: directory_user::Model) -> PresenceEntry {
    PresenceEntry {
        user_id: user.id,
        email: user.email,
        name: user.display_name,
        extension: user.extension,
        department: user.department,
        sync_enabled: user.sync_enabled,
        available: None,
        state: AvailabilityState::Unknown,
        until: None,
        next_change_at: None,
        appointment: None,
        sync_error: None,
        observed_at: None,
        stale: false,
    }
}

fn appointment(json: Option<&str>) -> Option<Appointment> {
    json.and_then(|json| serde_json::from_str::<VisibleAppointment>(json).ok())
        .map(Appointment::from)
}

/// The person as a history entry (an event) shows them: the state confirmed at that moment.
pub(crate) fn from_history(
    user: directory_user::Model,
    entry: &availability_history::Model,
) -> PresenceEntry {
    let mut presence = blank(user);
    presence.observed_at = Some(entry.at);
    if entry.state != AvailabilityState::Unknown {
        presence.available = Some(entry.available);
        presence.state = entry.state;
        presence.until = entry.until;
        presence.next_change_at = entry.next_change_at;
        presence.appointment = appointment(entry.appointment_json.as_deref());
    }
    presence
}
