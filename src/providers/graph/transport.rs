//! HTTP for one tenant: one client without redirects and with timeouts, a cap on requests in
//! flight shared by every call, and the per-call request counters.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::sync::Semaphore;

/// Graph answers a 20-item batch in well under a megabyte; anything far beyond is not Graph.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug)]
pub struct Transport {
    client: reqwest::Client,
    /// Held for the whole exchange, body included, so "in flight" means what Graph sees.
    permits: Semaphore,
}

/// A response read to the end.
#[derive(Debug)]
pub struct Received {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn retry_after(&self) -> Option<&str> {
        self.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok())
    }
}

/// The request never got a complete answer: connection failure, timeout, or an oversized body.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("{}", describe_reqwest(.0))]
    Http(#[source] reqwest::Error),
    #[error("response body larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
}

fn describe_reqwest(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "request timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "connection failed while reading the response"
    } else {
        "request failed"
    }
}

impl Transport {
    pub fn new(
        connect_timeout: Duration,
        request_timeout: Duration,
        max_in_flight: usize,
    ) -> reqwest::Result<Transport> {
        let client = reqwest::Client::builder()
            // A redirect could carry the bearer token or the secret to another host.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .user_agent(concat!("calbridge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Transport { client, permits: Semaphore::new(max_in_flight.max(1)) })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request` once a slot is free and reads the whole response.
    pub async fn execute(
        &self,
        request: reqwest::Request,
        counters: &CallCounters,
    ) -> Result<Received, TransportError> {
        // The semaphore is never closed, so acquiring only fails if that changes; sending
        // anyway is better than losing the request.
        let _permit = self.permits.acquire().await.ok();
        counters.add_http_request();
        let sent = self.client.execute(request).await;
        crate::telemetry::graph_request(sent.as_ref().map_or(0, |r| r.status().as_u16()));
        let mut response = sent.map_err(TransportError::Http)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        if response.content_length().is_some_and(|len| len > MAX_BODY_BYTES as u64) {
            return Err(TransportError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(TransportError::Http)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(TransportError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Received { status, headers, body })
    }
}

pub use crate::providers::counters::CallCounters;
