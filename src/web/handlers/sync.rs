use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::auth::principal::RequestContext;
use crate::auth::{Operator, TenantAdmin};
use crate::db::{TenantScope, tenants};
use crate::i18n::{Messages, messages};
use crate::services::health::SyncStatus;
use crate::services::{self, AppState};
use crate::web::error::{AppError, AppResult};
use crate::web::views::availability::{RunRow, SyncHealthView, UserErrorRow};
use crate::web::views::{Page, ok};

pub fn sync_status_label(t: &Messages, status: SyncStatus) -> &'static str {
    match status {
        SyncStatus::Unconfigured => t.sync_not_configured,
        SyncStatus::NeedsAction => t.sync_needs_action,
        SyncStatus::Paused(_) => t.sync_breaker_open,
        SyncStatus::Failing => t.sync_failing,
        SyncStatus::Pending => t.sync_never,
        SyncStatus::Ok => t.sync_ok,
    }
}

/// The problem and fix for a stored tenant-level reason, in the reader's language.
pub fn tenant_problem(reason: &str, t: &Messages) -> (&'static str, &'static str) {
    match reason {
        "not_configured" => (t.connection_missing, t.connection_missing_fix),
        "secret_unreadable" => (t.connection_unreadable, t.connection_unreadable_fix),
        "connection_invalid" => (t.connection_invalid, t.connection_invalid_fix),
        other => crate::providers::explain_reason(other, t)
            .map_or((t.provider_upstream_unavailable, t.provider_upstream_unavailable_fix), |e| {
                (e.problem, e.fix)
            }),
    }
}

async fn view(
    state: &AppState,
    ctx: &RequestContext,
    scope: TenantScope,
    active: &str,
) -> AppResult<SyncHealthView> {
    let t = messages(ctx.locale);
    let tenant = tenants::find(&state.db, scope.tenant_id()).await?.ok_or(AppError::NotFound)?;
    let health = services::health::of(state, scope).await?;
    let page = Page::new(ctx, t.sync_title, active);
    let now = state.clock.now();
    let s = health.state.as_ref();
    let status = health.status(now);
    let status_label = match status {
        SyncStatus::Paused(until) => format!("{} {}", t.sync_breaker_open, page.time(&until)),
        other => sync_status_label(t, other).to_owned(),
    };
    let problem = match s {
        _ if !health.configured => Some((t.connection_missing, t.connection_missing_fix)),
        Some(s) if s.consecutive_failures > 0 || s.needs_admin_action => {
            s.last_error_code.as_deref().map(|reason| tenant_problem(reason, t))
        }
        _ => None,
    };
    let runs = health
        .runs
        .iter()
        .map(|r| RunRow {
            started: page.time(&r.started_at),
            outcome: match r.outcome.as_str() {
                "ok" => "ok",
                "partial" => "partial",
                _ => "failed",
            },
            outcome_label: match r.outcome.as_str() {
                "ok" => t.outcome_ok,
                "partial" => t.outcome_partial,
                _ => t.outcome_failed,
            },
            users: r.users,
            changed: r.changed,
            http_requests: r.http_requests,
            throttled: r.throttled,
            errors: r.errors,
            duration: match (r.finished_at - r.started_at).num_milliseconds() {
                ms @ 0..1000 => format!("{ms} ms"),
                ms => format!("{:.1} s", ms as f64 / 1000.0),
            },
        })
        .collect();
    let user_errors = health
        .user_errors
        .iter()
        .map(|(user, row)| {
            let code = row.sync_error_code.as_deref().unwrap_or_default();
            let explanation = crate::providers::explain_code(code, t);
            UserErrorRow {
                who: user
                    .display_name
                    .clone()
                    .map_or(user.email.clone(), |n| format!("{n} <{}>", user.email)),
                problem: explanation.map_or(t.provider_upstream_unavailable, |e| e.problem),
                fix: explanation.map_or("", |e| e.fix),
            }
        })
        .collect();
    Ok(SyncHealthView {
        heading: format!("{} · {}", t.sync_title, tenant.name),
        status: status.key(),
        status_label,
        problem,
        failures: s.map_or(0, |s| s.consecutive_failures),
        running_on: s.and_then(|s| s.lease_until.filter(|u| *u > now).and(s.lease_owner.clone())),
        last_run_at: s.and_then(|s| s.last_run_at),
        last_success_at: s.and_then(|s| s.last_success_at),
        next_run_at: s.map(|s| s.next_run_at).filter(|_| health.configured),
        runs,
        user_errors,
        page,
    })
}

pub async fn tenant(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
) -> AppResult<HttpResponse> {
    Ok(ok(&view(&state, &ctx, admin.scope, "/sync").await?))
}

pub async fn operator(
    state: web::Data<AppState>,
    ctx: RequestContext,
    op: Operator,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    Ok(ok(&view(&state, &ctx, op.scope_for(*id), "/operator").await?))
}
