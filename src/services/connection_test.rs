//! "Test connection": everything a working connection needs, checked in order and reported
//! as a checklist — the directory, the app in it, the secret, the permission the token
//! carries, one mailbox read. The test itself stores nothing.

use chrono::{DateTime, Duration, Utc};

use crate::domain::calendar::ShowAs;
use crate::domain::provider::{DetailLevel, PermissionFit, permission_fit};
use crate::domain::{Email, FailureReason};
use crate::providers::ews::EwsProvider;
use crate::providers::{AuthProblem, CalendarProvider, ProviderError, TimeWindow};

/// What the checklist checks, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// The directory (tenant) exists.
    Directory,
    /// The app is registered in it.
    App,
    /// The client secret is right and not expired.
    Secret,
    /// The token carries the calendar permission the detail level needs.
    Permission,
    /// One mailbox's next 24 hours could be read.
    Mailbox,
    /// Exchange on-premises: the server answers, with a certificate that is trusted.
    Server,
    /// Exchange on-premises: the service account signed in (the scheme is noted).
    Authentication,
    /// Exchange on-premises: one mailbox's free/busy could be read.
    FreeBusy,
    /// Exchange on-premises, full detail: the service account holds Reviewer on that
    /// mailbox's calendar folder.
    Reviewer,
}

impl Item {
    pub const ALL: [Item; 5] =
        [Item::Directory, Item::App, Item::Secret, Item::Permission, Item::Mailbox];
    /// The checklist for Exchange on-premises; Reviewer only for full detail.
    pub const EWS: [Item; 4] = [Item::Server, Item::Authentication, Item::FreeBusy, Item::Reviewer];
}

/// How one item came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// Works, with something the admin should know (the permission is more, or less, than
    /// the detail level needs; or the token did not say).
    Warned(PermissionFit),
    Failed {
        reason: FailureReason,
        detail: String,
    },
    /// An earlier item failed, or there was no mailbox to read.
    NotChecked,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub item: Item,
    pub outcome: Outcome,
}

/// The first appointment seen in the mailbox read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub show_as: ShowAs,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What the mailbox read found.
#[derive(Debug, Clone)]
pub struct MailboxRead {
    pub mailbox: Email,
    pub items: usize,
    pub first: Option<Seen>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub detail: DetailLevel,
    pub lines: Vec<Line>,
    /// The permissions the token carried, where it said.
    pub permissions: Option<Vec<String>>,
    /// The mailbox that was read, if one was.
    pub mailbox: Option<Email>,
    pub read: Option<MailboxRead>,
    /// How the sign-in went through (Exchange: the authentication scheme).
    pub method: Option<String>,
}

impl Report {
    /// Nothing failed (warnings do not count).
    pub fn passed(&self) -> bool {
        !self.lines.iter().any(|l| matches!(l.outcome, Outcome::Failed { .. }))
    }

    /// The first failure: what the admin must fix.
    pub fn failure(&self) -> Option<(Item, FailureReason, &str)> {
        self.lines.iter().find_map(|l| match &l.outcome {
            Outcome::Failed { reason, detail } => Some((l.item, *reason, detail.as_str())),
            _ => None,
        })
    }

    pub fn outcome(&self, item: Item) -> &Outcome {
        self.lines.iter().find(|l| l.item == item).map_or(&Outcome::NotChecked, |l| &l.outcome)
    }

    /// A report for a connection that could not even be built.
    pub fn unusable(detail: DetailLevel, reason: FailureReason, why: String) -> Report {
        let mut lines =
            vec![Line { item: Item::Directory, outcome: Outcome::Failed { reason, detail: why } }];
        lines.extend(
            Item::ALL[1..].iter().map(|item| Line { item: *item, outcome: Outcome::NotChecked }),
        );
        Report { detail, lines, permissions: None, mailbox: None, read: None, method: None }
    }
}

/// Which item a sign-in failure belongs to: the ones before it passed.
fn failed_item(error: &ProviderError) -> Item {
    match error {
        ProviderError::Auth { problem: AuthProblem::TenantNotFound, .. } => Item::Directory,
        ProviderError::Auth { problem: AuthProblem::AppNotFound, .. } => Item::App,
        ProviderError::Auth { .. } => Item::Secret,
        // Microsoft could not be reached at all.
        _ => Item::Directory,
    }
}

/// The checklist `items` with everything before `failed` passed and everything after it
/// not checked.
fn mark_up_to(items: &[Item], failed: Item, reason: FailureReason, detail: String) -> Vec<Line> {
    let at = items.iter().position(|i| *i == failed).unwrap_or(0);
    items
        .iter()
        .enumerate()
        .map(|(index, item)| Line {
            item: *item,
            outcome: match index.cmp(&at) {
                std::cmp::Ordering::Less => Outcome::Passed,
                std::cmp::Ordering::Equal => Outcome::Failed { reason, detail: detail.clone() },
                std::cmp::Ordering::Greater => Outcome::NotChecked,
            },
        })
        .collect()
}

