//! What each answer means: results per mailbox, retries and their timing, the next page,
//! regrouping after a refused request path, and when a failure is the whole tenant's.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::GraphProvider;
use super::exchange::{MailboxResult, Plan, Reply, Sent};
use super::items;
use super::requests::{
    Job, MailboxIndex, SCHEDULES_PER_REQUEST, Work, first_view_url, relative_next_link,
};
use super::transport::CallCounters;
use super::verdict::{
    graph_error, graph_status_detail, item_body, names_access_policy, whole_tenant_failure,
};
use super::wire::{
    BatchResponse, BatchResponseItem, EventPage, ScheduleResponse, describe_json_error,
};
use crate::clock::Clock;
use crate::domain::calendar::CalendarItem;
use crate::domain::provider::DetailLevel;
use crate::providers::error::{AccessScope, AuthProblem, ErrorCode, ProviderError};
use crate::providers::retry::{RetryPolicy, is_retryable_status, parse_retry_after};

/// A mailbox with more pages than this in one window is not a calendar anyone reads.
const MAX_PAGES: u32 = 500;

/// The state of a call between batches.
pub(super) struct Progress<'a> {
    plan: &'a Plan,
    retry: RetryPolicy,
    clock: Clock,
    results: Vec<Option<MailboxResult>>,
    /// A 403 without the access-policy marker: consent missing, unless other mailboxes work.
    suspect_denial: Vec<bool>,
    successes: usize,
    pub queue: VecDeque<Job>,
    waiting: Vec<Job>,
    pub fatal: Option<ProviderError>,
    pub stale_token: Option<u64>,
}

/// What one batch item said, for the tenant-level verdict on the batch.
#[derive(PartialEq, Eq)]
enum ItemVerdict {
    SuspectDenial,
    Other,
}

