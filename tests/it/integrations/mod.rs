//! The machine interfaces: API tokens, the REST API and its OpenAPI document, presence
//! streams, webhooks and metrics, and the live board.

mod api;
mod metrics;
mod openapi;
mod page;
mod stream;
mod webhooks;

use std::time::Duration;

use calbridge::services::{Actor, api_tokens};
use eventsource_stream::{Event, Eventsource};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use uuid::Uuid;

use crate::support::{TestApp, tenant_scope};

/// A new API token of the tenant.
pub async fn token(app: &TestApp, tenant: Uuid, name: &str) -> String {
    api_tokens::create(&app.state, &Actor::command_line(), tenant_scope(tenant), name)
        .await
        .unwrap()
        .token
}

/// A machine client of the API.
pub struct ApiClient {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl ApiClient {
    pub fn new(app: &TestApp, token: &str) -> ApiClient {
        ApiClient::at(&format!("http://{}", app.addr), token)
    }

    pub fn at(base: &str, token: &str) -> ApiClient {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        ApiClient { base: base.to_owned(), token: token.to_owned(), client }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// The stream from `path` (with `Last-Event-ID: last` when given).
    pub async fn stream(&self, path: &str, last: Option<i64>) -> EventStream {
        let last = last.map(|l| l.to_string());
        let headers: Vec<(&str, &str)> =
            last.as_deref().map(|l| vec![("last-event-id", l)]).unwrap_or_default();
        let client = reqwest::Client::new();
        let mut req = client.get(format!("{}{path}", self.base)).bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "the stream opens");
        assert!(
            res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"),
            "{:?}",
            res.headers()
        );
        EventStream { events: res.bytes_stream().eventsource().boxed() }
    }
}

pub struct EventStream {
    events: BoxStream<'static, Result<Event, eventsource_stream::EventStreamError<reqwest::Error>>>,
}

impl EventStream {
    /// The next event, if one comes within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Event> {
        match tokio::time::timeout(wait, self.events.next()).await {
            Ok(Some(Ok(event))) => Some(event),
            _ => None,
        }
    }

    /// The next `presence` event for `email` (skipping others), within `wait`.
    pub async fn next_for(
        &mut self,
        email: &str,
        wait: Duration,
    ) -> Option<(Event, serde_json::Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await?;
            if event.event != "presence" {
                continue;
            }
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            if data["email"] == email {
                return Some((event, data));
            }
        }
    }
}
