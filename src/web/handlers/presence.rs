use actix_web::{HttpRequest, HttpResponse, Responder, web};
use serde::Deserialize;

use crate::auth::TenantMember;
use crate::i18n::messages;
use crate::services::{self, AppState};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::sse;
use crate::web::views::availability::{PresenceLiveView, PresenceView};
use crate::web::views::{Page, ok};

#[derive(Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    q: String,
    /// `live`: only the part the page's script swaps in.
    part: Option<String>,
}

/// The receptionist's board: everyone, who is free, and until when.
pub async fn board(
    state: web::Data<AppState>,
    ctx: RequestContext,
    member: TenantMember,
    query: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let board = services::presence::board(&state, member.scope, &query.q).await?;
    let page = Page::new(&ctx, messages(ctx.locale).presence_title, "/presence");
    if query.part.as_deref() == Some("live") {
        return Ok(ok(&PresenceLiveView::new(page, board)));
    }
    Ok(ok(&PresenceView::new(page, query.q, board)))
}

/// The tenant's presence stream for the live board (the same events as the API's).
pub async fn stream(
    state: web::Data<AppState>,
    member: TenantMember,
    req: HttpRequest,
) -> AppResult<impl Responder> {
    let last = sse::last_event_id(&req, None);
    let holder = services::stream::Holder::Session(member.principal.session_hash.clone());
    let subscription = services::stream::open(&state, member.scope, holder, last).await?;
    Ok(sse::respond(state.get_ref().clone(), subscription))
}
