//! Views used by operators and tenant admins alike.

use askama::Template;

use super::Page;
use crate::i18n::messages;
use crate::services::audit::AuditRow;
use crate::services::invites::CreatedInvite;
use crate::web::extract::RequestContext;

#[derive(Template)]
#[template(path = "shared/audit.html")]
pub struct AuditView {
    pub page: Page,
    /// Only operators see the tenant column.
    pub show_tenant: bool,
    pub events: Vec<AuditRow>,
}

#[derive(Template)]
#[template(path = "shared/invite_created.html")]
pub struct InviteCreatedView {
    pub page: Page,
    pub invite: CreatedInvite,
    /// The whole link, with this portal's address.
    pub link: String,
    pub back: String,
}

impl InviteCreatedView {
    /// Shows a created invite's link, this one time; `back` is where the inviter came from.
    pub fn new(ctx: &RequestContext, invite: CreatedInvite, back: String) -> InviteCreatedView {
        let page = Page::new(ctx, messages(ctx.locale).invite_link_title, "");
        let link = format!("{}{}", ctx.base_url, invite.path);
        InviteCreatedView { page, invite, link, back }
    }
}
