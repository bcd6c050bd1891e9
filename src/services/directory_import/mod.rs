//! The directory as a spreadsheet: import a user list (preview first, then one transaction)
//! and export it in a form that imports back unchanged.

pub mod parse;
pub mod plan;

use chrono::Duration;
use sea_orm::TransactionTrait;
use sea_orm::prelude::Uuid;

use self::parse::{Column, FileProblem, RowProblem};
use self::plan::{Change, Plan, SyncOutcome};
use super::directory::DirectoryUser;
use super::error::or_refused;
use super::{Actor, AppState, Error, FieldErrors, FormError, Invalid, Result, TenantScope, audit};
use crate::db::directory_import::{self as store, ImportedUser};
use crate::db::{directory, tenants};
use crate::domain::Locale;
use crate::i18n::messages;

/// First characters that make a spreadsheet treat a cell as a formula (OWASP "CSV
/// injection"); exported cells starting with one get a leading `'`.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// How long an uploaded file waits for the admin's click.
const KEEP_FOR: Duration = Duration::hours(1);

/// Rows listed per section of the preview; the counts cover all of them.
const SHOWN: usize = 500;

/// One row of the preview that changes something.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub line: u64,
    pub email: String,
    pub display_name: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
    pub change: Change,
    pub sync: SyncOutcome,
}

/// One row that will be skipped, and why.
#[derive(Debug, Clone)]
pub struct PreviewProblem {
    pub line: u64,
    pub email: String,
    pub problem: RowProblem,
}

/// What importing the file would do, for the admin to confirm.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The stored upload (none for the command line, which reads the file itself).
    pub id: Option<Uuid>,
    pub file_name: String,
    pub remove_missing: bool,
    pub unknown_columns: Vec<String>,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub sync_on: usize,
    pub sync_off: usize,
    pub licences: i32,
    pub wanting: u64,
    pub granted: u64,
    pub shortfall: u64,
    pub enabled_after: u64,
    pub changes: Vec<PreviewRow>,
    pub more_changes: usize,
    pub problems: Vec<PreviewProblem>,
    pub problem_count: usize,
    pub removals: Vec<DirectoryUser>,
    pub removal_count: usize,
    /// Fingerprint of the changes shown; the click applies only these.
    pub digest: String,
}

impl Preview {
    pub fn changes_anything(&self) -> bool {
        self.new + self.updated + self.sync_on + self.sync_off + self.removal_count > 0
    }
}

/// What the admin chose on the preview.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    pub remove_missing: bool,
    /// With too few licences: import anyway, leaving sync off for the rows past the limit.
    pub enable_what_fits: bool,
    /// The preview's fingerprint; `None` applies whatever the file means now (command line).
    pub digest: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub new: usize,
    pub updated: usize,
    pub removed: usize,
    pub sync_on: usize,
    pub sync_off: usize,
    pub not_enabled: u64,
}

fn refused(problem: FileProblem) -> Error {
    let invalid = match problem {
        FileProblem::Empty => Invalid::ImportEmpty,
        FileProblem::TooLarge => Invalid::ImportTooLarge,
        FileProblem::TooManyRows => Invalid::ImportTooManyRows,
        FileProblem::NoEmailColumn => Invalid::ImportNoEmailColumn,
        FileProblem::RepeatedColumn(_) => Invalid::ImportRepeatedColumn,
        FileProblem::Unreadable(_) => Invalid::ImportUnreadable,
    };
    Error::Invalid(FieldErrors::single("file", invalid))
}

/// An uploaded file over the size limit, refused before it is read whole.
pub fn too_large() -> Error {
    refused(FileProblem::TooLarge)
}

/// An upload whose body broke off or was malformed.
pub fn unreadable_upload() -> Error {
    Error::Invalid(FieldErrors::single("file", Invalid::ImportNoFile))
}

fn file_name(raw: &str) -> String {
    let name: String = raw.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim().is_empty() { "users.csv".to_owned() } else { name }
}

