//! Settings → Entra group: the optional sync enablement from a Microsoft Entra group.

use askama::Template;

use super::Page;
use super::availability::GroupRow;
use crate::services::FieldErrors;
use crate::services::group_sync::GroupSettings;

#[derive(Template)]
#[template(path = "tenant/group.html")]
pub struct GroupView {
    pub page: Page,
    pub group: Option<GroupRow>,
    pub microsoft_365: bool,
    /// What the field shows: the chosen group, or what was typed and refused.
    pub value: String,
    pub errors: FieldErrors,
}

impl GroupView {
    pub fn new(
        page: Page,
        settings: GroupSettings,
        typed: Option<String>,
        errors: FieldErrors,
    ) -> GroupView {
        let value = typed
            .or_else(|| settings.status.as_ref().map(|s| s.group_id.clone()))
            .unwrap_or_default();
        let group = settings.status.map(|s| GroupRow::new(page.t, s));
        GroupView { page, group, microsoft_365: settings.microsoft_365, value, errors }
    }
}
