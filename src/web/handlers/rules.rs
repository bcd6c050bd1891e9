use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::auth::TenantAdmin;
use crate::auth::principal::RequestContext;
use crate::availability::{AvailabilityRules, ShowAsRule};
use crate::domain::calendar::ShowAs;
use crate::i18n::{Messages, messages};
use crate::services::{self, Actor, AppState};
use crate::web::error::AppResult;
use crate::web::see_other;
use crate::web::views::availability::{PreviewRow, RuleRow, RulesView, state_label, why};
use crate::web::views::{Page, ok};

const KINDS: [(&str, ShowAs); 5] = [
    ("busy", ShowAs::Busy),
    ("oof", ShowAs::Oof),
    ("tentative", ShowAs::Tentative),
    ("working_elsewhere", ShowAs::WorkingElsewhere),
    ("free", ShowAs::Free),
];

fn kind_label(t: &Messages, show_as: ShowAs) -> &'static str {
    match show_as {
        ShowAs::Busy => t.avail_busy,
        ShowAs::Oof => t.avail_out_of_office,
        ShowAs::Tentative => t.avail_tentative,
        ShowAs::WorkingElsewhere => t.avail_working_elsewhere,
        ShowAs::Free => t.avail_free,
        ShowAs::Unknown => t.avail_unknown,
    }
}

/// The rules form as submitted: a ticked box sends its name, an unticked one nothing.
fn rules_from_form(fields: &[(String, String)]) -> AvailabilityRules {
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

/// The form marks itself, so a preview of "nothing ticked" is told apart from a plain visit.
const FORM_MARKER: &str = "rules_form";

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The rules page with the saved rules.
pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    render(&state, &ctx, &admin, &query).await
}

/// The rules page showing what the submitted, unsaved rules would do.
pub async fn preview(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    render(&state, &ctx, &admin, &form).await
}

async fn render(
    state: &AppState,
    ctx: &RequestContext,
    admin: &TenantAdmin,
    query: &[(String, String)],
) -> AppResult<HttpResponse> {
    let t = messages(ctx.locale);
    let saved = services::rules::get(state, admin.scope).await?;
    let rules = if field(query, FORM_MARKER).is_some() { rules_from_form(query) } else { saved };
    let mut page = Page::new(ctx, t.rules_title, "/rules");
    if field(query, "done") == Some("saved") {
        page = page.with_notice(Some(t.rules_saved));
    }
    let users: Vec<_> = services::directory::list(state, admin.scope)
        .await?
        .into_iter()
        .filter(|u| u.sync_enabled)
        .collect();
    let chosen = field(query, "user")
        .and_then(|v| v.parse::<Uuid>().ok())
        .filter(|id| users.iter().any(|u| u.id == *id));
    let chosen = chosen.or(users.first().map(|u| u.id));
    let tomorrow = field(query, "day") == Some("tomorrow");

    let timeline = match chosen {
        Some(user) => services::rules::preview(state, admin.scope, &rules, user, tomorrow).await?,
        None => None,
    };
    let (preview, preview_message) = match (chosen, timeline) {
        (None, _) => (Vec::new(), Some(t.preview_none)),
        (Some(_), None) => (Vec::new(), Some(t.preview_no_data)),
        (Some(_), Some(segments)) => {
            let rows = segments
                .into_iter()
                .map(|segment| {
                    let a = &segment.availability;
                    let mut sees = state_label(t, a.state).to_owned();
                    if let Some(appointment) = &a.appointment {
                        let what = services::presence::describe(
                            appointment.private,
                            appointment.subject.as_deref(),
                            appointment.location.as_deref(),
                            t.avail_private,
                        );
                        if !what.is_empty() {
                            sees = format!("{sees}: {what}");
                        }
                    }
                    if let Some(until) = a.until.filter(|_| !a.available) {
                        sees = format!("{sees} ({})", t.fill(t.avail_until, page.clock(&until)));
                    }
                    PreviewRow {
                        time: format!("{}–{}", page.clock(&segment.from), page.clock(&segment.to)),
                        state: a.state.as_str(),
                        sees,
                        why: why(t, &a.explanation),
                    }
                })
                .collect();
            (rows, None)
        }
    };
    let view = RulesView {
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
        users: users
            .into_iter()
            .map(|u| {
                (u.id, u.display_name.clone().unwrap_or(u.email.clone()), Some(u.id) == chosen)
            })
            .collect(),
        tomorrow,
        preview,
        preview_message,
        page,
    };
    Ok(ok(&view))
}

pub async fn save(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let rules = rules_from_form(&form);
    let actor = Actor::from_principal(&admin.principal, ctx.ip.clone());
    services::rules::save(&state, &actor, admin.scope, rules).await?;
    let mut back = String::from("/rules?done=saved");
    for name in ["user", "day"] {
        if let Some(v) = field(&form, name) {
            back.push_str(&format!(
                "&{name}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            ));
        }
    }
    Ok(see_other(back))
}