/// Runs the checklist against `provider`, reading `mailbox` (if any) for the next 24 hours.
pub async fn run(
    provider: &dyn CalendarProvider,
    detail: DetailLevel,
    mailbox: Option<Email>,
    now: DateTime<Utc>,
) -> Report {
    let grant = match provider.sign_in().await {
        Ok(grant) => grant,
        Err(error) => {
            let lines =
                mark_up_to(&Item::ALL, failed_item(&error), error.reason(), error.to_string());
            return Report { detail, lines, permissions: None, mailbox, read: None, method: None };
        }
    };
    let fit = permission_fit(detail, grant.permissions.as_deref());
    let permission = match fit {
        PermissionFit::Fits => Outcome::Passed,
        PermissionFit::NoneGranted => Outcome::Failed {
            reason: FailureReason::ConsentMissing,
            detail: "the access token carries no calendar permission".into(),
        },
        other => Outcome::Warned(other),
    };
    let mut lines: Vec<Line> = [Item::Directory, Item::App, Item::Secret]
        .into_iter()
        .map(|item| Line { item, outcome: Outcome::Passed })
        .collect();
    let consent_missing = matches!(permission, Outcome::Failed { .. });
    lines.push(Line { item: Item::Permission, outcome: permission });
    let permissions = grant.permissions;
    let Some(address) = mailbox.clone().filter(|_| !consent_missing) else {
        lines.push(Line { item: Item::Mailbox, outcome: Outcome::NotChecked });
        return Report { detail, lines, permissions, mailbox, read: None, method: None };
    };
    let (outcome, read) = read_one(provider, address, now).await;
    lines.push(Line { item: Item::Mailbox, outcome });
    Report { detail, lines, permissions, mailbox, read, method: None }
}

/// Which Exchange item a failure belongs to.
fn ews_item(error: &ProviderError) -> Item {
    match error {
        ProviderError::Auth { .. } => Item::Authentication,
        ProviderError::Unreachable { .. } | ProviderError::UpstreamUnavailable { .. } => {
            Item::Server
        }
        _ => Item::FreeBusy,
    }
}

/// The Exchange on-premises checklist: server and TLS, sign-in, one mailbox's free/busy
/// and, for full detail, the Reviewer right on its calendar.
pub async fn run_ews(
    provider: &EwsProvider,
    detail: DetailLevel,
    mailbox: Option<Email>,
    now: DateTime<Utc>,
) -> Report {
    let items: &[Item] = match detail {
        DetailLevel::Full => &Item::EWS,
        DetailLevel::FreeBusy => &Item::EWS[..3],
    };
    let mark = |failed: Item, error: &ProviderError| {
        mark_up_to(items, failed, error.reason(), error.to_string())
    };
    let report = |lines, read| Report {
        detail,
        lines,
        permissions: None,
        mailbox: mailbox.clone(),
        read,
        method: provider.scheme().map(|s| s.as_str().to_owned()),
    };
    if let Err(error) = provider.sign_in().await {
        return report(mark(ews_item(&error), &error), None);
    }
    let mut lines = vec![
        Line { item: Item::Server, outcome: Outcome::Passed },
        Line { item: Item::Authentication, outcome: Outcome::Passed },
    ];
    let Some(address) = mailbox.clone() else {
        lines.extend(
            items[2..].iter().map(|item| Line { item: *item, outcome: Outcome::NotChecked }),
        );
        return report(lines, None);
    };
    let window = match TimeWindow::new(now, now + Duration::hours(24)) {
        Ok(window) => window,
        Err(e) => {
            let error = ProviderError::MalformedResponse { detail: e.to_string() };
            return report(mark(Item::FreeBusy, &error), None);
        }
    };
    let read = match provider.read_as(DetailLevel::FreeBusy, &address, window).await {
        Ok(items) => seen(address.clone(), items, now),
        Err(error) => return report(mark(ews_item_of_read(&error, Item::FreeBusy), &error), None),
    };
    lines.push(Line { item: Item::FreeBusy, outcome: Outcome::Passed });
    if detail == DetailLevel::Full {
        match provider.read_as(DetailLevel::Full, &address, window).await {
            Ok(_) => lines.push(Line { item: Item::Reviewer, outcome: Outcome::Passed }),
            Err(error) => {
                return report(mark(ews_item_of_read(&error, Item::Reviewer), &error), Some(read));
            }
        }
    }
    report(lines, Some(read))
}

/// A failed read fails the item being read, unless the server or sign-in broke meanwhile.
fn ews_item_of_read(error: &ProviderError, reading: Item) -> Item {
    match ews_item(error) {
        Item::FreeBusy => reading,
        other => other,
    }
}

fn seen(
    mailbox: Email,
    mut items: Vec<crate::domain::calendar::CalendarItem>,
    now: DateTime<Utc>,
) -> MailboxRead {
    items.sort_by_key(|i| i.start);
    let first = items.iter().find(|i| i.end > now).map(|i| Seen {
        show_as: i.show_as,
        start: i.start,
        end: i.end,
    });
    MailboxRead { mailbox, items: items.len(), first }
}

async fn read_one(
    provider: &dyn CalendarProvider,
    mailbox: Email,
    now: DateTime<Utc>,
) -> (Outcome, Option<MailboxRead>) {
    let window = match TimeWindow::new(now, now + Duration::hours(24)) {
        Ok(window) => window,
        Err(e) => {
            let reason = FailureReason::MalformedResponse;
            return (Outcome::Failed { reason, detail: e.to_string() }, None);
        }
    };
    let outcome = provider.read_calendars(std::slice::from_ref(&mailbox), window).await;
    let result = outcome.result.and_then(|mut calendars| {
        calendars.pop().map(|c| c.result).unwrap_or_else(|| {
            Err(ProviderError::MalformedResponse { detail: "no answer for the mailbox".into() })
        })
    });
    match result {
        Ok(items) => (Outcome::Passed, Some(seen(mailbox, items, now))),
        Err(error) => (Outcome::Failed { reason: error.reason(), detail: error.to_string() }, None),
    }
}
