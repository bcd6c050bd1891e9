//! One read: free/busy in requests of up to 100 mailboxes, or each mailbox's calendar page by
//! page, all concurrently up to the tenant's connection cap.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::EwsProvider;
use super::requests::{self, AVAILABILITY_DAYS, AVAILABILITY_LIMIT};
use super::wire;
use crate::domain::Email;
use crate::domain::calendar::CalendarItem;
use crate::domain::provider::DetailLevel;
use crate::providers::counters::CallCounters;
use crate::providers::{MailboxCalendar, ProviderError, ReadOutcome, TimeWindow};

type Answer = Result<Vec<CalendarItem>, ProviderError>;

/// Errors that no other mailbox would escape: the whole read fails with them.
fn is_tenant_wide(error: &ProviderError) -> bool {
    matches!(error, ProviderError::Auth { .. } | ProviderError::Unreachable { .. })
}

pub async fn read(provider: &EwsProvider, mailboxes: &[Email], window: TimeWindow) -> ReadOutcome {
    let counters = CallCounters::default();
    let mut unique: Vec<&Email> = Vec::new();
    let mut seen = HashSet::new();
    for mailbox in mailboxes {
        if seen.insert(mailbox.key()) {
            unique.push(mailbox);
        }
    }
    let answers = match provider.detail {
        DetailLevel::FreeBusy => free_busy(provider, &unique, window, &counters).await,
        DetailLevel::Full => full(provider, &unique, window, &counters).await,
    };
    let result = answers.map(|mut by_key| {
        mailboxes
            .iter()
            .map(|mailbox| MailboxCalendar {
                mailbox: mailbox.clone(),
                result: by_key.get_mut(&mailbox.key()).map_or_else(
                    || Err(ProviderError::MalformedResponse { detail: "no answer".into() }),
                    |answer| answer.clone(),
                ),
            })
            .collect()
    });
    ReadOutcome { result, stats: counters.snapshot() }
}

/// `window` cut into pieces GetUserAvailability accepts.
fn pieces(window: TimeWindow) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let step = Duration::days(AVAILABILITY_DAYS);
    let mut out = Vec::new();
    let mut start = window.start();
    while start < window.end() {
        let end = (start + step).min(window.end());
        out.push((start, end));
        start = end;
    }
    out
}

async fn free_busy(
    provider: &EwsProvider,
    mailboxes: &[&Email],
    window: TimeWindow,
    counters: &CallCounters,
) -> Result<HashMap<String, Answer>, ProviderError> {
    let mut requests = FuturesUnordered::new();
    for chunk in mailboxes.chunks(AVAILABILITY_LIMIT) {
        for (start, end) in pieces(window) {
            let body = requests::availability(chunk, start, end);
            requests.push(async move {
                let answer = provider.transport.call(&body, counters).await;
                (chunk, answer.and_then(|bytes| wire::availability(&bytes, chunk.len())))
            });
        }
    }
    let mut by_key: HashMap<String, Answer> = HashMap::new();
    while let Some((chunk, answer)) = requests.next().await {
        let answers = match answer {
            Ok(answers) => answers,
            Err(error) if is_tenant_wide(&error) => return Err(error),
            Err(error) => chunk.iter().map(|_| Err(error.clone())).collect(),
        };
        for (mailbox, answer) in chunk.iter().zip(answers) {
            let slot = by_key.entry(mailbox.key()).or_insert_with(|| Ok(Vec::new()));
            match (slot.as_mut(), answer) {
                (Ok(items), Ok(more)) => items.extend(more),
                (Ok(_), Err(error)) => *slot = Err(error),
                (Err(_), _) => {}
            }
        }
    }
    // An appointment across a piece boundary came back in both pieces.
    for items in by_key.values_mut().filter_map(|a| a.as_mut().ok()) {
        items.sort_by_key(|i| (i.start, i.end));
        items.dedup();
    }
    Ok(by_key)
}

async fn full(
    provider: &EwsProvider,
    mailboxes: &[&Email],
    window: TimeWindow,
    counters: &CallCounters,
) -> Result<HashMap<String, Answer>, ProviderError> {
    let mut reads: FuturesUnordered<_> = mailboxes
        .iter()
        .map(
            |mailbox| async move { (mailbox, calendar(provider, mailbox, window, counters).await) },
        )
        .collect();
    let mut by_key = HashMap::new();
    while let Some((mailbox, answer)) = reads.next().await {
        if let Err(error) = &answer
            && is_tenant_wide(error)
        {
            return Err(error.clone());
        }
        by_key.insert(mailbox.key(), answer);
    }
    Ok(by_key)
}

/// One mailbox's calendar, page after page: CalendarView has no offset, so the next page
/// starts at the last item's start and items already seen are skipped by id.
async fn calendar(
    provider: &EwsProvider,
    mailbox: &Email,
    window: TimeWindow,
    counters: &CallCounters,
) -> Answer {
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    let mut start = window.start();
    for _ in 0..provider.tunables.max_pages {
        let body =
            requests::calendar_view(mailbox, start, window.end(), provider.tunables.page_size);
        let bytes = provider.transport.call(&body, counters).await?;
        let page = wire::calendar_page(&bytes)??;
        for (id, item) in page.items {
            if seen.insert(id) {
                items.push(item);
            }
        }
        let next = page.last_start.filter(|next| *next > start);
        match next {
            Some(next) if !page.complete => start = next,
            // Complete, or a full page of appointments that all start at the same moment:
            // asking again from there would bring the same page.
            _ => return Ok(items),
        }
    }
    Err(ProviderError::MalformedResponse {
        detail: format!("EWS: more than {} calendar pages", provider.tunables.max_pages),
    })
}
