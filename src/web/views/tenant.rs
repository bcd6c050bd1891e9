use askama::Template;
use sea_orm::prelude::Uuid;

use super::Page;
use super::operator::InviteForm;
use crate::services::FieldErrors;
use crate::services::directory::{DirectoryUser, UserInput, UsersPage};
use crate::services::team::TeamPage;
use crate::services::tenants::Dashboard;

#[derive(Template)]
#[template(path = "tenant/dashboard.html")]
pub struct DashboardView {
    pub page: Page,
    pub dashboard: Dashboard,
}

impl DashboardView {
    pub fn expiry_warning(&self) -> Option<String> {
        self.page.expiry_warning(self.dashboard.expiry.as_ref())
    }
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

impl UserForm {
    pub fn input(&self) -> UserInput {
        UserInput {
            email: self.email.clone(),
            display_name: Some(self.display_name.clone()),
            extension: Some(self.extension.clone()),
            department: Some(self.department.clone()),
        }
    }

    /// The form filled with the user as stored.
    pub fn of(user: &DirectoryUser) -> UserForm {
        UserForm {
            email: user.email.clone(),
            display_name: user.display_name.clone().unwrap_or_default(),
            extension: user.extension.clone().unwrap_or_default(),
            department: user.department.clone().unwrap_or_default(),
            sync: None,
        }
    }
}

#[derive(Template)]
#[template(path = "tenant/users.html")]
pub struct UsersView {
    pub page: Page,
    pub directory: UsersPage,
    pub form: UserForm,
    pub errors: FieldErrors,
    /// The row whose sync toggle was refused; `None`: the add form's problem, if any.
    pub failed_row: Option<Uuid>,
}

impl UsersView {
    /// The confirmation after a change: "Sync turned on for Anna Jensen."
    pub fn notice(
        t: &'static crate::i18n::Messages,
        done: Option<&str>,
        user: Option<Uuid>,
        directory: &UsersPage,
    ) -> Option<String> {
        let name = user
            .and_then(|id| directory.users.iter().find(|u| u.id == id))
            .map(|u| u.display_name.clone().unwrap_or_else(|| u.email.clone()));
        match (done?, name) {
            ("added", _) => Some(t.user_added.to_owned()),
            ("removed", _) => Some(t.user_removed.to_owned()),
            ("saved", _) => Some(t.saved.to_owned()),
            ("imported", _) => Some(t.import_done.to_owned()),
            ("same", _) => Some(t.import_nothing_done.to_owned()),
            ("sync_on", Some(name)) => Some(t.fill(t.user_sync_turned_on, name)),
            ("sync_off", Some(name)) => Some(t.fill(t.user_sync_turned_off, name)),
            _ => None,
        }
    }

    /// Whether this row's sync toggle was the one refused.
    pub fn refused(&self, id: &Uuid) -> bool {
        self.failed_row == Some(*id)
    }

    /// The sync problem shown beside the add form (not beside a row's toggle).
    pub fn add_problem(&self, field: &str) -> std::borrow::Cow<'static, str> {
        if self.failed_row.is_some() { "".into() } else { self.page.problem(&self.errors, field) }
    }
}

/// The name a person goes by in the portal: their display name, else their address.
pub fn name_of(user: &DirectoryUser) -> &str {
    user.display_name.as_deref().unwrap_or(&user.email)
}

#[derive(Template)]
#[template(path = "tenant/user_remove.html")]
pub struct UserRemoveView {
    pub page: Page,
    pub user: DirectoryUser,
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

impl UserEditView {
    /// `form` as typed, or the user as stored when `None`.
    pub fn new(
        page: Page,
        user: DirectoryUser,
        form: Option<UserForm>,
        errors: FieldErrors,
    ) -> Self {
        let form = form.unwrap_or_else(|| UserForm::of(&user));
        UserEditView { page, id: user.id, email: user.email, form, errors }
    }
}

#[derive(Template)]
#[template(path = "tenant/team.html")]
pub struct TeamView {
    pub page: Page,
    pub me: Uuid,
    pub team: TeamPage,
    pub invite: InviteForm,
    /// Where the invite form posts, and the prefix of each invite's revoke action.
    pub invite_action: String,
    pub revoke_base: String,
    pub errors: FieldErrors,
}

impl TeamView {
    pub fn new(
        page: Page,
        me: Uuid,
        team: TeamPage,
        invite: InviteForm,
        errors: FieldErrors,
    ) -> Self {
        TeamView {
            page,
            me,
            team,
            invite,
            invite_action: "/team/invites".into(),
            revoke_base: "/team/invites".into(),
            errors,
        }
    }
}
