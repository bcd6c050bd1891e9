//! Sync enablement from a Microsoft Entra group: the tenant's admin names a group, and at
//! the tenant's syncs (at most hourly) its members get calendar sync, as far as the licences
//! go; members who left get it switched off, if the group switched it on. A member an admin
//! switched off stays off.
//!
//! Reading the group needs the optional application permission `GroupMember.Read.All`. When
//! the read fails, nothing changes and the problem is shown on the sync health page.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use serde::Serialize;
use uuid::Uuid;

use super::{Actor, AppState, Error, FieldErrors, Invalid, Result, TenantScope, audit};
use crate::db::directory::{self, NewDirectoryUser, SyncToggle};
use crate::db::entities::group_sync;
use crate::db::{audit as audit_log, group_syncs, provider_configs, tenants};
use crate::domain::provider::ProviderKind;
use crate::i18n::Messages;
use crate::providers::{CalendarProvider, GroupError, GroupMember};

/// A group is read at most this often, however often the tenant syncs.
pub const GROUP_INTERVAL: Duration = Duration::hours(1);
/// Members without a licence listed by address on the sync health page; the count is whole.
pub const NOT_ENABLED_LISTED: usize = 100;

/// Why the last read of the group failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupProblem {
    /// Graph answered 403: `GroupMember.Read.All` lacks admin consent.
    PermissionMissing,
    /// No group with that object id in the tenant's directory.
    GroupNotFound,
    /// More members than calbridge reads.
    TooLarge,
    /// The tenant's calendars are on Exchange on-premises, which has no Entra groups.
    NotMicrosoft365,
    /// Sign-in, throttling, outage or a response that made no sense; the detail says which.
    Unavailable,
}

impl GroupProblem {
    pub fn key(self) -> &'static str {
        match self {
            GroupProblem::PermissionMissing => "permission_missing",
            GroupProblem::GroupNotFound => "group_not_found",
            GroupProblem::TooLarge => "too_large",
            GroupProblem::NotMicrosoft365 => "not_microsoft_365",
            GroupProblem::Unavailable => "unavailable",
        }
    }

    pub fn from_key(key: &str) -> GroupProblem {
        [
            GroupProblem::PermissionMissing,
            GroupProblem::GroupNotFound,
            GroupProblem::TooLarge,
            GroupProblem::NotMicrosoft365,
        ]
        .into_iter()
        .find(|p| p.key() == key)
        .unwrap_or(GroupProblem::Unavailable)
    }

    /// The problem and what to do about it, in the reader's language.
    pub fn explain(self, t: &Messages) -> (&'static str, &'static str) {
        match self {
            GroupProblem::PermissionMissing => (t.group_permission_missing, t.group_permission_fix),
            GroupProblem::GroupNotFound => (t.group_not_found, t.group_not_found_fix),
            GroupProblem::TooLarge => (t.group_too_large, t.group_too_large_fix),
            GroupProblem::NotMicrosoft365 => (t.group_not_m365, t.group_not_m365_fix),
            GroupProblem::Unavailable => (t.group_unavailable, t.group_unavailable_fix),
        }
    }

    fn of(error: &GroupError) -> GroupProblem {
        match error {
            GroupError::PermissionMissing { .. } => GroupProblem::PermissionMissing,
            GroupError::NotFound { .. } => GroupProblem::GroupNotFound,
            GroupError::TooLarge { .. } => GroupProblem::TooLarge,
            GroupError::Provider(_) => GroupProblem::Unavailable,
        }
    }
}

/// What one run of the group sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupRun {
    pub members: usize,
    pub added: usize,
    pub switched_off: usize,
    /// Members left without sync because the licences ran out, in the order tried.
    pub not_enabled: Vec<String>,
    pub problem: Option<GroupProblem>,
}

/// Reads a group object id as an admin pastes it (with or without braces); empty or "none"
/// means no group.
pub fn parse_group(input: &str) -> Result<Option<Uuid>> {
    let text = input.trim().trim_start_matches('{').trim_end_matches('}').trim();
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    Uuid::try_parse(text)
        .map(Some)
        .map_err(|_| Error::Invalid(FieldErrors::single("group", Invalid::GroupId)))
}