/// Checks an uploaded file and keeps it for the preview; a file that cannot be read at all
/// is refused here, with the reason.
pub async fn upload(
    state: &AppState,
    scope: TenantScope,
    name: &str,
    bytes: &[u8],
) -> Result<Uuid> {
    if bytes.is_empty() && name.is_empty() {
        return Err(Error::Invalid(FieldErrors::single("file", Invalid::ImportNoFile)));
    }
    let text = checked_text(bytes)?;
    parse::parse_text(&text).map_err(refused)?;
    let now = state.clock.now();
    Ok(store::store(&state.db, scope, &file_name(name), text, now, now + KEEP_FOR).await?)
}

async fn stored(state: &AppState, scope: TenantScope, id: Uuid) -> Result<(String, String)> {
    let upload = store::find(&state.db, scope, id, state.clock.now()).await?;
    let upload = upload.ok_or(Error::NotFound)?;
    Ok((upload.file_name, upload.content))
}

async fn planned(
    db: &impl sea_orm::ConnectionTrait,
    scope: TenantScope,
    text: &str,
    remove_missing: bool,
) -> Result<(parse::Parsed, Plan)> {
    let parsed = parse::parse_text(text).map_err(refused)?;
    let current = directory::list(db, scope).await?;
    let licences = tenants::get(db, scope).await?.licences;
    let plan = plan::plan(&parsed, current, licences, remove_missing);
    Ok((parsed, plan))
}

fn preview_of(
    id: Option<Uuid>,
    name: String,
    parsed: parse::Parsed,
    plan: &Plan,
    remove: bool,
) -> Preview {
    let acting = plan.rows.iter().filter(|p| p.acts());
    let changes: Vec<PreviewRow> = acting
        .take(SHOWN)
        .map(|p| PreviewRow {
            line: p.row.line,
            email: p.row.email.to_string(),
            display_name: p.row.display_name.clone(),
            extension: p.row.extension.clone(),
            department: p.row.department.clone(),
            change: p.change.clone(),
            sync: p.sync,
        })
        .collect();
    let acting_count = plan.count(plan::Planned::acts);
    let problem_count = parsed.errors.len();
    let problems = parsed
        .errors
        .into_iter()
        .take(SHOWN)
        .map(|e| PreviewProblem { line: e.line, email: e.email, problem: e.problem })
        .collect();
    Preview {
        id,
        file_name: name,
        remove_missing: remove,
        unknown_columns: parsed.unknown_columns,
        new: plan.count(|p| p.change == Change::New),
        updated: plan.count(|p| matches!(p.change, Change::Updated(_))),
        unchanged: plan.count(|p| !p.acts()),
        sync_on: plan.count(|p| p.sync == SyncOutcome::On),
        sync_off: plan.count(|p| p.sync == SyncOutcome::Off),
        licences: plan.licences,
        wanting: plan.wanting,
        granted: plan.granted,
        shortfall: plan.shortfall(),
        enabled_after: plan.enabled_after,
        more_changes: acting_count - changes.len(),
        changes,
        problems,
        problem_count,
        removals: plan.removals.iter().take(SHOWN).cloned().map(Into::into).collect(),
        removal_count: plan.removals.len(),
        digest: plan.digest(),
    }
}

/// What importing the uploaded file would do to the directory as it is now.
pub async fn preview(
    state: &AppState,
    scope: TenantScope,
    id: Uuid,
    remove_missing: bool,
) -> Result<Preview> {
    let (name, text) = stored(state, scope, id).await?;
    let (parsed, plan) = planned(&state.db, scope, &text, remove_missing).await?;
    Ok(preview_of(Some(id), name, parsed, &plan, remove_missing))
}

