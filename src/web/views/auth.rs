use askama::Template;

use super::Page;
use crate::services::FieldErrors;
use crate::services::invites::AcceptPage;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginView {
    pub page: Page,
    pub email: String,
    pub next: String,
    /// The sign-in failed (or the service was busy): the message to show.
    pub failure: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/accept_invite.html")]
pub struct AcceptInviteView {
    pub page: Page,
    pub action: String,
    pub invite: AcceptPage,
    pub display_name: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "auth/invite_unusable.html")]
pub struct InviteUnusableView {
    pub page: Page,
}
