use askama::Template;
use sea_orm::prelude::Uuid;

use super::Page;
use crate::db::entities::{account, directory_user, invite};
use crate::services::FieldErrors;

#[derive(Template)]
#[template(path = "tenant/dashboard.html")]
pub struct DashboardView {
    pub page: Page,
    pub is_admin: bool,
    pub onboarding: bool,
    pub users: usize,
    pub synced: u64,
    pub licences: i32,
    pub team: usize,
    pub sync: &'static str,
    pub sync_label: &'static str,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UserForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub extension: String,
    #[serde(default)]
    pub department: String,
    /// A ticked checkbox sends "on"; an unticked one sends nothing.
    #[serde(default)]
    pub sync: Option<String>,
}

#[derive(Template)]
#[template(path = "tenant/users.html")]
pub struct UsersView {
    pub page: Page,
    pub users: Vec<directory_user::Model>,
    pub used: u64,
    pub licences: i32,
    pub form: UserForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "tenant/user_edit.html")]
pub struct UserEditView {
    pub page: Page,
    pub id: Uuid,
    pub email: String,
    pub form: UserForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "tenant/team.html")]
pub struct TeamView {
    pub page: Page,
    pub me: Uuid,
    pub accounts: Vec<account::Model>,
    pub invites: Vec<invite::Model>,
    pub now: chrono::DateTime<chrono::Utc>,
    pub invite_email: String,
    pub invite_role: String,
    /// Where the invite form posts, and the prefix of each invite's revoke action.
    pub invite_action: String,
    pub revoke_base: String,
    pub errors: FieldErrors,
}