impl<'a> Progress<'a> {
    pub fn new(plan: &'a Plan, provider: &GraphProvider) -> Progress<'a> {
        let count = plan.addresses.len();
        let queue: VecDeque<Job> = match provider.detail {
            DetailLevel::FreeBusy => (0..count)
                .collect::<Vec<_>>()
                .chunks(SCHEDULES_PER_REQUEST)
                .map(|group| Job::new(Work::Schedule { members: group.to_vec() }))
                .collect(),
            DetailLevel::Full => (0..count)
                .map(|mailbox| {
                    Job::new(Work::View {
                        mailbox,
                        url: first_view_url(
                            &plan.addresses[mailbox],
                            plan.window,
                            provider.page_size,
                        ),
                        items: Vec::new(),
                        pages: 1,
                    })
                })
                .collect(),
        };
        Progress {
            plan,
            retry: provider.retry,
            clock: provider.clock.clone(),
            results: (0..count).map(|_| None).collect(),
            suspect_denial: vec![false; count],
            successes: 0,
            queue,
            waiting: Vec::new(),
            fatal: None,
            stale_token: None,
        }
    }

    pub fn promote_ready(&mut self, now: Instant) {
        let mut index = 0;
        while index < self.waiting.len() {
            if self.waiting[index].ready_at.is_none_or(|at| at <= now) {
                let mut job = self.waiting.swap_remove(index);
                job.ready_at = None;
                self.queue.push_back(job);
            } else {
                index += 1;
            }
        }
    }

    pub fn next_ready_at(&self) -> Option<Instant> {
        self.waiting.iter().filter_map(|job| job.ready_at).min()
    }

    fn succeed(&mut self, mailbox: MailboxIndex, items: Vec<CalendarItem>) {
        if self.results[mailbox].is_none() {
            self.results[mailbox] = Some(Ok(items));
            self.successes += 1;
        }
    }

    fn set_error(&mut self, mailbox: MailboxIndex, error: ProviderError) {
        if self.results[mailbox].is_none() {
            self.results[mailbox] = Some(Err(error));
        }
    }

    fn fail(&mut self, job: Job, error: ProviderError) {
        for mailbox in job.mailboxes() {
            self.set_error(mailbox, error.clone());
        }
    }

    /// Schedules `job` again after Graph's `Retry-After` or a backoff, or gives up on it.
    fn retry(
        &mut self,
        mut job: Job,
        status: Option<u16>,
        retry_after: Option<Duration>,
        error: ProviderError,
        counters: &CallCounters,
    ) {
        let wait = retry_after.unwrap_or_else(|| self.retry.backoff(job.retries));
        if job.retries >= self.retry.max_retries || wait > self.retry.cap {
            tracing::debug!(retries = job.retries, ?status, "giving up on a Graph request");
            let error = match status {
                Some(429) => ProviderError::Throttled { retries: job.retries, retry_after },
                _ => error,
            };
            self.fail(job, error);
            return;
        }
        job.retries += 1;
        counters.add_retry();
        job.ready_at = Some(Instant::now() + wait);
        self.waiting.push(job);
    }

    /// The token was refused: get a new one and resend, once.
    fn reauthenticate(&mut self, mut job: Job, generation: u64, detail: String) {
        if job.reauthenticated {
            self.fatal = Some(ProviderError::Auth {
                problem: AuthProblem::TokenRejected,
                aadsts: None,
                detail,
            });
            return;
        }
        job.reauthenticated = true;
        self.stale_token = Some(generation);
        self.queue.push_front(job);
    }

    /// A 403 or 404 answers for the mailbox in the path. For getSchedule the other mailboxes
    /// of the group are still unread, so they go out again behind another mailbox.
    fn fail_path(&mut self, job: Job, error: ProviderError, suspect: bool) {
        let retries = job.retries;
        let mailboxes = job.mailboxes();
        let Some((&path, rest)) = mailboxes.split_first() else { return };
        self.set_error(path, error);
        self.suspect_denial[path] = suspect;
        if let Work::Schedule { .. } = job.work
            && !rest.is_empty()
        {
            let mut regrouped = Job::new(Work::Schedule { members: rest.to_vec() });
            regrouped.retries = retries;
            self.queue.push_back(regrouped);
        }
    }

    pub fn absorb(&mut self, sent: Sent, counters: &CallCounters) {
        let Sent { jobs, token_generation, reply, elapsed } = sent;
        let received = match reply {
            Reply::Token(error) => {
                if error.code() == ErrorCode::AuthFailed {
                    self.fatal = Some(error);
                } else {
                    for job in jobs {
                        self.fail(job, error.clone());
                    }
                }
                return;
            }
            Reply::Transport(error) => {
                tracing::debug!(error = %error, items = jobs.len(), "Graph batch failed in transit");
                for job in jobs {
                    let failure = ProviderError::UpstreamUnavailable {
                        detail: format!("Microsoft Graph: {error}"),
                        source: Some(error.clone()),
                    };
                    self.retry(job, None, None, failure, counters);
                }
                return;
            }
            Reply::Received(received) => received,
        };
        tracing::debug!(
            status = received.status,
            items = jobs.len(),
            elapsed_ms = elapsed.as_millis() as u64,
            "Graph batch answered"
        );
        match received.status {
            200 => self.absorb_batch(jobs, &received.body, token_generation, counters),
            status if is_retryable_status(status) => {
                if status == 429 {
                    counters.add_throttled();
                }
                let retry_after = received
                    .retry_after()
                    .and_then(|value| parse_retry_after(value, self.clock.now()));
                let detail = graph_status_detail(status, &received.body);
                for job in jobs {
                    let error =
                        ProviderError::UpstreamUnavailable { detail: detail.clone(), source: None };
                    self.retry(job, Some(status), retry_after, error, counters);
                }
            }
            401 => {
                let detail = graph_status_detail(401, &received.body);
                for job in jobs {
                    self.reauthenticate(job, token_generation, detail.clone());
                }
            }
            status => {
                let error = if status == 403 {
                    ProviderError::AccessDenied {
                        scope: AccessScope::Tenant,
                        detail: graph_status_detail(status, &received.body),
                    }
                } else {
                    ProviderError::UpstreamUnavailable {
                        detail: graph_status_detail(status, &received.body),
                        source: None,
                    }
                };
                if status == 403 {
                    self.fatal = Some(error);
                    return;
                }
                for job in jobs {
                    self.fail(job, error.clone());
                }
            }
        }
    }

    fn absorb_batch(
        &mut self,
        jobs: Vec<Job>,
        body: &[u8],
        token_generation: u64,
        counters: &CallCounters,
    ) {
        let batch: BatchResponse<'_> = match serde_json::from_slice(body) {
            Ok(batch) => batch,
            Err(error) => {
                let detail = format!("batch response: {}", describe_json_error(&error));
                for job in jobs {
                    self.fail(job, ProviderError::MalformedResponse { detail: detail.clone() });
                }
                return;
            }
        };
        let mut by_id: HashMap<&str, &BatchResponseItem<'_>> = HashMap::new();
        for item in &batch.responses {
            by_id.entry(item.id.as_str()).or_insert(item);
        }
        let total = jobs.len();
        let mut suspects = 0;
        let mut denial_detail = None;
        for (id, job) in jobs.into_iter().enumerate() {
            match by_id.get(id.to_string().as_str()) {
                None => self.fail(
                    job,
                    ProviderError::MalformedResponse {
                        detail: format!("the batch response has no answer to item {id}"),
                    },
                ),
                Some(item) => {
                    let (verdict, detail) = self.absorb_item(job, item, token_generation, counters);
                    if verdict == ItemVerdict::SuspectDenial {
                        suspects += 1;
                        denial_detail = denial_detail.or(detail);
                    }
                }
            }
        }
        // Every item refused and nothing read yet: the app lacks the permission altogether.
        if self.successes == 0 && total > 0 && suspects == total {
            self.fatal = Some(ProviderError::AccessDenied {
                scope: AccessScope::Tenant,
                detail: denial_detail.unwrap_or_default(),
            });
        }
    }

