//! Views of availability: the receptionist's board, the rules page with its preview, and
//! sync health.

use askama::Template;
use chrono::{DateTime, Utc};

use super::Page;
use crate::domain::calendar::ShowAs;
use crate::domain::{AvailabilityState, FailureReason};
use crate::i18n::Messages;
use crate::services::health::{SyncHealth, SyncStatus};
use crate::services::presence::{Board, PresenceEntry, describe};
use crate::services::rules::{AvailabilityRules, Preview, RulesPage, RulesQuery, ShowAsRule, Why};

pub fn state_label(t: &Messages, state: AvailabilityState) -> &'static str {
    match state {
        AvailabilityState::Free => t.avail_free,
        AvailabilityState::Busy => t.avail_busy,
        AvailabilityState::Tentative => t.avail_tentative,
        AvailabilityState::OutOfOffice => t.avail_out_of_office,
        AvailabilityState::WorkingElsewhere => t.avail_working_elsewhere,
        AvailabilityState::Unknown => t.avail_unknown,
    }
}

fn why(t: &Messages, why: Why) -> &'static str {
    match why {
        Why::NoData => t.why_no_data,
        Why::NothingShown => t.why_nothing,
        Why::MakesUnavailable => t.why_unavailable,
        Why::KeepsAvailable => t.why_keeps_available,
        Why::OverlapMakesUnavailable => t.why_overlap,
    }
}

/// One person on the board, already in words.
pub struct BoardRow {
    pub name: String,
    pub email: String,
    pub extension: String,
    pub department: String,
    /// CSS class: free, busy, tentative, out_of_office, working_elsewhere, unknown.
    pub state: &'static str,
    pub state_label: &'static str,
    pub until: String,
    pub appointment: String,
    pub note: String,
}

impl BoardRow {
    fn new(e: PresenceEntry, page: &Page, now: &DateTime<Utc>) -> BoardRow {
        let t = page.t;
        let appointment =
            e.appointment.as_ref().map_or(String::new(), |a| a.describe(t.avail_private));
        let note = if !e.sync_enabled {
            t.presence_sync_off.to_owned()
        } else if let Some(error) = &e.sync_error {
            let problem = t.explain(FailureReason::of_mailbox(error.code)).problem;
            match e.observed_at.filter(|_| e.stale) {
                Some(at) => format!("{problem} {}", t.fill(t.presence_stale, page.clock(&at))),
                None => problem.to_owned(),
            }
        } else if e.state == AvailabilityState::Unknown {
            t.presence_not_synced.to_owned()
        } else {
            String::new()
        };
        BoardRow {
            until: e.until.map_or(String::new(), |u| page.until(&u, now)),
            name: e.name.clone().unwrap_or_else(|| e.email.clone()),
            email: e.email,
            extension: e.extension.unwrap_or_default(),
            department: e.department.unwrap_or_default(),
            state: e.state.as_str(),
            state_label: state_label(t, e.state),
            appointment,
            note,
        }
    }
}

/// What the board shows of everyone, and which refreshes live: the counts, the warnings and
/// the rows.
pub struct BoardLive {
    pub rows: Vec<BoardRow>,
    pub available: usize,
    pub total: usize,
    /// "Updated 10:42:07".
    pub updated: String,
    /// Why the shown states may be old, if they may.
    pub warning: Option<String>,
}

impl BoardLive {
    fn new(board: Board, page: &Page) -> BoardLive {
        let t = page.t;
        let warning = if board.sync_failing {
            Some(t.presence_sync_failing.to_owned())
        } else if board.out_of_date {
            Some(match &board.last_success {
                Some(at) => t.fill(t.presence_out_of_date, page.time(at)),
                None => t.presence_never_read.to_owned(),
            })
        } else {
            None
        };
        let updated = board.generated_at.with_timezone(&page.tz).format("%H:%M:%S");
        BoardLive {
            rows: board
                .entries
                .into_iter()
                .map(|e| BoardRow::new(e, page, &board.generated_at))
                .collect(),
            available: board.available,
            total: board.total,
            updated: t.fill(t.presence_updated, updated),
            warning,
        }
    }
}

#[derive(Template)]
#[template(path = "tenant/presence.html")]
pub struct PresenceView {
    pub page: Page,
    pub q: String,
    pub live: BoardLive,
}

impl PresenceView {
    pub fn new(page: Page, q: String, board: Board) -> PresenceView {
        let live = BoardLive::new(board, &page);
        PresenceView { page, q, live }
    }
}

/// Just the live part of the board, for the page's script to swap in.
#[derive(Template)]
#[template(path = "tenant/presence_live.html")]
pub struct PresenceLiveView {
    pub page: Page,
    pub live: BoardLive,
}

impl PresenceLiveView {
    pub fn new(page: Page, board: Board) -> PresenceLiveView {
        let live = BoardLive::new(board, &page);
        PresenceLiveView { page, live }
    }
}

