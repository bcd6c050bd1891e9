//! What one call passes between its parts: the plan, what each batch brought back, and each
//! mailbox's result.

use std::sync::Arc;
use std::time::Duration;

use super::requests::Job;
use super::transport::{Received, TransportError};
use crate::domain::calendar::CalendarItem;
use crate::providers::TimeWindow;
use crate::providers::error::ProviderError;

pub(super) type MailboxResult = Result<Vec<CalendarItem>, ProviderError>;

/// What does not change during a call.
pub(super) struct Plan {
    pub addresses: Vec<String>,
    pub window: TimeWindow,
    pub batch_url: String,
}

/// How a batch came back.
pub(super) enum Reply {
    /// No token could be had, so nothing was sent.
    Token(ProviderError),
    Transport(Arc<TransportError>),
    Received(Received),
}

/// A batch that came back, with the jobs it carried.
pub(super) struct Sent {
    pub jobs: Vec<Job>,
    pub token_generation: u64,
    pub reply: Reply,
    pub elapsed: Duration,
}
