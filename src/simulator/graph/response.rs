//! Graph's response envelopes: success bodies, the `error` object, and throttling bodies.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// The content type Graph puts on OData JSON responses.
pub const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Value),
    /// Bytes that are not (valid) JSON, from the truncation and HTML faults.
    Raw {
        content_type: String,
        bytes: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct GraphResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl GraphResponse {
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
    }

    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Body::Json(value) => serde_json::to_vec(value).unwrap_or_default(),
            Body::Raw { bytes, .. } => bytes.clone(),
        }
    }

    pub fn content_type(&self) -> &str {
        match &self.body {
            Body::Raw { content_type, .. } => content_type,
            Body::Json(_) => self.header("Content-Type").unwrap_or("application/json"),
        }
    }

    /// Keeps the status and headers but cuts the serialized JSON in half.
    pub fn truncated(self) -> Self {
        let bytes = self.body_bytes();
        let cut = bytes.len() / 2;
        GraphResponse {
            body: Body::Raw {
                content_type: self.content_type().to_string(),
                bytes: bytes[..cut].to_vec(),
            },
            ..self
        }
    }
}

/// Per-request identifiers Graph echoes in headers and in `innerError`.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub request_id: String,
    pub client_request_id: String,
    pub now: DateTime<Utc>,
}

impl RequestCtx {
    pub fn new(client_request_id: Option<&str>, now: DateTime<Utc>) -> Self {
        let request_id = Uuid::new_v4().to_string();
        RequestCtx {
            client_request_id: client_request_id
                .filter(|id| !id.trim().is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| request_id.clone()),
            request_id,
            now,
        }
    }

    /// `innerError.date` is written without fraction or zone, e.g. "2020-08-18T12:51:51".
    fn date(&self) -> String {
        self.now.format("%Y-%m-%dT%H:%M:%S").to_string()
    }

    fn base_headers(&self, content_type: &str) -> Vec<(String, String)> {
        vec![
            ("Cache-Control".into(), "no-cache".into()),
            ("Content-Type".into(), content_type.into()),
            ("request-id".into(), self.request_id.clone()),
            ("client-request-id".into(), self.client_request_id.clone()),
        ]
    }
}

pub fn ok(ctx: &RequestCtx, value: Value) -> GraphResponse {
    let mut headers = ctx.base_headers(ODATA_JSON);
    headers.push(("OData-Version".into(), "4.0".into()));
    GraphResponse { status: 200, headers, body: Body::Json(value) }
}

/// Graph's error envelope (see `graph-error-generic-example.json`).
pub fn error(ctx: &RequestCtx, status: u16, code: &str, message: &str) -> GraphResponse {
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": ctx.date(),
                "request-id": ctx.request_id,
                "client-request-id": ctx.client_request_id,
            }
        }
    });
    GraphResponse { status, headers: ctx.base_headers("application/json"), body: Body::Json(body) }
}

/// The 429 body of `graph-throttled-429-response.json`.
pub fn too_many_requests(ctx: &RequestCtx, retry_after: Option<String>) -> GraphResponse {
    let body = json!({
        "error": {
            "code": "TooManyRequests",
            "innerError": {
                "code": "429",
                "date": ctx.date(),
                "message": "Please retry after",
                "request-id": ctx.request_id,
                "status": "429"
            },
            "message": "Please retry again later."
        }
    });
    let response = GraphResponse {
        status: 429,
        headers: ctx.base_headers("application/json"),
        body: Body::Json(body),
    };
    match retry_after {
        Some(value) => response.with_header("Retry-After", value),
        None => response,
    }
}

/// The kind of HTML page a proxy in front of a service returns when the service is down.
pub fn html_error_page(ctx: &RequestCtx, status: u16) -> GraphResponse {
    let (reason, detail) = match status {
        500 => ("Internal Server Error", "The server encountered an internal error."),
        502 => ("Bad Gateway", "The gateway received an invalid response."),
        504 => ("Gateway Timeout", "The gateway did not receive a timely response."),
        _ => ("Service Unavailable", "The service is unavailable."),
    };
    let page = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n\
         <HTML><HEAD><TITLE>{reason}</TITLE>\r\n\
         <META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n\
         <BODY><h2>{reason}</h2>\r\n<hr><p>HTTP Error {status}. {detail}</p>\r\n\
         </BODY></HTML>\r\n"
    );
    let mut headers = ctx.base_headers("text/html; charset=us-ascii");
    headers.retain(|(name, _)| name != "Content-Type");
    GraphResponse {
        status,
        headers,
        body: Body::Raw {
            content_type: "text/html; charset=us-ascii".into(),
            bytes: page.into_bytes(),
        },
    }
}
