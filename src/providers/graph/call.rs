//! One read: plan the requests and keep up to the allowed number of batches in flight until
//! every mailbox is answered; `progress` decides what each answer means.
//!
//! Everything runs inside the caller's task (no spawning), so a call is cancelled by dropping
//! it and its log lines land in the caller's span. Each mailbox is in at most one request at
//! a time: a retry or the next page is only sent once the previous request has come back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use super::GraphProvider;
use super::exchange::{MailboxResult, Plan, Reply, Sent};
use super::progress::Progress;
use super::requests::{BATCH_LIMIT, Job, MailboxIndex, batch_item};
use super::transport::{CallCounters, TransportError};
use super::wire::BatchRequest;
use crate::domain::Email;
use crate::providers::error::ProviderError;
use crate::providers::{MailboxCalendar, ReadOutcome, TimeWindow};

pub async fn read(
    provider: &GraphProvider,
    mailboxes: &[Email],
    window: TimeWindow,
) -> ReadOutcome {
    let counters = Arc::new(CallCounters::default());
    let started = Instant::now();
    let mut index_of: HashMap<String, MailboxIndex> = HashMap::new();
    let mut addresses = Vec::new();
    let slots: Vec<MailboxIndex> = mailboxes
        .iter()
        .map(|mailbox| {
            *index_of.entry(mailbox.key()).or_insert_with(|| {
                addresses.push(mailbox.as_str().to_string());
                addresses.len() - 1
            })
        })
        .collect();
    if addresses.is_empty() {
        return ReadOutcome { result: Ok(Vec::new()), stats: counters.snapshot() };
    }
    let plan = Plan { addresses, window, batch_url: format!("{}/v1.0/$batch", provider.graph_url) };
    // Asking for the token first makes a sign-in failure one clear error, not one per batch.
    let result = match provider.tokens.bearer(&provider.transport, &counters, &provider.retry).await
    {
        Err(error) => Err(error),
        Ok(_) => run(provider, &plan, &counters).await,
    };
    let result = result.map(|answers| {
        mailboxes
            .iter()
            .zip(slots)
            .map(|(mailbox, slot)| MailboxCalendar {
                mailbox: mailbox.clone(),
                result: answers[slot].clone(),
            })
            .collect::<Vec<_>>()
    });
    let stats = counters.snapshot();
    match &result {
        Ok(answers) => tracing::debug!(
            mailboxes = answers.len(),
            failed = answers.iter().filter(|a| a.result.is_err()).count(),
            http_requests = stats.http_requests,
            retries = stats.retries,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "calendars read"
        ),
        Err(error) => tracing::warn!(
            code = %error.code(),
            error = %error,
            http_requests = stats.http_requests,
            "calendar read failed for the whole tenant"
        ),
    }
    ReadOutcome { result, stats }
}

async fn run(
    provider: &GraphProvider,
    plan: &Plan,
    counters: &Arc<CallCounters>,
) -> Result<Vec<MailboxResult>, ProviderError> {
    let mut progress = Progress::new(plan, provider);
    let mut in_flight = FuturesUnordered::new();
    loop {
        progress.promote_ready(Instant::now());
        while in_flight.len() < provider.max_in_flight && !progress.queue.is_empty() {
            let take = progress.queue.len().min(BATCH_LIMIT);
            let jobs: Vec<Job> = progress.queue.drain(..take).collect();
            in_flight.push(send_batch(provider, plan, counters, jobs));
        }
        let next_ready = progress.next_ready_at();
        if in_flight.is_empty() {
            match next_ready {
                None => break,
                Some(at) => {
                    tokio::time::sleep_until(at.into()).await;
                    continue;
                }
            }
        }
        let sent = tokio::select! {
            sent = in_flight.next() => sent,
            () = sleep_until(next_ready) => None,
        };
        if let Some(sent) = sent {
            progress.absorb(sent, counters);
            if let Some(generation) = progress.stale_token.take() {
                provider.tokens.invalidate(generation).await;
            }
            if let Some(fatal) = progress.fatal.take() {
                return Err(fatal);
            }
        }
    }
    progress.finish()
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn send_batch(
    provider: &GraphProvider,
    plan: &Plan,
    counters: &Arc<CallCounters>,
    jobs: Vec<Job>,
) -> Sent {
    let started = Instant::now();
    let bearer = match provider.tokens.bearer(&provider.transport, counters, &provider.retry).await
    {
        Ok(bearer) => bearer,
        Err(error) => {
            return Sent {
                jobs,
                token_generation: 0,
                reply: Reply::Token(error),
                elapsed: started.elapsed(),
            };
        }
    };
    let batch = BatchRequest {
        requests: jobs
            .iter()
            .enumerate()
            .map(|(id, job)| batch_item(job, id, &plan.addresses, plan.window))
            .collect(),
    };
    counters.add_sub_requests(jobs.len() as u32);
    let body = serde_json::to_vec(&batch).unwrap_or_default();
    let authorization = bearer.authorization();
    let request = provider
        .transport
        .client()
        .post(&plan.batch_url)
        .header(AUTHORIZATION, authorization)
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .build();
    let reply = match request {
        Err(error) => Reply::Transport(Arc::new(TransportError::Http(error))),
        Ok(request) => match provider.transport.execute(request, counters).await {
            Ok(received) => Reply::Received(received),
            Err(error) => Reply::Transport(Arc::new(error)),
        },
    };
    Sent { jobs, token_generation: bearer.generation(), reply, elapsed: started.elapsed() }
}
