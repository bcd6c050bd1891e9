//! A group's members, for enabling sync from an Entra group: `GET /groups/{id}` for its name,
//! then `GET /groups/{id}/transitiveMembers` page by page (nested groups flattened by Graph).
//!
//! The group is read by its object id, which needs no `ConsistencyLevel: eventual` index and
//! so sees membership changes as soon as Graph does; `$search` by name would. Requests go
//! one after another through the tenant's transport, token cache and retry policy.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION};
use uuid::Uuid;

use super::GraphProvider;
use super::transport::{CallCounters, Received};
use super::verdict::graph_status_detail;
use super::wire::{GroupObject, MemberPage};
use crate::domain::Email;
use crate::providers::error::{AuthProblem, ProviderError};
use crate::providers::retry::{is_retryable_status, parse_retry_after};
use crate::providers::{GroupError, GroupMember, GroupMembers};

/// Pages followed at most: 100 pages of 999 is far beyond any group a switchboard watches.
pub const MAX_PAGES: usize = 100;
/// Members read at most; a larger group is refused rather than half applied.
pub const MAX_MEMBERS: usize = 50_000;
/// Longest address or name kept from Graph; anything longer is not a real one.
const MAX_FIELD: usize = 320;

pub async fn members(provider: &GraphProvider, group: Uuid) -> Result<GroupMembers, GroupError> {
    let counters = Arc::new(CallCounters::default());
    let result = read(provider, group, &counters).await;
    let stats = counters.snapshot();
    match result {
        Ok(mut members) => {
            members.stats = stats;
            tracing::debug!(
                members = members.members.len(),
                ignored = members.ignored,
                http_requests = stats.http_requests,
                "group members read"
            );
            Ok(members)
        }
        Err(error) => {
            tracing::warn!(error = %error, http_requests = stats.http_requests, "group read failed");
            Err(error)
        }
    }
}

async fn read(
    provider: &GraphProvider,
    group: Uuid,
    counters: &Arc<CallCounters>,
) -> Result<GroupMembers, GroupError> {
    let base = format!("{}/v1.0/groups/{group}", provider.graph_url);
    let body = get(provider, &format!("{base}?$select=id,displayName"), counters).await?;
    let object: GroupObject = serde_json::from_slice(&body).map_err(malformed)?;
    let mut result = GroupMembers {
        group_name: object.display_name.map(|n| bounded(&n)).filter(|n| !n.is_empty()),
        ..GroupMembers::default()
    };
    let mut seen = HashSet::new();
    let mut next = Some(format!(
        "{base}/transitiveMembers?$select=id,mail,userPrincipalName,displayName&$top={}",
        provider.group_page_size
    ));
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(GroupError::TooLarge { limit: MAX_MEMBERS.min(MAX_PAGES * 999) });
        }
        let body = get(provider, &url, counters).await?;
        let page: MemberPage = serde_json::from_slice(&body).map_err(malformed)?;
        for object in page.value {
            let mail = object.is_user().then_some(object.mail.as_deref()).flatten();
            match mail.filter(|m| m.len() <= MAX_FIELD).and_then(|m| Email::parse(m).ok()) {
                Some(mail) if seen.insert(mail.key()) => result.members.push(GroupMember {
                    mail,
                    display_name: object
                        .display_name
                        .map(|n| bounded(&n))
                        .filter(|n| !n.is_empty()),
                }),
                Some(_) => {}
                None => result.ignored += 1,
            }
            if result.members.len() + result.ignored > MAX_MEMBERS {
                return Err(GroupError::TooLarge { limit: MAX_MEMBERS });
            }
        }
        // The bearer token goes only to the Graph host calbridge was configured with.
        next = match page.next_link {
            Some(link) if link.starts_with(&format!("{}/", provider.graph_url)) => Some(link),
            Some(_) => {
                return Err(malformed_detail("@odata.nextLink points outside Microsoft Graph"));
            }
            None => None,
        };
    }
    Ok(result)
}

/// One GET, retried on throttling and outages like calendar reads, and once with a new token
/// when Graph refuses the cached one.
async fn get(
    provider: &GraphProvider,
    url: &str,
    counters: &Arc<CallCounters>,
) -> Result<Vec<u8>, GroupError> {
    let mut retries = 0;
    let mut renewed = false;
    loop {
        let bearer = provider
            .tokens
            .bearer(&provider.transport, counters, &provider.retry)
            .await
            .map_err(GroupError::Provider)?;
        let authorization = bearer.authorization();
        let request = provider
            .transport
            .client()
            .get(url)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json")
            .build()
            .map_err(|_| malformed_detail("invalid request URL"))?;
        let wait = match provider.transport.execute(request, counters).await {
            Ok(Received { status: 200, body, .. }) => return Ok(body),
            Ok(received) => {
                let detail = graph_status_detail(received.status, &received.body);
                match received.status {
                    401 if !renewed => {
                        renewed = true;
                        provider.tokens.invalidate(bearer.generation()).await;
                        continue;
                    }
                    401 => {
                        return Err(GroupError::Provider(ProviderError::Auth {
                            problem: AuthProblem::TokenRejected,
                            aadsts: None,
                            detail,
                        }));
                    }
                    403 => return Err(GroupError::PermissionMissing { detail }),
                    404 => return Err(GroupError::NotFound { detail }),
                    status if is_retryable_status(status) => {
                        if status == 429 {
                            counters.add_throttled();
                        }
                        let asked = received
                            .retry_after()
                            .and_then(|v| parse_retry_after(v, provider.clock.now()));
                        if retries >= provider.retry.max_retries
                            || asked.is_some_and(|a| a > provider.retry.cap)
                        {
                            return Err(GroupError::Provider(if status == 429 {
                                ProviderError::Throttled { retries, retry_after: asked }
                            } else {
                                ProviderError::UpstreamUnavailable { detail, source: None }
                            }));
                        }
                        asked.unwrap_or_else(|| provider.retry.backoff(retries))
                    }
                    status if status >= 500 => {
                        return Err(GroupError::Provider(ProviderError::UpstreamUnavailable {
                            detail,
                            source: None,
                        }));
                    }
                    _ => return Err(malformed_detail(&detail)),
                }
            }
            Err(error) => {
                if retries >= provider.retry.max_retries {
                    return Err(GroupError::Provider(ProviderError::UpstreamUnavailable {
                        detail: error.to_string(),
                        source: Some(Arc::new(error)),
                    }));
                }
                provider.retry.backoff(retries)
            }
        };
        retries += 1;
        counters.add_retry();
        tokio::time::sleep(wait.min(Duration::from_secs(600))).await;
    }
}

fn bounded(text: &str) -> String {
    text.trim().chars().filter(|c| !c.is_control()).take(MAX_FIELD).collect()
}

fn malformed(error: serde_json::Error) -> GroupError {
    malformed_detail(&format!("group response: {error}"))
}

fn malformed_detail(detail: &str) -> GroupError {
    GroupError::Provider(ProviderError::MalformedResponse { detail: detail.to_string() })
}
