//! Raw HTTP against the simulator: tokens, Graph requests and what Microsoft's answers hold.

use std::time::Duration;

use calbridge::simulator::{Scenario, Simulator, SimulatorHandle};
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub use super::ids::*;
pub use super::scenario::{microsoft as fixture, with_users};

/// An HTTP client for the simulator, speaking to it as Microsoft's clients do.
pub struct GraphClient {
    pub sim: SimulatorHandle,
    pub http: reqwest::Client,
}

impl GraphClient {
    pub async fn start() -> GraphClient {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(change: impl FnOnce(&mut Scenario)) -> GraphClient {
        let mut scenario = super::scenario::contoso();
        change(&mut scenario);
        let sim = Simulator::start(scenario, "127.0.0.1:0").await.expect("simulator starts");
        let http = reqwest::Client::builder().build().expect("client");
        GraphClient { sim, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url(), path)
    }

    pub async fn request_token(&self, tenant: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(&format!("/{tenant}/oauth2/v2.0/token")))
            .form(form)
            .send()
            .await
            .expect("token request sent")
    }

    pub async fn token_for(&self, tenant: &str, client: &str, secret: &str) -> String {
        let response = self
            .request_token(
                tenant,
                &[
                    ("client_id", client),
                    ("client_secret", secret),
                    ("scope", GRAPH_SCOPE),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn token(&self) -> String {
        self.token_for(TENANT, CLIENT, SECRET).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("GET sent")
    }

    pub async fn get_prefer(&self, token: &str, path: &str, zone: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .header("Prefer", format!("outlook.timezone=\"{zone}\""))
            .send()
            .await
            .expect("GET sent")
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("POST sent")
    }

    pub async fn stop(self) {
        self.sim.stop().await;
    }
}

/// A getSchedule body for `schedules` over the given UTC window.
pub fn schedule_request(
    schedules: &[&str],
    start: &str,
    end: &str,
    interval: Option<u32>,
) -> Value {
    let mut body = serde_json::json!({
        "schedules": schedules,
        "startTime": {"dateTime": start, "timeZone": "UTC"},
        "endTime": {"dateTime": end, "timeZone": "UTC"},
    });
    if let Some(interval) = interval {
        body["availabilityViewInterval"] = interval.into();
    }
    body
}

pub async fn json_of(response: Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, headers, body)
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

pub const SHORT: Duration = Duration::from_millis(300);
