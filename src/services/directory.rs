//! The tenant's user directory and its sync switches.

use sea_orm::prelude::Uuid;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, TransactionTrait};

use super::validation::{optional_phone, optional_text};
use super::{Actor, AppState, FieldErrors, Invalid, audit};
use crate::db::directory::{self, NewDirectoryUser, SyncToggle};
use crate::db::entities::directory_user;
use crate::db::{TenantScope, tenants};
use crate::domain::Email;

#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub email: String,
    pub display_name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for DirectoryError {
    fn from(e: sea_orm::DbErr) -> DirectoryError {
        DirectoryError::Other(e.into())
    }
}

struct ValidUser {
    email: Email,
    display_name: Option<String>,
    extension: Option<String>,
    department: Option<String>,
}

fn validate(input: &UserInput) -> Result<ValidUser, FieldErrors> {
    let mut errors = FieldErrors::default();
    let email = Email::parse(&input.email);
    if email.is_err() {
        errors.add("email", Invalid::Email);
    }
    let display_name =
        optional_text(&mut errors, "display_name", input.display_name.as_deref(), 200);
    let extension =
        optional_phone(&mut errors, "extension", input.extension.as_deref(), Invalid::Extension);
    let department = optional_text(&mut errors, "department", input.department.as_deref(), 200);
    errors.into_result()?;
    Ok(ValidUser {
        email: email.map_err(|_| FieldErrors::single("email", Invalid::Email))?,
        display_name,
        extension,
        department,
    })
}

/// Adds a user, optionally with sync on (which needs a free licence).
pub async fn add(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    input: &UserInput,
    sync: bool,
) -> Result<directory_user::Model, DirectoryError> {
    let valid = validate(input).map_err(DirectoryError::Invalid)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    if directory::find_by_email(&txn, scope, &valid.email).await?.is_some() {
        return Err(DirectoryError::Invalid(FieldErrors::single("email", Invalid::UserExists)));
    }
    let new = NewDirectoryUser {
        email: &valid.email,
        display_name: valid.display_name,
        extension: valid.extension,
        department: valid.department,
    };
    let mut user = directory::add(&txn, scope, new, now).await?;
    if sync {
        match directory::set_sync_enabled(&txn, scope, user.id, true, now).await? {
            SyncToggle::Done => user.sync_enabled = true,
            SyncToggle::NoLicenceLeft => {
                return Err(DirectoryError::Invalid(FieldErrors::single(
                    "sync",
                    Invalid::NoLicenceLeft,
                )));
            }
            SyncToggle::NotFound => return Err(DirectoryError::NotFound),
        }
    }
    audit::record(
        &txn,
        state,
        actor,
        Some(scope.tenant_id()),
        "user.added",
        Some(user.email.clone()),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

pub async fn list(
    state: &AppState,
    scope: TenantScope,
) -> Result<Vec<directory_user::Model>, sea_orm::DbErr> {
    directory::list(&state.db, scope).await
}

pub async fn get(
    state: &AppState,
    scope: TenantScope,
    id: Uuid,
) -> Result<directory_user::Model, DirectoryError> {
    directory::find(&state.db, scope, id).await?.ok_or(DirectoryError::NotFound)
}

/// Changes name, extension and department; the e-mail links the calendar and stays.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    input: &UserInput,
) -> Result<directory_user::Model, DirectoryError> {
    let existing = get(state, scope, id).await?;
    let valid = validate(&UserInput { email: existing.email.clone(), ..input.clone() })
        .map_err(DirectoryError::Invalid)?;
    let mut model = existing.into_active_model();
    model.display_name = Set(valid.display_name);
    model.extension = Set(valid.extension);
    model.department = Set(valid.department);
    model.updated_at = Set(state.clock.now());
    let updated = model.update(&state.db).await?;
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        "user.updated",
        Some(updated.email.clone()),
    )
    .await?;
    Ok(updated)
}

pub async fn remove(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
) -> Result<(), DirectoryError> {
    let existing = get(state, scope, id).await?;
    directory_user::Entity::delete_by_id(existing.id).exec(&state.db).await?;
    audit::record(
        &state.db,
        state,
        actor,
        Some(scope.tenant_id()),
        "user.removed",
        Some(existing.email),
    )
    .await?;
    Ok(())
}

pub async fn set_sync(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    enabled: bool,
) -> Result<(), DirectoryError> {
    let user = get(state, scope, id).await?;
    match directory::set_sync_enabled(&state.db, scope, id, enabled, state.clock.now()).await? {
        SyncToggle::Done => {}
        SyncToggle::NotFound => return Err(DirectoryError::NotFound),
        SyncToggle::NoLicenceLeft => {
            return Err(DirectoryError::Invalid(FieldErrors::single(
                "sync",
                Invalid::NoLicenceLeft,
            )));
        }
    }
    if user.sync_enabled != enabled {
        let action = if enabled { "user.sync_enabled" } else { "user.sync_disabled" };
        audit::record(&state.db, state, actor, Some(scope.tenant_id()), action, Some(user.email))
            .await?;
    }
    Ok(())
}

/// Licences in use and available, for the users page.
pub async fn licence_usage(
    state: &AppState,
    scope: TenantScope,
) -> Result<(u64, i32), sea_orm::DbErr> {
    let used = directory::count_enabled(&state.db, scope).await?;
    let tenant = tenants::get(&state.db, scope).await?;
    Ok((used, tenant.licences))
}
