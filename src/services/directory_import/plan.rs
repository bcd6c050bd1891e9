//! What a checked file would change in the directory as it is: per row new, updated or
//! unchanged, who loses a licence and who gets one (in file order while licences last), and
//! who would be removed.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::parse::{Column, Parsed, Row};
use crate::db::entities::directory_user;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    New,
    /// These fields differ (sync is reported apart).
    Updated(Vec<Column>),
    Unchanged,
}

/// What happens to a row's calendar sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Stays as it is (on or off).
    Stays(bool),
    On,
    Off,
    /// The file asks for sync, but the licences ran out before this row.
    NoLicence,
}

impl SyncOutcome {
    pub fn is_change(self) -> bool {
        matches!(self, SyncOutcome::On | SyncOutcome::Off)
    }
}

#[derive(Debug, Clone)]
pub struct Planned {
    pub row: Row,
    /// The existing user, for updates.
    pub existing: Option<sea_orm::prelude::Uuid>,
    pub change: Change,
    pub sync: SyncOutcome,
}

impl Planned {
    /// Changes anything at all.
    pub fn acts(&self) -> bool {
        self.change != Change::Unchanged || self.sync.is_change()
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub rows: Vec<Planned>,
    pub removals: Vec<directory_user::Model>,
    pub licences: i32,
    /// Rows asking for sync that do not have it now.
    pub wanting: u64,
    /// How many of those get a licence.
    pub granted: u64,
    /// Users with sync on once applied.
    pub enabled_after: u64,
}

impl Plan {
    pub fn shortfall(&self) -> u64 {
        self.wanting - self.granted
    }

    pub fn count(&self, f: impl Fn(&Planned) -> bool) -> usize {
        self.rows.iter().filter(|r| f(r)).count()
    }

    /// A fingerprint of every change, to tell whether the directory moved between the
    /// preview and the click.
    pub fn digest(&self) -> String {
        let mut hash = Sha256::new();
        for p in self.rows.iter().filter(|p| p.acts()) {
            hash.update(format!(
                "{}|{}|{:?}|{:?}\n",
                p.row.line,
                p.row.email.key(),
                p.change,
                p.sync
            ));
        }
        for u in &self.removals {
            hash.update(format!("-{}\n", u.id));
        }
        let bytes = hash.finalize();
        bytes.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

fn differs(row: &Row, parsed: &Parsed, user: &directory_user::Model) -> Vec<Column> {
    let fields = [
        (Column::Name, &row.display_name, &user.display_name),
        (Column::Extension, &row.extension, &user.extension),
        (Column::Department, &row.department, &user.department),
    ];
    fields
        .into_iter()
        .filter(|(c, new, old)| parsed.has(*c) && new != old)
        .map(|(c, _, _)| c)
        .collect()
}

/// Plans the file against `current` (every user of the tenant). `remove_missing` removes
/// those the file does not name, rows with errors included, so a typo removes no one.
pub fn plan(
    parsed: &Parsed,
    current: Vec<directory_user::Model>,
    licences: i32,
    remove_missing: bool,
) -> Plan {
    let named: HashSet<String> = parsed
        .rows
        .iter()
        .map(|r| r.email.key())
        .chain(parsed.errors.iter().map(|e| e.email.to_lowercase()))
        .collect();
    let (removals, kept): (Vec<_>, Vec<_>) =
        current.into_iter().partition(|u| remove_missing && !named.contains(&u.email_key));
    let by_key: HashMap<&str, &directory_user::Model> =
        kept.iter().map(|u| (u.email_key.as_str(), u)).collect();

    let mut rows: Vec<Planned> = parsed
        .rows
        .iter()
        .map(|row| {
            let existing = by_key.get(row.email.key().as_str()).copied();
            let was_on = existing.is_some_and(|u| u.sync_enabled);
            let sync = match row.sync {
                Some(true) if !was_on => SyncOutcome::On,
                Some(false) if was_on => SyncOutcome::Off,
                _ => SyncOutcome::Stays(was_on),
            };
            let change = match existing {
                None => Change::New,
                Some(u) => match differs(row, parsed, u) {
                    fields if fields.is_empty() => Change::Unchanged,
                    fields => Change::Updated(fields),
                },
            };
            Planned { row: row.clone(), existing: existing.map(|u| u.id), change, sync }
        })
        .collect();

    let staying_on = kept.iter().filter(|u| u.sync_enabled).count() as u64
        - rows.iter().filter(|p| p.sync == SyncOutcome::Off).count() as u64;
    let free = u64::try_from(licences).unwrap_or(0).saturating_sub(staying_on);
    let mut wanting = 0;
    for p in rows.iter_mut().filter(|p| p.sync == SyncOutcome::On) {
        wanting += 1;
        if wanting > free {
            p.sync = SyncOutcome::NoLicence;
        }
    }
    let granted = wanting.min(free);
    Plan { rows, removals, licences, wanting, granted, enabled_after: staying_on + granted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::directory_import::parse::parse;
    use chrono::DateTime;
    use sea_orm::prelude::Uuid;

    fn user(email: &str, name: Option<&str>, sync: bool) -> directory_user::Model {
        directory_user::Model {
            id: Uuid::now_v7(),
            tenant_id: Uuid::nil(),
            email: email.into(),
            email_key: email.to_lowercase(),
            display_name: name.map(Into::into),
            extension: None,
            department: None,
            sync_enabled: sync,
            group_managed: false,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    fn parsed(text: &str) -> Parsed {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn new_updated_unchanged_and_missing_columns_left_alone() {
        let current = vec![user("a@b.dk", Some("Anna"), false), user("b@b.dk", Some("Bo"), false)];
        let p = plan(
            &parsed("email;navn\nA@b.dk;Anna\nb@b.dk;Bodil\nc@b.dk;Carl\n"),
            current.clone(),
            5,
            false,
        );
        let changes: Vec<_> = p.rows.iter().map(|r| r.change.clone()).collect();
        assert_eq!(
            changes,
            vec![Change::Unchanged, Change::Updated(vec![Column::Name]), Change::New]
        );
        let p = plan(&parsed("email\na@b.dk\nb@b.dk\n"), current, 5, false);
        assert!(p.rows.iter().all(|r| !r.acts()));
    }

    #[test]
    fn licences_go_to_rows_in_file_order_after_switching_off() {
        let current = vec![user("on@b.dk", None, true), user("off@b.dk", None, false)];
        let text = "email;sync\non@b.dk;nej\nn1@b.dk;ja\nn2@b.dk;ja\noff@b.dk;ja\n";
        let p = plan(&parsed(text), current, 2, false);
        let sync: Vec<_> = p.rows.iter().map(|r| r.sync).collect();
        assert_eq!(
            sync,
            vec![SyncOutcome::Off, SyncOutcome::On, SyncOutcome::On, SyncOutcome::NoLicence]
        );
        assert_eq!((p.wanting, p.granted, p.shortfall(), p.enabled_after), (3, 2, 1, 2));
    }

    #[test]
    fn removal_spares_everyone_the_file_names() {
        let current = vec![
            user("a@b.dk", None, true),
            user("gone@b.dk", None, true),
            user("typo@b.dk", None, false),
        ];
        let p =
            plan(&parsed("email;lokalnummer\na@b.dk;1\ntypo@b.dk;x1\n"), current.clone(), 5, true);
        let removed: Vec<_> = p.removals.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(removed, vec!["gone@b.dk"]);
        assert!(plan(&parsed("email\na@b.dk\n"), current, 5, false).removals.is_empty());
    }
}
