//! Who is available right now: every directory user of a tenant with their current state.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::availability::last_confirmed;
use super::{AppState, Result, TenantScope};
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
    /// `None` when nothing is known (not synced yet, sync off, mailbox unreadable).
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

/// The receptionist's board: the people matching the search, and how many of all are free.
#[derive(Debug, Clone)]
pub struct Board {
    pub entries: Vec<PresenceEntry>,
    pub available: usize,
    pub total: usize,
}

/// Everyone, for the command line.
pub async fn list(state: &AppState, scope: TenantScope) -> Result<Presence> {
    let tenant = tenants::get(&state.db, scope).await?;
    Ok(Presence {
        timezone: tenant.timezone.parse().unwrap_or(chrono_tz::Europe::Copenhagen),
        entries: entries(state, scope).await?,
    })
}

/// The board, narrowed to those whose name, address, extension or department contains
/// `search` (ignoring case).
pub async fn board(state: &AppState, scope: TenantScope, search: &str) -> Result<Board> {
    let all = entries(state, scope).await?;
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
        .collect();
    Ok(Board { entries, available, total })
}

/// Every directory user of the tenant, sorted by name.
async fn entries(state: &AppState, scope: TenantScope) -> Result<Vec<PresenceEntry>> {
    let users = directory::list(&state.db, scope).await?;
    let mut rows: std::collections::HashMap<_, _> = availability::for_tenant(&state.db, scope)
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
                entry.observed_at = Some(last_confirmed(&row, last_success));
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
    json.and_then(|json| serde_json::from_str::<VisibleAppointment>(json).ok()).map(Appointment::from)
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
