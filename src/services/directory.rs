//! The tenant's user directory and its sync switches.

use sea_orm::prelude::Uuid;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, TransactionTrait};

use super::error::or_refused;
use super::validation::{optional_phone, optional_text};
use super::{Actor, AppState, Error, FieldErrors, FormError, Invalid, Result, TenantScope, audit};
use crate::db::directory::{self, NewDirectoryUser, SyncToggle};
use crate::db::entities::directory_user;
use crate::db::tenants;
use crate::domain::Email;

#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub email: String,
    pub display_name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
}

/// A person in the directory.
#[derive(Debug, Clone)]
pub struct DirectoryUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
    pub sync_enabled: bool,
}

impl From<directory_user::Model> for DirectoryUser {
    fn from(u: directory_user::Model) -> DirectoryUser {
        DirectoryUser {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            extension: u.extension,
            department: u.department,
            sync_enabled: u.sync_enabled,
        }
    }
}

/// The users page: everyone, and how many licences are in use.
#[derive(Debug, Clone)]
pub struct UsersPage {
    pub users: Vec<DirectoryUser>,
    pub used: u64,
    pub licences: i32,
}

/// One user's fields as the single-user form and the file import both accept them.
pub(super) struct ValidUser {
    pub(super) email: Email,
    pub(super) display_name: Option<String>,
    pub(super) extension: Option<String>,
    pub(super) department: Option<String>,
}

pub(super) fn validate(input: &UserInput) -> Result<ValidUser, FieldErrors> {
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
) -> Result<DirectoryUser, FormError<UsersPage>> {
    or_refused(insert(state, actor, scope, input, sync).await, page(state, scope)).await
}

pub(super) async fn insert(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    input: &UserInput,
    sync: bool,
) -> Result<DirectoryUser> {
    let valid = validate(input).map_err(Error::Invalid)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    if directory::find_by_email(&txn, scope, &valid.email).await?.is_some() {
        return Err(Error::Invalid(FieldErrors::single("email", Invalid::UserExists)));
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
                return Err(Error::Invalid(FieldErrors::single("sync", Invalid::NoLicenceLeft)));
            }
            SyncToggle::NotFound => return Err(Error::NotFound),
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
    Ok(user.into())
}

/// Everyone in the directory, by name.
pub async fn list(state: &AppState, scope: TenantScope) -> Result<Vec<DirectoryUser>> {
    Ok(directory::list(&state.db, scope).await?.into_iter().map(Into::into).collect())
}

/// The users page, with the licences in use.
pub async fn page(state: &AppState, scope: TenantScope) -> Result<UsersPage> {
    let used = directory::count_enabled(&state.db, scope).await?;
    let licences = tenants::get(&state.db, scope).await?.licences;
    Ok(UsersPage { users: list(state, scope).await?, used, licences })
}

async fn find(state: &AppState, scope: TenantScope, id: Uuid) -> Result<directory_user::Model> {
    directory::find(&state.db, scope, id).await?.ok_or(Error::NotFound)
}

pub async fn get(state: &AppState, scope: TenantScope, id: Uuid) -> Result<DirectoryUser> {
    Ok(find(state, scope, id).await?.into())
}

/// Changes name, extension and department; the e-mail links the calendar and stays. Refused
/// input comes back with the user as stored.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    input: &UserInput,
) -> Result<DirectoryUser, FormError<DirectoryUser>> {
    or_refused(change(state, actor, scope, id, input).await, get(state, scope, id)).await
}

async fn change(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    input: &UserInput,
) -> Result<DirectoryUser> {
    let existing = find(state, scope, id).await?;
    let valid = validate(&UserInput { email: existing.email.clone(), ..input.clone() })
        .map_err(Error::Invalid)?;
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
    Ok(updated.into())
}

pub async fn remove(state: &AppState, actor: &Actor, scope: TenantScope, id: Uuid) -> Result<()> {
    let existing = find(state, scope, id).await?;
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

/// Switches a user's sync on (taking a licence) or off; with no licence left the users page
/// comes back with the problem.
pub async fn set_sync(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    enabled: bool,
) -> Result<(), FormError<UsersPage>> {
    or_refused(switch_sync(state, actor, scope, id, enabled).await, page(state, scope)).await
}

async fn switch_sync(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    enabled: bool,
) -> Result<()> {
    let user = find(state, scope, id).await?;
    match directory::set_sync_enabled(&state.db, scope, id, enabled, state.clock.now()).await? {
        SyncToggle::Done => {}
        SyncToggle::NotFound => return Err(Error::NotFound),
        SyncToggle::NoLicenceLeft => {
            return Err(Error::Conflict(FieldErrors::single("sync", Invalid::NoLicenceLeft)));
        }
    }
    if user.sync_enabled != enabled {
        let action = if enabled { "user.sync_enabled" } else { "user.sync_disabled" };
        audit::record(&state.db, state, actor, Some(scope.tenant_id()), action, Some(user.email))
            .await?;
    }
    Ok(())
}
