//! The user list import pages: choose a file, then see what it would change.

use askama::Template;

use super::Page;
use crate::services::FieldErrors;
use crate::services::directory_import::parse::{Column, RowProblem};
use crate::services::directory_import::plan::{Change, SyncOutcome};
use crate::services::directory_import::{Preview, PreviewProblem};

#[derive(Template)]
#[template(path = "tenant/users_import.html")]
pub struct ImportView {
    pub page: Page,
    pub errors: FieldErrors,
}

impl ImportView {
    /// The header names each column is recognised by, as shown in the help table.
    pub fn accepted(&self) -> Vec<(&'static str, &'static str)> {
        let t = self.page.t;
        vec![
            (t.import_csv_email, "E-mail, Email, Mail, E-mailadresse"),
            (t.import_csv_name, "Navn, Name, Fulde navn, Full name, Display name"),
            (t.import_csv_extension, "Lokalnummer, Lokalnr, Extension, Telefon, Tlf, Phone"),
            (t.import_csv_department, "Afdeling, Department"),
            (t.import_csv_sync, "Synkronisering, Synk, Sync"),
        ]
    }
}

#[derive(Template)]
#[template(path = "tenant/users_import_preview.html")]
pub struct ImportPreviewView {
    pub page: Page,
    pub preview: Preview,
    pub errors: FieldErrors,
}

impl ImportPreviewView {
    fn column(&self, column: Column) -> &'static str {
        let t = self.page.t;
        match column {
            Column::Email => t.import_csv_email,
            Column::Name => t.import_csv_name,
            Column::Extension => t.import_csv_extension,
            Column::Department => t.import_csv_department,
            Column::Sync => t.import_csv_sync,
        }
    }

    pub fn change(&self, change: &Change) -> String {
        let t = self.page.t;
        match change {
            Change::New => t.import_change_new.to_owned(),
            Change::Unchanged => t.import_change_none.to_owned(),
            Change::Updated(fields) => {
                let names: Vec<&str> = fields.iter().map(|c| self.column(*c)).collect();
                format!("{}: {}", t.import_change_updated, names.join(", "))
            }
        }
    }

    pub fn sync(&self, sync: &SyncOutcome) -> &'static str {
        let t = self.page.t;
        match sync {
            SyncOutcome::Stays(true) => t.user_sync_status_on,
            SyncOutcome::Stays(false) => t.user_sync_status_off,
            SyncOutcome::On => t.import_sync_turns_on,
            SyncOutcome::Off => t.import_sync_turns_off,
            SyncOutcome::NoLicence => t.import_sync_no_licence,
        }
    }

    pub fn reason(&self, problem: &PreviewProblem) -> String {
        let t = self.page.t;
        match problem.problem {
            RowProblem::Field(column, invalid) => {
                format!("{}: {}", self.column(column), invalid.message(t))
            }
            RowProblem::Duplicate(line) => format!("{} {line}.", t.import_problem_duplicate),
            RowProblem::SyncValue => t.import_problem_sync_value.to_owned(),
        }
    }
}
