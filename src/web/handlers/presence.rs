use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::TenantMember;
use crate::i18n::messages;
use crate::services::{self, AppState};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::views::availability::PresenceView;
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
    let query = query.into_inner();
    let board = services::presence::board(&state, member.scope, &query.q).await?;
    let page = Page::new(&ctx, messages(ctx.locale).presence_title, "/presence");
    Ok(ok(&PresenceView::new(page, query.q, board)))
}
