use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::TenantMember;
use crate::auth::principal::RequestContext;
use crate::availability::AvailabilityState;
use crate::i18n::messages;
use crate::services::{self, AppState};
use crate::web::error::AppResult;
use crate::web::views::availability::{BoardRow, PresenceView, state_label};
use crate::web::views::{Page, ok};

#[derive(Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    q: String,
}

/// The receptionist's board: everyone, who is free, and until when.
pub async fn board(
    state: web::Data<AppState>,
    ctx: RequestContext,
    member: TenantMember,
    query: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    let t = messages(ctx.locale);
    let page = Page::new(&ctx, t.presence_title, "/presence");
    let entries = services::presence::list(&state, member.scope).await?;
    let needle = query.q.trim().to_lowercase();
    let total = entries.len();
    let available = entries.iter().filter(|e| e.available == Some(true)).count();
    let rows = entries
        .into_iter()
        .filter(|e| {
            needle.is_empty()
                || [Some(&e.email), e.name.as_ref(), e.extension.as_ref(), e.department.as_ref()]
                    .into_iter()
                    .flatten()
                    .any(|v| v.to_lowercase().contains(&needle))
        })
        .map(|e| {
            let appointment =
                e.appointment.as_ref().map_or(String::new(), |a| a.describe(t.avail_private));
            let note = if !e.sync_enabled {
                t.presence_sync_off.to_owned()
            } else if let Some(error) = &e.sync_error {
                crate::providers::explain_code(&error.code, t)
                    .map_or(error.message.clone(), |x| x.problem.to_owned())
            } else if e.state == AvailabilityState::Unknown {
                t.presence_not_synced.to_owned()
            } else {
                String::new()
            };
            BoardRow {
                until: e.until.map_or(String::new(), |u| t.fill(t.avail_until, page.clock(&u))),
                name: e.name.clone().unwrap_or_else(|| e.email.clone()),
                email: e.email,
                extension: e.extension.unwrap_or_default(),
                department: e.department.unwrap_or_default(),
                state: e.state.as_str(),
                state_label: state_label(t, e.state),
                appointment,
                note,
            }
        })
        .collect();
    let view = PresenceView { page, q: query.q.clone(), rows, available, total };
    Ok(ok(&view))
}