/// The same for a file read by the command line.
pub async fn preview_file(
    state: &AppState,
    scope: TenantScope,
    name: &str,
    bytes: &[u8],
    remove_missing: bool,
) -> Result<Preview> {
    let text = checked_text(bytes)?;
    let (parsed, plan) = planned(&state.db, scope, &text, remove_missing).await?;
    Ok(preview_of(None, file_name(name), parsed, &plan, remove_missing))
}

fn checked_text(bytes: &[u8]) -> Result<String> {
    if bytes.len() > parse::MAX_BYTES {
        return Err(refused(FileProblem::TooLarge));
    }
    Ok(parse::decode(bytes).0)
}

/// Applies the uploaded file as previewed, in one transaction; the upload is then gone. If
/// the directory changed since the preview, nothing is applied and the new preview comes back.
pub async fn apply(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    id: Uuid,
    choice: &Choice,
) -> Result<Summary, FormError<Preview>> {
    let result = async {
        let (_, text) = stored(state, scope, id).await?;
        apply_text(state, actor, scope, &text, choice, Some(id)).await
    }
    .await;
    or_refused(result, preview(state, scope, id, choice.remove_missing)).await
}

/// The command line's import: the file applied as it reads now.
pub async fn apply_file(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    bytes: &[u8],
    choice: &Choice,
) -> Result<Summary> {
    apply_text(state, actor, scope, &checked_text(bytes)?, choice, None).await
}

async fn apply_text(
    state: &AppState,
    actor: &Actor,
    scope: TenantScope,
    text: &str,
    choice: &Choice,
    upload: Option<Uuid>,
) -> Result<Summary> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let (_, plan) = planned(&txn, scope, text, choice.remove_missing).await?;
    if choice.digest.as_ref().is_some_and(|d| *d != plan.digest()) {
        return Err(Error::Conflict(FieldErrors::single("file", Invalid::ImportChanged)));
    }
    if plan.shortfall() > 0 && !choice.enable_what_fits {
        return Err(Error::Conflict(FieldErrors::single("sync", Invalid::ImportShortfall)));
    }
    let summary = execute(&txn, scope, &plan, now).await?;
    if plan.granted > 0 && directory::count_enabled(&txn, scope).await? > plan.enabled_after {
        // Someone switched sync on for others meanwhile; the licences no longer suffice.
        return Err(Error::Conflict(FieldErrors::single("sync", Invalid::NoLicenceLeft)));
    }
    if summary != Summary::default() {
        let detail = format!(
            "new {}, updated {}, removed {}, sync on {}, sync off {}",
            summary.new, summary.updated, summary.removed, summary.sync_on, summary.sync_off
        );
        audit::record(&txn, state, actor, Some(scope.tenant_id()), "user.imported", Some(detail))
            .await?;
    }
    if let Some(id) = upload {
        store::forget(&txn, scope, id).await?;
    }
    txn.commit().await?;
    Ok(Summary { not_enabled: plan.shortfall(), ..summary })
}