/// Chooses the tenant's group, or none. Only Microsoft 365 connections can have one.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    input: &str,
) -> Result<Option<Uuid>> {
    let group = parse_group(input)?;
    if group.is_some() {
        let connection = provider_configs::find(&state.db, scope).await?;
        if connection.is_some_and(|c| c.kind != ProviderKind::Graph) {
            return Err(Error::Invalid(FieldErrors::single("group", Invalid::GroupNeedsGraph)));
        }
    }
    let id = group.map(|g| g.to_string());
    let txn = state.db.begin().await?;
    group_syncs::set(&txn, scope, id.as_deref(), state.clock.now()).await?;
    let target = id.unwrap_or_else(|| "-".to_owned());
    audit::record(&txn, state, actor, Some(scope.tenant_id()), "group.set", Some(target)).await?;
    txn.commit().await?;
    Ok(group)
}

/// Runs the group sync if the tenant has a group and it was not read within the hour.
/// `None` when it did not run.
pub async fn run_if_due(
    state: &AppState,
    scope: TenantScope,
    provider: &dyn CalendarProvider,
) -> Result<Option<GroupRun>> {
    let Some(config) = group_syncs::find(&state.db, scope).await? else { return Ok(None) };
    let now = state.clock.now();
    if config.last_run_at.is_some_and(|at| now - at < GROUP_INTERVAL) {
        return Ok(None);
    }
    Ok(Some(run(state, scope, provider, config, now).await?))
}

async fn run(
    state: &AppState,
    scope: TenantScope,
    provider: &dyn CalendarProvider,
    config: group_sync::Model,
    now: DateTime<Utc>,
) -> Result<GroupRun> {
    let read = match (provider.groups(), Uuid::try_parse(&config.group_id)) {
        (Some(groups), Ok(group)) => groups.group_members(group).await.map_err(|e| {
            tracing::warn!(tenant = %scope.tenant_id(), error = %e, "group read failed");
            (GroupProblem::of(&e), e.to_string())
        }),
        (None, _) => Err((GroupProblem::NotMicrosoft365, "no Entra groups".to_owned())),
        (_, Err(_)) => Err((GroupProblem::GroupNotFound, "not a group object id".to_owned())),
    };
    let members = match read {
        Ok(members) => members,
        Err((problem, message)) => {
            let failed = group_sync::Model {
                last_run_at: Some(now),
                error_code: Some(problem.key().to_owned()),
                error_message: Some(message),
                ..config
            };
            group_syncs::record(&state.db, scope, failed).await?;
            return Ok(GroupRun { problem: Some(problem), ..GroupRun::default() });
        }
    };
    let name = members.group_name.clone().or(config.group_name.clone());
    let txn = state.db.begin().await?;
    let outcome = apply(&txn, scope, &members.members, now).await?;
    let listed: Vec<&String> = outcome.not_enabled.iter().take(NOT_ENABLED_LISTED).collect();
    let done = group_sync::Model {
        group_name: name.clone(),
        last_run_at: Some(now),
        last_success_at: Some(now),
        members: outcome.members as i32,
        added: outcome.added as i32,
        switched_off: outcome.switched_off as i32,
        not_enabled_count: outcome.not_enabled.len() as i32,
        not_enabled_json: Some(serde_json::to_string(&listed).unwrap_or_default()),
        error_code: None,
        error_message: None,
        ..config
    };
    let group_id = done.group_id.clone();
    group_syncs::record(&txn, scope, done).await?;
    if outcome.added + outcome.switched_off > 0 {
        let entry = audit_log::AuditEntry {
            tenant_id: Some(scope.tenant_id()),
            actor_account_id: None,
            actor_email: None,
            action: "group.synced",
            target: Some(format!(
                "{}: +{} −{}",
                name.unwrap_or(group_id),
                outcome.added,
                outcome.switched_off
            )),
            detail: serde_json::to_string(&serde_json::json!({
                "added": outcome.added,
                "switched_off": outcome.switched_off,
                "not_enabled": outcome.not_enabled.len(),
                "members": outcome.members,
            }))
            .ok(),
            ip: None,
        };
        audit_log::record(&txn, entry, now).await?;
    }
    txn.commit().await?;
    tracing::info!(
        tenant = %scope.tenant_id(),
        members = outcome.members,
        added = outcome.added,
        switched_off = outcome.switched_off,
        not_enabled = outcome.not_enabled.len(),
        "group sync applied"
    );
    Ok(outcome)
}

