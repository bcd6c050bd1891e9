//! "Test connection": sign in to Microsoft Entra, then read one mailbox's next day, and say
//! in plain words what is wrong if either fails.

use chrono::Duration;

use super::AppState;
use super::provider_registry::ConnectionProblem;
use crate::db::{TenantScope, directory};
use crate::domain::Email;
use crate::i18n::Messages;
use crate::providers::{Explanation, ProviderError, TimeWindow};

pub enum Problem {
    Provider(ProviderError),
    Connection(ConnectionProblem),
}

impl Problem {
    pub fn explain(&self, m: &Messages) -> Explanation {
        match self {
            Problem::Provider(e) => e.explain(m),
            Problem::Connection(ConnectionProblem::NotConfigured) => {
                Explanation { problem: m.connection_missing, fix: m.connection_missing_fix }
            }
            Problem::Connection(ConnectionProblem::Unreadable(_)) => {
                Explanation { problem: m.connection_unreadable, fix: m.connection_unreadable_fix }
            }
            Problem::Connection(ConnectionProblem::Invalid(_)) => {
                Explanation { problem: m.connection_invalid, fix: m.connection_invalid_fix }
            }
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Problem::Provider(e) => e.to_string(),
            Problem::Connection(p) => p.to_string(),
        }
    }
}

pub enum Check {
    Passed {
        mailbox: Email,
        items: usize,
    },
    /// No mailbox was named and no user has sync on.
    NoMailbox,
    Failed {
        step: String,
        problem: Problem,
    },
}

pub async fn run(
    state: &AppState,
    scope: TenantScope,
    mailbox: Option<Email>,
) -> anyhow::Result<Check> {
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
                step: "connection settings".into(),
                problem: Problem::Connection(problem),
            });
        }
    };
    let now = state.clock.now();
    let window = TimeWindow::new(now, now + Duration::hours(24)).expect("a day is a valid window");
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
        Err(e @ ProviderError::Auth { .. }) => Check::Failed {
            step: "signing in to Microsoft Entra".into(),
            problem: Problem::Provider(e),
        },
        Err(e) => Check::Failed {
            step: format!("reading the calendar of {mailbox}"),
            problem: Problem::Provider(e),
        },
    })
}
