//! Settings → Entra group: choose the group whose members get calendar sync.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::TenantAdmin;
use crate::i18n::messages;
use crate::services::{AppState, FieldErrors, FormError, group_sync};
use crate::web::error::AppResult;
use crate::web::extract::RequestContext;
use crate::web::see_other;
use crate::web::views::group::GroupView;
use crate::web::views::{Page, ok, refused_status, render};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    group: String,
}

fn group_page(ctx: &RequestContext, notice: Option<&'static str>) -> Page {
    Page::new(ctx, messages(ctx.locale).group_title, "/settings/connection").with_notice(notice)
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    query: web::Query<DoneQuery>,
) -> AppResult<HttpResponse> {
    let settings = group_sync::settings(&state, admin.scope).await?;
    let t = messages(ctx.locale);
    let notice = match query.done.as_deref() {
        Some("saved") => Some(t.group_saved),
        Some("removed") => Some(t.group_removed),
        _ => None,
    };
    let view = GroupView::new(group_page(&ctx, notice), settings, None, FieldErrors::default());
    Ok(ok(&view))
}

pub async fn submit(
    state: web::Data<AppState>,
    ctx: RequestContext,
    admin: TenantAdmin,
    form: web::Form<GroupForm>,
) -> AppResult<HttpResponse> {
    let typed = form.into_inner().group;
    match group_sync::submit(&state, &ctx.actor(), admin.scope, &typed).await {
        Ok(Some(_)) => Ok(see_other("/settings/group?done=saved")),
        Ok(None) => Ok(see_other("/settings/group?done=removed")),
        Err(FormError::Refused(r)) => {
            let view = GroupView::new(group_page(&ctx, None), r.page, Some(typed), r.errors);
            Ok(render(refused_status(r.conflict), &view))
        }
        Err(FormError::Other(e)) => Err(e.into()),
    }
}