    fn absorb_item(
        &mut self,
        job: Job,
        item: &BatchResponseItem<'_>,
        token_generation: u64,
        counters: &CallCounters,
    ) -> (ItemVerdict, Option<String>) {
        let body = item_body(item);
        match item.status {
            200..=299 => {
                match job.work {
                    Work::Schedule { members } => self.absorb_schedule(&members, &body),
                    Work::View { mailbox, items, pages, .. } => {
                        self.absorb_page(mailbox, items, pages, &body)
                    }
                }
                (ItemVerdict::Other, None)
            }
            status if is_retryable_status(status) => {
                if status == 429 {
                    counters.add_throttled();
                }
                let retry_after = item
                    .header("Retry-After")
                    .and_then(|value| parse_retry_after(&value, self.clock.now()));
                let error = ProviderError::UpstreamUnavailable {
                    detail: graph_status_detail(status, &body),
                    source: None,
                };
                self.retry(job, Some(status), retry_after, error, counters);
                (ItemVerdict::Other, None)
            }
            status @ (401 | 403) => {
                let error = graph_error(&body);
                let detail = graph_status_detail(status, &body);
                if status == 401 && !error.code.eq_ignore_ascii_case("ErrorAccessDenied") {
                    self.reauthenticate(job, token_generation, detail);
                    return (ItemVerdict::Other, None);
                }
                let by_policy = names_access_policy(&error.message);
                let denied = ProviderError::AccessDenied {
                    scope: AccessScope::Mailbox,
                    detail: detail.clone(),
                };
                self.fail_path(job, denied, !by_policy);
                if by_policy {
                    (ItemVerdict::Other, None)
                } else {
                    (ItemVerdict::SuspectDenial, Some(detail))
                }
            }
            404 => {
                let detail = graph_status_detail(404, &body);
                self.fail_path(job, ProviderError::MailboxNotFound { detail }, false);
                (ItemVerdict::Other, None)
            }
            status => {
                let error = ProviderError::UpstreamUnavailable {
                    detail: graph_status_detail(status, &body),
                    source: None,
                };
                self.fail(job, error);
                (ItemVerdict::Other, None)
            }
        }
    }

