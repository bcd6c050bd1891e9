//! Askama view structs. Every page carries a [`Page`] with the chrome: words in the caller's
//! language, the CSRF token for its forms, the navigation for the caller's role.

pub mod auth;
pub mod availability;
pub mod group;
pub mod integrations;
pub mod operator;
pub mod setup;
pub mod shared;
pub mod tenant;
pub mod users_import;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::{DateTime, Utc};

use super::extract::RequestContext;
use crate::domain::tenant::TenantState;
use crate::domain::{FailureReason, Locale, Role};
use crate::i18n::{Explanation, Messages, messages};
use crate::services::health::SyncStatus;
use crate::services::{FieldErrors, Invalid};

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct Page {
    pub t: &'static Messages,
    pub locale: Locale,
    pub csrf: String,
    pub title: String,
    pub nav: Vec<NavItem>,
    /// "e-mail · role" of the signed-in account.
    pub user: Option<(String, &'static str)>,
    pub tenant_name: Option<String>,
    pub notice: Option<String>,
    pub tz: chrono_tz::Tz,
}

impl Page {
    /// `active` is the href of the navigation entry this page belongs to.
    pub fn new(ctx: &RequestContext, title: &str, active: &str) -> Page {
        let t = messages(ctx.locale);
        let principal = ctx.principal.as_deref();
        let items: &[(&'static str, &'static str)] = match principal.map(|p| p.role) {
            Some(Role::Operator) => {
                &[("/operator", t.nav_tenants), ("/operator/audit", t.nav_audit)]
            }
            Some(Role::TenantAdmin) => &[
                ("/dashboard", t.nav_dashboard),
                ("/presence", t.nav_presence),
                ("/users", t.nav_users),
                ("/rules", t.nav_rules),
                ("/sync", t.nav_sync),
                ("/team", t.nav_team),
                ("/settings/connection", t.nav_settings),
                ("/integrations", t.nav_integrations),
                ("/audit", t.nav_audit),
            ],
            Some(Role::Receptionist) => &[("/presence", t.nav_presence)],
            None => &[],
        };
        Page {
            t,
            locale: ctx.locale,
            csrf: ctx.csrf_token.clone(),
            title: title.to_owned(),
            nav: items
                .iter()
                .map(|(href, label)| NavItem { href, label, active: *href == active })
                .collect(),
            user: principal.map(|p| (p.email.clone(), role_label(t, p.role))),
            tenant_name: principal.and_then(|p| p.tenant.as_ref()).map(|t| t.name.clone()),
            notice: None,
            tz: principal.map_or(chrono_tz::Europe::Copenhagen, |p| p.timezone()),
        }
    }

    /// Whether the reader's navigation leads to `href` (what to point them to depends on it).
    pub fn can_open(&self, href: &str) -> bool {
        self.nav.iter().any(|item| item.href == href)
    }

    /// "Title · part", for pages inside a larger flow.
    pub fn with_title_suffix(mut self, part: &str) -> Page {
        self.title = format!("{} · {part}", self.title);
        self
    }

    pub fn with_notice(mut self, notice: Option<&'static str>) -> Page {
        self.notice = notice.map(str::to_owned);
        self
    }

    /// A confirmation composed for this request ("Sync turned on for Anna Jensen.").
    pub fn with_message(mut self, notice: Option<String>) -> Page {
        self.notice = notice;
        self
    }

    /// A moment in the caller's time zone, written the way their language does.
    pub fn time(&self, at: &DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.tz);
        match self.locale {
            Locale::Da => local.format("%d.%m.%Y %H:%M").to_string(),
            Locale::En => local.format("%-d %b %Y %H:%M").to_string(),
        }
    }

    /// Just the hour and minute, in the caller's time zone.
    pub fn clock(&self, at: &DateTime<Utc>) -> String {
        at.with_timezone(&self.tz).format("%H:%M").to_string()
    }

    /// "until 14:30" — and for what ends at midnight (all-day appointments), the last day
    /// it covers instead of "until 00:00": "all day", "until tomorrow", "until Monday",
    /// "until 24.12". Days count from the day of `reference` (now, or the previewed day).
    pub fn until(&self, until: &DateTime<Utc>, reference: &DateTime<Utc>) -> String {
        use chrono::Datelike;
        let t = self.t;
        let end = until.with_timezone(&self.tz);
        let today = reference.with_timezone(&self.tz).date_naive();
        let at_midnight = end.time() == chrono::NaiveTime::MIN;
        let (day, time) = if at_midnight {
            (end.date_naive().pred_opt().unwrap_or(end.date_naive()), None)
        } else {
            (end.date_naive(), Some(end.format("%H:%M").to_string()))
        };
        let when = match (day - today).num_days() {
            ..=0 => None,
            1 => Some(t.day_tomorrow.to_owned()),
            2..=6 => Some(
                match day.weekday() {
                    chrono::Weekday::Mon => t.weekday_mon,
                    chrono::Weekday::Tue => t.weekday_tue,
                    chrono::Weekday::Wed => t.weekday_wed,
                    chrono::Weekday::Thu => t.weekday_thu,
                    chrono::Weekday::Fri => t.weekday_fri,
                    chrono::Weekday::Sat => t.weekday_sat,
                    chrono::Weekday::Sun => t.weekday_sun,
                }
                .to_owned(),
            ),
            _ => Some(match self.locale {
                Locale::Da => day.format("%-d.%-m.").to_string(),
                Locale::En => day.format("%-d %b").to_string(),
            }),
        };
        match (when, time) {
            (None, None) => t.until_all_day.to_owned(),
            (None, Some(time)) => t.fill(t.avail_until, time),
            (Some(when), None) => t.fill(t.avail_until, when),
            (Some(when), Some(time)) => t.fill(t.avail_until, format!("{when} {time}")),
        }
    }

    /// A stretch of one day, "09:00–10:30"; midnight to midnight is "All day", and a stretch
    /// that runs to the end of the day ends at 24:00, never at 00:00.
    pub fn span(&self, from: &DateTime<Utc>, to: &DateTime<Utc>) -> String {
        let (start, end) = (from.with_timezone(&self.tz), to.with_timezone(&self.tz));
        let midnight = chrono::NaiveTime::MIN;
        if start.time() == midnight && end.time() == midnight && end > start {
            return self.t.all_day.to_owned();
        }
        let end_text =
            if end.time() == midnight && end > start { "24:00".to_owned() } else { self.clock(to) };
        format!("{}–{end_text}", self.clock(from))
    }

    pub fn time_opt(&self, at: &Option<DateTime<Utc>>) -> String {
        at.as_ref().map_or_else(|| self.t.none.to_owned(), |a| self.time(a))
    }

    pub fn role(&self, role: &Role) -> &'static str {
        role_label(self.t, *role)
    }

    pub fn tenant_state(&self, state: &TenantState) -> &'static str {
        match state {
            TenantState::Onboarding => self.t.state_onboarding,
            TenantState::Active => self.t.state_active,
            TenantState::Suspended => self.t.state_suspended,
        }
    }

    /// A sync status in words.
    pub fn sync_status(&self, status: &SyncStatus) -> &'static str {
        let t = self.t;
        match status {
            SyncStatus::Unconfigured => t.sync_not_configured,
            SyncStatus::NeedsAction => t.sync_needs_action,
            SyncStatus::Paused(_) => t.sync_breaker_open,
            SyncStatus::Failing => t.sync_failing,
            SyncStatus::Pending => t.sync_never,
            SyncStatus::Ok => t.sync_ok,
        }
    }

    /// What went wrong and what to do, in the reader's language.
    pub fn explain(&self, reason: FailureReason) -> Explanation {
        self.t.explain(reason)
    }

    pub fn locale_name(&self, code: &str) -> &'static str {
        match Locale::parse(code) {
            Some(Locale::Da) => self.t.locale_da,
            Some(Locale::En) => self.t.locale_en,
            None => self.t.none,
        }
    }

    /// The audit trail's action codes in words.
    pub fn action(&self, code: &str) -> String {
        let t = self.t;
        let known = match code {
            "login.succeeded" => t.action_login_succeeded,
            "login.failed" => t.action_login_failed,
            "account.locked" => t.action_account_locked,
            "logout" => t.action_logout,
            "tenant.created" => t.action_tenant_created,
            "invite.created" => t.action_invite_created,
            "invite.accepted" => t.action_invite_accepted,
            "invite.revoked" => t.action_invite_revoked,
            "account.created" => t.action_account_created,
            "account.disabled" => t.action_account_disabled,
            "account.enabled" => t.action_account_enabled,
            "user.added" => t.action_user_added,
            "user.updated" => t.action_user_updated,
            "user.removed" => t.action_user_removed,
            "user.imported" => t.action_user_imported,
            "user.sync_enabled" => t.action_user_sync_enabled,
            "user.sync_disabled" => t.action_user_sync_disabled,
            "credentials.updated" => t.action_credentials_updated,
            "keys.rotated" => t.action_keys_rotated,
            "rules.updated" => t.action_rules_updated,
            "connection.tested" => t.action_connection_tested,
            "connection.removed" => t.action_connection_removed,
            "company.updated" => t.action_company_updated,
            "onboarding.finished" => t.action_onboarding_finished,
            "reauth.succeeded" => t.action_reauth_succeeded,
            "reauth.failed" => t.action_reauth_failed,
            "group.set" => t.action_group_set,
            "group.synced" => t.action_group_synced,
            "api_token.created" => t.action_api_token_created,
            "api_token.revoked" => t.action_api_token_revoked,
            "webhook.created" => t.action_webhook_created,
            "webhook.updated" => t.action_webhook_updated,
            "webhook.secret_rotated" => t.action_webhook_secret_rotated,
            "webhook.deleted" => t.action_webhook_deleted,
            "webhook.test_sent" => t.action_webhook_test_sent,
            other => return other.to_owned(),
        };
        known.to_owned()
    }

    /// Who did it, in words: a person's address, the command line, or the service itself.
    pub fn actor(&self, actor: &Option<String>) -> String {
        match actor.as_deref() {
            None => self.t.audit_system.to_owned(),
            Some(crate::services::COMMAND_LINE) => self.t.audit_command_line.to_owned(),
            Some(who) => who.to_owned(),
        }
    }

    /// What an audit entry was about, with the codes it records (roles, detail levels, test
    /// outcomes) in words: "anna@x.dk (receptionist)", "Microsoft 365 · … · with subject
    /// and location".
    pub fn audit_target(&self, target: &str) -> String {
        let t = self.t;
        let word = |w: &str| -> Option<String> {
            let label = match w {
                "operator" | "tenant_admin" | "receptionist" => self.role(&w.parse().ok()?),
                "free_busy" => t.conn_detail_free_busy,
                "full" => t.conn_detail_full,
                "passed" => t.audit_passed,
                _ => return None,
            };
            Some(label.to_owned())
        };
        target
            .split(" · ")
            .map(|part| {
                if let Some(reason) = part.strip_prefix("failed: ") {
                    return match reason.parse::<FailureReason>() {
                        Ok(reason) => {
                            format!("{}: {}", t.audit_failed, self.explain(reason).problem)
                        }
                        Err(_) => format!("{}: {reason}", t.audit_failed),
                    };
                }
                if let Some(label) = word(part) {
                    return label;
                }
                // "address (role)"
                match part.strip_suffix(')').and_then(|p| p.rsplit_once(" (")) {
                    Some((before, code)) if word(code).is_some() => {
                        format!("{before} ({})", word(code).unwrap_or_default())
                    }
                    _ => part.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// A warning about the client secret's expiry, in words.
    pub fn expiry_warning(
        &self,
        expiry: Option<&crate::domain::provider::SecretExpiry>,
    ) -> Option<String> {
        use crate::domain::provider::SecretExpiry;
        match expiry? {
            SecretExpiry::Soon { days_left, .. } => {
                Some(self.t.fill(self.t.expiry_soon, days_left))
            }
            SecretExpiry::Expired => Some(self.t.expiry_expired.to_owned()),
        }
    }

    /// The message for a field, or "" when the field is fine.
    pub fn problem(&self, errors: &FieldErrors, field: &str) -> std::borrow::Cow<'static, str> {
        errors.get(field).map_or("".into(), |p: Invalid| p.message(self.t))
    }
}

pub fn role_label(t: &Messages, role: Role) -> &'static str {
    match role {
        Role::Operator => t.role_operator,
        Role::TenantAdmin => t.role_tenant_admin,
        Role::Receptionist => t.role_receptionist,
    }
}

/// Renders a template with a status; a template that fails to render is a server error.
pub fn render(status: StatusCode, view: &impl Template) -> HttpResponse {
    match view.render() {
        Ok(html) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

pub fn ok(view: &impl Template) -> HttpResponse {
    render(StatusCode::OK, view)
}

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorView {
    pub page: Page,
    pub heading: &'static str,
    pub text: &'static str,
}

pub fn error_page(ctx: &RequestContext, status: StatusCode, refusal: Option<&str>) -> HttpResponse {
    let t = messages(ctx.locale);
    let (heading, text) = match status.as_u16() {
        404 => (t.error_title_404, t.error_text_404),
        403 if refusal.is_some() => (t.error_title_403, t.error_text_csrf),
        403 => (t.error_title_403, t.error_text_403),
        400 if refusal == Some("encoding") => (t.error_title_other, t.error_text_encoding),
        500 => (t.error_title_500, t.error_text_500),
        503 => (t.error_title_503, t.error_text_503),
        _ => (t.error_title_other, t.error_text_other),
    };
    let view = ErrorView { page: Page::new(ctx, heading, ""), heading, text };
    render(status, &view)
}

/// The status of a form shown again after its use case refused the input.
pub fn refused_status(conflict: bool) -> StatusCode {
    if conflict { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY }
}
