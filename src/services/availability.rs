//! From calendar items to the stored availability row, and what counts as a change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::prelude::Uuid;
use sha2::{Digest, Sha256};

use crate::availability::{Availability, AvailabilityRules, evaluate};
use crate::db::entities::{availability, availability_history};
use crate::domain::ErrorCode;
use crate::domain::calendar::CalendarItem;

/// What is kept of a calendar: every item's time and show-as (so the rules preview can show
/// what other rules would do), but subject and location only where the rules may show them.
/// Private items already arrive without subject and location.
pub fn visible_items(rules: &AvailabilityRules, mut items: Vec<CalendarItem>) -> Vec<CalendarItem> {
    items.retain(|i| i.end > i.start);
    for item in &mut items {
        // Graph writes 100 ns ticks, PostgreSQL keeps microseconds: without this every
        // stored time would differ from a fresh read and every sync would rewrite every row.
        item.start = item.start.trunc_subsecs(6);
        item.end = item.end.trunc_subsecs(6);
        let shown = rules.rule_for(item.show_as).effective().shown && !item.private;
        if !shown || !rules.show_subject {
            item.subject = None;
        }
        if !shown || !rules.show_location {
            item.location = None;
        }
    }
    // A stable order gives a stable hash, so unchanged calendars are recognised.
    items.sort_by(|a, b| {
        (a.start, a.end, a.show_as, &a.subject, &a.location).cmp(&(
            b.start,
            b.end,
            b.show_as,
            &b.subject,
            &b.location,
        ))
    });
    items
}

/// These types are plain data with string keys: serde_json cannot fail on them.
#[expect(clippy::expect_used, reason = "serialising plain structs to JSON cannot fail")]
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

pub fn items_hash(items_json: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(items_json.as_bytes())[..16])
}

/// Why a user's calendar could not be read this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub code: ErrorCode,
    pub message: String,
}

/// The row for a user whose items were read at `synced_at`, evaluated at `now`.
pub fn row_from_items(
    tenant_id: Uuid,
    user_id: Uuid,
    rules: &AvailabilityRules,
    items: Vec<CalendarItem>,
    now: DateTime<Utc>,
    synced_at: DateTime<Utc>,
) -> availability::Model {
    let items = visible_items(rules, items);
    let items_json = json(&items);
    let result = evaluate(rules, &items, now);
    row(tenant_id, user_id, &result, items_json, now, Some(synced_at), None)
}

/// The row for a user whose calendar could not be read: unknown, with the reason.
pub fn row_from_error(
    tenant_id: Uuid,
    user_id: Uuid,
    error: UserError,
    now: DateTime<Utc>,
    synced_at: DateTime<Utc>,
) -> availability::Model {
    row(
        tenant_id,
        user_id,
        &Availability::unknown(),
        "[]".into(),
        now,
        Some(synced_at),
        Some(error),
    )
}

fn row(
    tenant_id: Uuid,
    user_id: Uuid,
    result: &Availability,
    items_json: String,
    now: DateTime<Utc>,
    synced_at: Option<DateTime<Utc>>,
    error: Option<UserError>,
) -> availability::Model {
    let (sync_error_code, sync_error_message) =
        error.map_or((None, None), |e| (Some(e.code), Some(e.message)));
    availability::Model {
        user_id,
        tenant_id,
        available: result.available,
        state: result.state,
        until: result.until,
        next_change_at: result.next_change_at,
        appointment_json: result.appointment.as_ref().map(json),
        explanation_json: Some(json(&result.explanation)),
        items_hash: items_hash(&items_json),
        items_json,
        observed_at: now,
        synced_at,
        sync_error_code,
        sync_error_message,
    }
}

/// Re-evaluates a stored row at `now` from its own items (a meeting started or ended).
pub fn reevaluate(
    rules: &AvailabilityRules,
    stored: &availability::Model,
    now: DateTime<Utc>,
) -> availability::Model {
    let items: Vec<CalendarItem> = serde_json::from_str(&stored.items_json).unwrap_or_else(|e| {
        tracing::error!(user_id = %stored.user_id, error = %e, "stored items are unreadable");
        Vec::new()
    });
    let result = evaluate(rules, &items, now);
    let error = stored.sync_error_code.map(|code| UserError {
        code,
        message: stored.sync_error_message.clone().unwrap_or_default(),
    });
    row(
        stored.tenant_id,
        stored.user_id,
        &result,
        stored.items_json.clone(),
        now,
        stored.synced_at,
        error,
    )
}

/// Whether `new` says anything `old` did not; `observed_at` and `synced_at` alone do not count.
pub fn differs(old: &availability::Model, new: &availability::Model) -> bool {
    old.items_hash != new.items_hash
        || old.available != new.available
        || old.state != new.state
        || old.until != new.until
        || old.next_change_at != new.next_change_at
        || old.appointment_json != new.appointment_json
        || old.sync_error_code != new.sync_error_code
}

/// Whether the receptionist would see a different availability (worth a history entry).
pub fn visibly_differs(old: Option<&availability::Model>, new: &availability::Model) -> bool {
    old.is_none_or(|old| {
        old.available != new.available
            || old.state != new.state
            || old.until != new.until
            || old.appointment_json != new.appointment_json
    })
}

pub fn history_entry(row: &availability::Model) -> availability_history::Model {
    availability_history::Model {
        id: Uuid::now_v7(),
        tenant_id: row.tenant_id,
        user_id: row.user_id,
        at: row.observed_at,
        available: row.available,
        state: row.state,
        until: row.until,
        appointment_json: row.appointment_json.clone(),
        seq: None,
        next_change_at: row.next_change_at,
    }
}

/// When a stored row was last confirmed from the calendar. Unchanged rows are not rewritten
/// by each sync, so a row without an error of its own was confirmed by the tenant's last
/// successful sync (`confirmed`), even if its `observed_at` is older.
pub(crate) fn last_confirmed(
    row: &availability::Model,
    confirmed: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    confirmed_at(row.sync_error_code.is_some(), row.observed_at, confirmed)
}

/// [`last_confirmed`] of a row with (`failed`) or without an error of its own.
pub(crate) fn confirmed_at(
    failed: bool,
    observed_at: DateTime<Utc>,
    confirmed: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    match (failed, confirmed) {
        (false, Some(confirmed)) => confirmed.max(observed_at),
        _ => observed_at,
    }
}