/// The show-as kinds in the order the rules form lists them, with their field names.
const KINDS: [(&str, ShowAs); 5] = [
    ("busy", ShowAs::Busy),
    ("oof", ShowAs::Oof),
    ("tentative", ShowAs::Tentative),
    ("working_elsewhere", ShowAs::WorkingElsewhere),
    ("free", ShowAs::Free),
];

/// The rules form marks itself, so a preview of "nothing ticked" is told apart from a visit.
const FORM_MARKER: &str = "rules_form";

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The rules as the form submitted them: a ticked box sends its name, an unticked one nothing.
pub fn rules_from_form(fields: &[(String, String)]) -> AvailabilityRules {
    let has = |name: &str| fields.iter().any(|(k, _)| k == name);
    let rule = |key: &str| ShowAsRule {
        shown: has(&format!("{key}_shown")),
        makes_unavailable: has(&format!("{key}_unavailable")),
    };
    AvailabilityRules {
        free: rule("free"),
        tentative: rule("tentative"),
        busy: rule("busy"),
        oof: rule("oof"),
        working_elsewhere: rule("working_elsewhere"),
        show_subject: has("show_subject"),
        show_location: has("show_location"),
    }
}

/// What the rules page was asked for: a visit (query string) or a preview (the form).
pub fn rules_query(fields: &[(String, String)]) -> RulesQuery {
    RulesQuery {
        trying: field(fields, FORM_MARKER).map(|_| rules_from_form(fields)),
        user: field(fields, "user").and_then(|v| v.parse().ok()),
        tomorrow: field(fields, "day") == Some("tomorrow"),
    }
}

