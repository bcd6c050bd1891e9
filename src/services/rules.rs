//! Each tenant's availability rules, and the page that previews them on a real calendar.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, IntoActiveModel};
use uuid::Uuid;

pub use crate::availability::{AvailabilityRules, ShowAsRule};

use super::presence::Appointment;
use super::{Actor, AppState, Result, TenantScope, audit};
use crate::availability::{Explanation, day_timeline};
use crate::db::{availability as stored, directory, leases, tenants};
use crate::domain::AvailabilityState;
use crate::domain::calendar::CalendarItem;

/// Parses stored rules; unreadable JSON falls back to the defaults (and is logged), so a bad
/// row never stops a sync.
pub fn parse(tenant_id: Uuid, stored: Option<&str>) -> AvailabilityRules {
    match stored {
        None => AvailabilityRules::default(),
        Some(json) => serde_json::from_str(json).unwrap_or_else(|e| {
            tracing::error!(%tenant_id, error = %e, "stored availability rules are unreadable; using defaults");
            AvailabilityRules::default()
        }),
    }
}

/// What the rules page is asked to show.
#[derive(Debug, Clone, Default)]
pub struct RulesQuery {
    /// Rules to preview instead of the saved ones (the form, unsaved).
    pub trying: Option<AvailabilityRules>,
    /// Whose day to preview; the first synced user when absent or unknown.
    pub user: Option<Uuid>,
    pub tomorrow: bool,
}

/// Why a preview segment looks the way it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    NoData,
    NothingShown,
    MakesUnavailable,
    KeepsAvailable,
    OverlapMakesUnavailable,
}

impl From<&Explanation> for Why {
    fn from(e: &Explanation) -> Why {
        match e {
            Explanation::NoCalendarData => Why::NoData,
            Explanation::NoShownItemCoversNow => Why::NothingShown,
            Explanation::ShownItemMakesUnavailable { .. } => Why::MakesUnavailable,
            Explanation::ShownItemKeepsAvailable { .. } => Why::KeepsAvailable,
            Explanation::OverlappingItemMakesUnavailable { .. } => Why::OverlapMakesUnavailable,
        }
    }
}

/// A stretch of the previewed day over which the receptionist sees the same.
#[derive(Debug, Clone)]
pub struct PreviewSegment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub state: AvailabilityState,
    pub available: bool,
    pub until: Option<DateTime<Utc>>,
    pub appointment: Option<Appointment>,
    pub why: Why,
}

#[derive(Debug, Clone)]
pub enum Preview {
    /// Nobody has sync on.
    NoUser,
    /// The chosen person has not been read successfully yet.
    NoData,
    Day(Vec<PreviewSegment>),
}

/// A synced user to choose for the preview.
#[derive(Debug, Clone)]
pub struct PreviewUser {
    pub id: Uuid,
    pub name: String,
    pub chosen: bool,
}

/// The rules page: the rules shown in the form, and what they do to one person's day.
#[derive(Debug, Clone)]
pub struct RulesPage {
    pub rules: AvailabilityRules,
    pub users: Vec<PreviewUser>,
    pub tomorrow: bool,
    pub preview: Preview,
}

pub async fn get(state: &AppState, scope: TenantScope) -> Result<AvailabilityRules> {
    let tenant = tenants::get(&state.db, scope).await?;
    Ok(parse(tenant.id, tenant.rules_json.as_deref()))
}

/// The rules page for `query`.
pub async fn page(state: &AppState, scope: TenantScope, query: RulesQuery) -> Result<RulesPage> {
    let tenant = tenants::get(&state.db, scope).await?;
    let rules = query.trying.unwrap_or_else(|| parse(tenant.id, tenant.rules_json.as_deref()));
    let synced: Vec<_> =
        directory::list(&state.db, scope).await?.into_iter().filter(|u| u.sync_enabled).collect();
    let chosen =
        query.user.filter(|id| synced.iter().any(|u| u.id == *id)).or(synced.first().map(|u| u.id));
    let preview = match chosen {
        None => Preview::NoUser,
        Some(user) => {
            let tz: chrono_tz::Tz =
                tenant.timezone.parse().unwrap_or(chrono_tz::Europe::Copenhagen);
            match preview(state, scope, &rules, user, query.tomorrow, tz).await? {
                Some(day) => Preview::Day(day),
                None => Preview::NoData,
            }
        }
    };
    let users = synced
        .into_iter()
        .map(|u| PreviewUser {
            chosen: Some(u.id) == chosen,
            name: u.display_name.unwrap_or(u.email),
            id: u.id,
        })
        .collect();
    Ok(RulesPage { rules, users, tomorrow: query.tomorrow, preview })
}

/// A person's day as the reception would see it under `rules`, from the items stored at the
/// last sync; `None` when there are no usable items for that person yet.
async fn preview(
    state: &AppState,
    scope: TenantScope,
    rules: &AvailabilityRules,
    user: Uuid,
    tomorrow: bool,
    tz: chrono_tz::Tz,
) -> Result<Option<Vec<PreviewSegment>>> {
    let row = stored::for_tenant(&state.db, scope)
        .await?
        .into_iter()
        .find(|r| r.user_id == user)
        .filter(|r| r.synced_at.is_some() && r.sync_error_code.is_none());
    let Some(row) = row else { return Ok(None) };
    let items: Vec<CalendarItem> = serde_json::from_str(&row.items_json).unwrap_or_default();
    let mut date = state.clock.now().with_timezone(&tz).date_naive();
    if tomorrow {
        date += chrono::Duration::days(1);
    }
    let segments = day_timeline(rules, &items, date, tz)
        .into_iter()
        .map(|segment| {
            let a = segment.availability;
            PreviewSegment {
                from: segment.from,
                to: segment.to,
                state: a.state,
                available: a.available,
                until: a.until,
                why: Why::from(&a.explanation),
                appointment: a.appointment.map(Appointment::from),
            }
        })
        .collect();
    Ok(Some(segments))
}

/// Saves new rules and makes the tenant due, so stored items are read again under them.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    rules: AvailabilityRules,
) -> Result<()> {
    let tenant = tenants::get(&state.db, scope).await?;
    let mut model = tenant.into_active_model();
    model.rules_json = Set(Some(serde_json::to_string(&rules).map_err(anyhow::Error::from)?));
    model.updated_at = Set(state.clock.now());
    model.update(&state.db).await?;
    leases::make_due(&state.db, scope.tenant_id(), state.clock.now()).await?;
    audit::record(&state.db, state, actor, Some(scope.tenant_id()), "rules.updated", None).await?;
    Ok(())
}