async fn execute(
    txn: &impl sea_orm::ConnectionTrait,
    scope: TenantScope,
    plan: &Plan,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Summary> {
    let removed: Vec<Uuid> = plan.removals.iter().map(|u| u.id).collect();
    store::remove_users(txn, scope, &removed).await?;
    let ids_where = |outcome: SyncOutcome| -> Vec<Uuid> {
        plan.rows.iter().filter(|p| p.sync == outcome).filter_map(|p| p.existing).collect()
    };
    // Licences are freed before they are taken.
    store::set_sync(txn, scope, &ids_where(SyncOutcome::Off), false, now).await?;
    let mut new = Vec::new();
    for p in plan.rows.iter().filter(|p| p.change != Change::Unchanged) {
        let row = &p.row;
        let fields = (row.display_name.clone(), row.extension.clone(), row.department.clone());
        match (p.existing, &p.change) {
            (Some(id), Change::Updated(changed)) => {
                let kept = directory::find(txn, scope, id).await?.ok_or(Error::NotFound)?;
                let pick = |c: Column, new: Option<String>, old: Option<String>| {
                    if changed.contains(&c) { new } else { old }
                };
                let fields = (
                    pick(Column::Name, fields.0, kept.display_name),
                    pick(Column::Extension, fields.1, kept.extension),
                    pick(Column::Department, fields.2, kept.department),
                );
                store::update_fields(txn, scope, id, fields, now).await?;
            }
            _ => new.push(ImportedUser {
                email: row.email.to_string(),
                email_key: row.email.key(),
                display_name: fields.0,
                extension: fields.1,
                department: fields.2,
                sync_enabled: p.sync == SyncOutcome::On,
            }),
        }
    }
    store::insert_users(txn, scope, new, now).await?;
    store::set_sync(txn, scope, &ids_where(SyncOutcome::On), true, now).await?;
    Ok(Summary {
        new: plan.count(|p| p.change == Change::New),
        updated: plan.count(|p| matches!(p.change, Change::Updated(_))),
        removed: removed.len(),
        sync_on: plan.count(|p| p.sync == SyncOutcome::On),
        sync_off: plan.count(|p| p.sync == SyncOutcome::Off),
        not_enabled: 0,
    })
}

/// A cell as written to the file: formula-looking text gets the protecting `'`.
fn protect(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) { format!("'{cell}") } else { cell.to_owned() }
}

fn csv_file(locale: Locale, users: &[DirectoryUser]) -> Result<Vec<u8>> {
    let t = messages(locale);
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let internal = |e: csv::Error| Error::Internal(anyhow::Error::new(e).context("writing CSV"));
    out.write_record([
        t.import_csv_email,
        t.import_csv_name,
        t.import_csv_extension,
        t.import_csv_department,
        t.import_csv_sync,
    ])
    .map_err(internal)?;
    for u in users {
        let text = |v: &Option<String>| protect(v.as_deref().unwrap_or(""));
        let sync = if u.sync_enabled { t.yes } else { t.no }.to_lowercase();
        out.write_record([
            protect(&u.email),
            text(&u.display_name),
            text(&u.extension),
            text(&u.department),
            sync,
        ])
        .map_err(internal)?;
    }
    out.into_inner().map_err(|e| Error::Internal(anyhow::anyhow!("writing CSV: {e}")))
}

/// The directory as CSV: UTF-8 with a byte-order mark and `;`, as Danish Excel opens it, and
/// as this import reads it back unchanged.
pub async fn export(state: &AppState, scope: TenantScope, locale: Locale) -> Result<Vec<u8>> {
    let users = super::directory::list(state, scope).await?;
    csv_file(locale, &users)
}

/// An empty file with the column names, to fill in.
pub fn template(locale: Locale) -> Result<Vec<u8>> {
    csv_file(locale, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_exported_harmless_and_read_back_as_they_were() {
        let user = DirectoryUser {
            id: Uuid::nil(),
            email: "a@b.dk".into(),
            display_name: Some("=HYPERLINK(\"http://x\";\"klik\")".into()),
            extension: Some("+45 1234".into()),
            department: Some("@salg".into()),
            sync_enabled: true,
        };
        let bytes = csv_file(Locale::Da, &[user]).unwrap_or_default();
        let text = String::from_utf8(bytes.clone()).unwrap_or_default();
        assert!(text.starts_with("\u{feff}E-mail;Navn;Lokalnummer;Afdeling;Synkronisering\r\n"));
        assert!(text.contains(";\"'=HYPERLINK"), "{text}");
        assert!(text.contains(";'+45 1234;'@salg;ja\r\n"), "{text}");
        let parsed = parse::parse(&bytes).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            parsed.rows[0].display_name.as_deref(),
            Some("=HYPERLINK(\"http://x\";\"klik\")")
        );
        assert_eq!(parsed.rows[0].extension.as_deref(), Some("+45 1234"));
        assert_eq!(parsed.rows[0].department.as_deref(), Some("@salg"));
        assert_eq!(parsed.rows[0].sync, Some(true));
    }
}