/// Where to go after saving: back to the same preview.
pub fn rules_saved_location(fields: &[(String, String)]) -> String {
    let mut back = String::from("/rules?done=saved");
    for name in ["user", "day"] {
        if let Some(v) = field(fields, name) {
            back.push_str(&format!(
                "&{name}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            ));
        }
    }
    back
}

pub fn saved_notice(fields: &[(String, String)]) -> bool {
    field(fields, "done") == Some("saved")
}

pub(super) fn kind_label(t: &Messages, show_as: ShowAs) -> &'static str {
    match show_as {
        ShowAs::Busy => t.avail_busy,
        ShowAs::Oof => t.avail_out_of_office,
        ShowAs::Tentative => t.avail_tentative,
        ShowAs::WorkingElsewhere => t.avail_working_elsewhere,
        ShowAs::Free => t.avail_free,
        ShowAs::Unknown => t.avail_unknown,
    }
}

pub struct RuleRow {
    pub key: &'static str,
    pub label: &'static str,
    pub shown: bool,
    pub unavailable: bool,
}

pub struct PreviewRow {
    pub time: String,
    pub state: &'static str,
    pub sees: String,
    pub why: &'static str,
}

#[derive(Template)]
#[template(path = "tenant/rules.html")]
pub struct RulesView {
    pub page: Page,
    pub rows: Vec<RuleRow>,
    pub show_subject: bool,
    pub show_location: bool,
    pub users: Vec<(uuid::Uuid, String, bool)>,
    pub tomorrow: bool,
    pub preview: Vec<PreviewRow>,
    /// Why there is no preview, if there is none.
    pub preview_message: Option<&'static str>,
}

impl RulesView {
    pub fn new(page: Page, rules_page: RulesPage) -> RulesView {
        let t = page.t;
        let RulesPage { rules, users, tomorrow, preview } = rules_page;
        let (preview, preview_message) = match preview {
            Preview::NoUser => (Vec::new(), Some(t.preview_none)),
            Preview::NoData => (Vec::new(), Some(t.preview_no_data)),
            Preview::Day(segments) => {
                let rows = segments
                    .into_iter()
                    .map(|s| {
                        let mut sees = state_label(t, s.state).to_owned();
                        if let Some(a) = &s.appointment {
                            let what = describe(
                                a.private,
                                a.subject.as_deref(),
                                a.location.as_deref(),
                                t.avail_private,
                            );
                            if !what.is_empty() {
                                sees = format!("{sees}: {what}");
                            }
                        }
                        if let Some(until) = s.until.filter(|_| !s.available) {
                            sees = format!("{sees} ({})", page.until(&until, &s.from));
                        }
                        PreviewRow {
                            time: page.span(&s.from, &s.to),
                            state: s.state.as_str(),
                            sees,
                            why: why(t, s.why),
                        }
                    })
                    .collect();
                (rows, None)
            }
        };
        RulesView {
            rows: KINDS
                .iter()
                .map(|(key, show_as)| {
                    let rule = rules.rule_for(*show_as);
                    RuleRow {
                        key,
                        label: kind_label(t, *show_as),
                        shown: rule.shown,
                        unavailable: rule.makes_unavailable,
                    }
                })
                .collect(),
            show_subject: rules.show_subject,
            show_location: rules.show_location,
            users: users.into_iter().map(|u| (u.id, u.name, u.chosen)).collect(),
            tomorrow,
            preview,
            preview_message,
            page,
        }
    }
}

pub struct RunRow {
    pub started: String,
    pub outcome: &'static str,
    pub outcome_label: &'static str,
    pub users: i32,
    pub changed: i32,
    pub http_requests: i32,
    pub throttled: i32,
    pub errors: i32,
    pub duration: String,
}

/// The Entra group sync on the sync health page.
pub struct GroupRow {
    pub name: String,
    pub last_run_at: Option<DateTime<Utc>>,
    pub members: i32,
    pub added: i32,
    pub switched_off: i32,
    pub not_enabled_count: i32,
    pub not_enabled: Vec<String>,
    /// "and 12 more", when not every address is listed.
    pub more: Option<String>,
    pub problem: Option<(&'static str, &'static str)>,
    /// The technical detail of the failure, for whoever fixes it.
    pub detail: Option<String>,
}

impl GroupRow {
    pub fn new(t: &crate::i18n::Messages, g: crate::services::group_sync::GroupStatus) -> GroupRow {
        let listed = g.not_enabled.len() as i32;
        GroupRow {
            name: g.group_name.map_or(g.group_id.clone(), |n| format!("{n} ({})", g.group_id)),
            last_run_at: g.last_run_at,
            members: g.members,
            added: g.added,
            switched_off: g.switched_off,
            not_enabled_count: g.not_enabled_count,
            not_enabled: g.not_enabled,
            more: (g.not_enabled_count > listed)
                .then(|| t.fill(t.group_not_enabled_more, g.not_enabled_count - listed)),
            problem: g.problem.map(|p| p.explain(t)),
            detail: g.problem.and(g.error_message),
        }
    }
}

pub struct UserErrorRow {
    pub who: String,
    pub problem: &'static str,
    pub fix: &'static str,
}

#[derive(Template)]
#[template(path = "shared/sync_health.html")]
pub struct SyncHealthView {
    pub page: Page,
    pub heading: String,
    pub status: &'static str,
    pub status_label: String,
    pub problem: Option<(&'static str, &'static str)>,
    pub failures: i32,
    /// "instance, for 2 min 05 s".
    pub running: Option<String>,
    /// The running sync takes longer than usual: what usual is.
    pub overdue: Option<String>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub runs: Vec<RunRow>,
    pub user_errors: Vec<UserErrorRow>,
    pub group: Option<GroupRow>,
    /// The reader can fix the connection (a tenant admin): the fix links to it.
    pub connection_link: bool,
}

impl SyncHealthView {
    pub fn with_connection_link(mut self, link: bool) -> SyncHealthView {
        self.connection_link = link;
        self
    }

    pub fn new(page: Page, health: SyncHealth) -> SyncHealthView {
        let t = page.t;
        let status_label = match health.status {
            SyncStatus::Paused(until) => {
                format!(
                    "{}; {}",
                    t.sync_breaker_open,
                    t.fill(t.sync_next_trial, page.clock(&until))
                )
            }
            other => page.sync_status(&other).to_owned(),
        };
        let runs = health
            .runs
            .iter()
            .map(|r| RunRow {
                started: page.time(&r.started_at),
                outcome: r.outcome.as_str(),
                outcome_label: match r.outcome {
                    crate::domain::SyncOutcome::Ok => t.outcome_ok,
                    crate::domain::SyncOutcome::Partial => t.outcome_partial,
                    crate::domain::SyncOutcome::Failed => t.outcome_failed,
                },
                users: r.users,
                changed: r.changed,
                http_requests: r.http_requests,
                throttled: r.throttled,
                errors: r.errors,
                duration: duration_text(r.finished_at - r.started_at),
            })
            .collect();
        let user_errors = health
            .user_errors
            .into_iter()
            .map(|u| {
                let explanation = t.explain(FailureReason::of_mailbox(u.code));
                UserErrorRow {
                    who: u.name.map_or(u.email.clone(), |n| format!("{n} <{}>", u.email)),
                    problem: explanation.problem,
                    fix: explanation.fix,
                }
            })
            .collect();
        SyncHealthView {
            heading: format!("{} · {}", t.sync_title, health.tenant_name),
            status: health.status.key(),
            status_label,
            problem: health.problem.map(|r| {
                let e = t.explain(r);
                (e.problem, e.fix)
            }),
            failures: health.failures,
            overdue: health.running.as_ref().filter(|r| r.longer_than_usual).map(|r| {
                let usual = r.usual.map_or_else(|| t.none.to_owned(), duration_text);
                t.fill(t.sync_longer_than_usual, usual)
            }),
            running: health.running.map(|r| {
                format!("{} · {}", r.instance, t.fill(t.sync_running_for, duration_text(r.elapsed)))
            }),
            last_run_at: health.last_run_at,
            last_success_at: health.last_success_at,
            next_run_at: health.next_run_at,
            runs,
            user_errors,
            group: health.group.map(|g| GroupRow::new(t, g)),
            connection_link: false,
            page,
        }
    }
}

/// "850 ms", "4.2 s", "2 min 05 s".
fn duration_text(d: chrono::Duration) -> String {
    match d.num_milliseconds().max(0) {
        ms @ 0..1000 => format!("{ms} ms"),
        ms @ 1000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        ms => format!("{} min {:02} s", ms / 60_000, ms % 60_000 / 1000),
    }
}
