//! Views used by operators and tenant admins alike.

use askama::Template;
use chrono::{DateTime, Utc};

use super::Page;
use crate::db::entities::audit_event;

#[derive(Template)]
#[template(path = "shared/audit.html")]
pub struct AuditView {
    pub page: Page,
    /// Tenant name per event; only operators see this column.
    pub show_tenant: bool,
    pub events: Vec<(audit_event::Model, Option<String>)>,
}

#[derive(Template)]
#[template(path = "shared/invite_created.html")]
pub struct InviteCreatedView {
    pub page: Page,
    pub email: String,
    pub role: String,
    pub link: String,
    pub expires_at: DateTime<Utc>,
    pub back: String,
}
