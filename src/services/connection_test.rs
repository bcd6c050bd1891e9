//! "Test connection": sign in to Microsoft Entra, then read one mailbox's next day, and say
//! what is wrong if either fails.

use chrono::Duration;

use super::{AppState, Result, TenantScope};
use crate::db::directory;
use crate::domain::{Email, FailureReason};
use crate::providers::{ProviderError, TimeWindow};

/// Which part of the test failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Reading and decrypting the stored connection.
    Settings,
    /// Getting a token from Microsoft Entra.
    SignIn,
    /// Reading this mailbox's calendar.
    Mailbox(Email),
}

#[derive(Debug)]
pub enum Check {
    Passed {
        mailbox: Email,
        items: usize,
    },
    /// No mailbox was named and no user has sync on.
    NoMailbox,
    Failed {
        step: Step,
        reason: FailureReason,
        /// The technical detail, for the administrator and the log.
        detail: String,
    },
}

pub async fn run(state: &AppState, scope: TenantScope, mailbox: Option<Email>) -> Result<Check> {
    let mailbox = match mailbox {
        Some(m) => m,
        None => {
            let users = directory::list(&state.db, scope).await?;
            match users.iter().filter(|u| u.sync_enabled).find_map(|u| Email::parse(&u.email).ok())
            {
                Some(m) => m,
                None => return Ok(Check::NoMailbox),
            }
        }
    };
    let provider = match state.providers.for_tenant(&state.db, &state.keyring, scope).await {
        Ok(p) => p,
        Err(problem) => {
            return Ok(Check::Failed {
                step: Step::Settings,
                reason: problem.reason(),
                detail: problem.to_string(),
            });
        }
    };
    let now = state.clock.now();
    let window = TimeWindow::new(now, now + Duration::hours(24)).map_err(anyhow::Error::from)?;
    let outcome = provider.read_calendars(std::slice::from_ref(&mailbox), window).await;
    let result = match outcome.result {
        Err(e) => Err(e),
        Ok(mut calendars) => match calendars.pop().map(|c| c.result) {
            Some(Ok(items)) => Ok(items.len()),
            Some(Err(e)) => Err(e),
            None => {
                Err(ProviderError::MalformedResponse { detail: "no answer for the mailbox".into() })
            }
        },
    };
    Ok(match result {
        Ok(items) => Check::Passed { mailbox, items },
        Err(e) => Check::Failed {
            step: if matches!(e, ProviderError::Auth { .. }) {
                Step::SignIn
            } else {
                Step::Mailbox(mailbox)
            },
            reason: e.reason(),
            detail: e.to_string(),
        },
    })
}