    fn absorb_schedule(&mut self, members: &[MailboxIndex], body: &[u8]) {
        let response: ScheduleResponse = match serde_json::from_slice(body) {
            Ok(response) => response,
            Err(error) => {
                let detail = format!("getSchedule: {}", describe_json_error(&error));
                for &mailbox in members {
                    self.set_error(
                        mailbox,
                        ProviderError::MalformedResponse { detail: detail.clone() },
                    );
                }
                return;
            }
        };
        for &mailbox in members {
            let address = &self.plan.addresses[mailbox];
            let schedule = response.value.iter().find(|schedule| {
                schedule
                    .schedule_id
                    .as_deref()
                    .is_some_and(|id| id.trim().eq_ignore_ascii_case(address))
            });
            let Some(schedule) = schedule else {
                self.set_error(
                    mailbox,
                    ProviderError::MalformedResponse {
                        detail: "getSchedule left out a requested mailbox".into(),
                    },
                );
                continue;
            };
            if let Some(error) = &schedule.error {
                let code = error.response_code.as_deref().unwrap_or_default().trim();
                let message = error.message.clone().unwrap_or_default();
                let error = if code == "5009" {
                    ProviderError::MailboxNotFound {
                        detail: format!("free/busy error 5009: {message}"),
                    }
                } else {
                    ProviderError::UpstreamUnavailable {
                        detail: format!("free/busy error {code}: {message}"),
                        source: None,
                    }
                };
                self.set_error(mailbox, error);
                continue;
            }
            match items::from_schedule(schedule.schedule_items.as_deref().unwrap_or_default()) {
                Ok(items) => self.succeed(mailbox, items),
                Err(error) => self.set_error(mailbox, error),
            }
        }
    }

    fn absorb_page(
        &mut self,
        mailbox: MailboxIndex,
        mut items: Vec<CalendarItem>,
        pages: u32,
        body: &[u8],
    ) {
        let page: EventPage = match serde_json::from_slice(body) {
            Ok(page) => page,
            Err(error) => {
                let detail = format!("calendarView: {}", describe_json_error(&error));
                self.set_error(mailbox, ProviderError::MalformedResponse { detail });
                return;
            }
        };
        match items::from_events(page.value) {
            Ok(more) => items.extend(more),
            Err(error) => {
                self.set_error(mailbox, error);
                return;
            }
        }
        let Some(link) = page.next_link else {
            self.succeed(mailbox, items);
            return;
        };
        let malformed = |detail: &str| ProviderError::MalformedResponse { detail: detail.into() };
        match relative_next_link(&link) {
            None => self.set_error(mailbox, malformed("calendarView: unusable @odata.nextLink")),
            Some(_) if pages >= MAX_PAGES => {
                self.set_error(mailbox, malformed("calendarView: too many pages"))
            }
            Some(url) => {
                self.queue.push_back(Job::new(Work::View { mailbox, url, items, pages: pages + 1 }))
            }
        }
    }

    pub fn finish(self) -> Result<Vec<MailboxResult>, ProviderError> {
        let results: Vec<MailboxResult> = self
            .results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err(ProviderError::MalformedResponse { detail: "no answer for mailbox".into() })
                })
            })
            .collect();
        if self.successes == 0
            && let Some(error) = whole_tenant_failure(&results, &self.suspect_denial)
        {
            return Err(error);
        }
        Ok(results)
    }
}