/// Brings the directory in line with the group's members.
///
/// Leavers go first, so their licences are free for newcomers. Newcomers are enabled in
/// address order, so the same members get the licences at every run whatever order Graph
/// lists them in. A user whose sync was on before the group (switched on by hand) is left
/// alone, and is not switched off when leaving the group.
async fn apply(
    db: &impl sea_orm::ConnectionTrait,
    scope: TenantScope,
    members: &[GroupMember],
    now: DateTime<Utc>,
) -> Result<GroupRun> {
    let users = directory::list(db, scope).await?;
    let wanted: HashSet<String> = members.iter().map(|m| m.mail.key()).collect();
    let mut run = GroupRun { members: members.len(), ..GroupRun::default() };
    let mut enabled = users.iter().filter(|u| u.sync_enabled).count() as i64;
    for user in users.iter().filter(|u| u.group_managed && !wanted.contains(&u.email_key)) {
        if user.sync_enabled {
            directory::set_sync_enabled(db, scope, user.id, false, now).await?;
            run.switched_off += 1;
            enabled -= 1;
        }
        group_syncs::set_group_managed(db, scope, user.id, false).await?;
    }
    let licences = i64::from(tenants::get(db, scope).await?.licences);
    let by_key: HashMap<&str, &crate::db::entities::directory_user::Model> =
        users.iter().map(|u| (u.email_key.as_str(), u)).collect();
    let mut newcomers: Vec<&GroupMember> = members.iter().collect();
    newcomers.sort_by_key(|m| m.mail.key());
    for member in newcomers {
        let key = member.mail.key();
        let existing = by_key.get(key.as_str()).copied();
        // Already on, or switched off by an admin after the group had switched it on: the
        // admin's choice stands until they switch it on again or the person leaves the group.
        if existing.is_some_and(|u| u.sync_enabled || u.group_managed) {
            continue;
        }
        if enabled >= licences {
            run.not_enabled.push(member.mail.as_str().to_owned());
            continue;
        }
        let id = match existing {
            Some(user) => user.id,
            None => {
                let new = NewDirectoryUser {
                    email: &member.mail,
                    display_name: member.display_name.clone(),
                    extension: None,
                    department: None,
                };
                directory::add(db, scope, new, now).await?.id
            }
        };
        match directory::set_sync_enabled(db, scope, id, true, now).await? {
            SyncToggle::Done => {
                group_syncs::set_group_managed(db, scope, id, true).await?;
                run.added += 1;
                enabled += 1;
            }
            SyncToggle::NoLicenceLeft => {
                run.not_enabled.push(member.mail.as_str().to_owned());
                enabled = licences;
            }
            SyncToggle::NotFound => {}
        }
    }
    Ok(run)
}

/// The group sync as the sync health page and the connection page show it.
#[derive(Debug, Clone)]
pub struct GroupStatus {
    pub group_id: String,
    pub group_name: Option<String>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub members: i32,
    pub added: i32,
    pub switched_off: i32,
    pub not_enabled_count: i32,
    pub not_enabled: Vec<String>,
    pub problem: Option<GroupProblem>,
    pub error_message: Option<String>,
}

/// The tenant's group sync, if it has a group.
pub async fn status(state: &AppState, scope: TenantScope) -> Result<Option<GroupStatus>> {
    Ok(group_syncs::find(&state.db, scope).await?.map(|g| GroupStatus {
        not_enabled: g
            .not_enabled_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default(),
        problem: g.error_code.as_deref().map(GroupProblem::from_key),
        group_id: g.group_id,
        group_name: g.group_name,
        last_run_at: g.last_run_at,
        last_success_at: g.last_success_at,
        members: g.members,
        added: g.added,
        switched_off: g.switched_off,
        not_enabled_count: g.not_enabled_count,
        error_message: g.error_message,
    }))
}

/// Settings → Entra group: what is chosen and how it went.
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub status: Option<GroupStatus>,
    /// The connection is Microsoft 365 (or none yet): groups can be read.
    pub microsoft_365: bool,
}

pub async fn settings(state: &AppState, scope: TenantScope) -> Result<GroupSettings> {
    let connection = provider_configs::find(&state.db, scope).await?;
    Ok(GroupSettings {
        status: status(state, scope).await?,
        microsoft_365: connection.is_none_or(|c| c.kind == ProviderKind::Graph),
    })
}

/// Saves the group from the settings form; a refused input comes back with the page.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    input: &str,
) -> Result<Option<Uuid>, super::FormError<GroupSettings>> {
    super::error::or_refused(set(state, actor, scope, input).await, settings(state, scope)).await
}
