//! A webhook receiver on a local port: records every request and answers as scripted.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Delivery {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// How to answer one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// A status with `Retry-After: <seconds>`.
    RetryAfter(u16, u64),
    /// Keep the request waiting this long before answering 200.
    Hang(Duration),
}

#[derive(Default)]
struct Shared {
    got: Vec<Delivery>,
    script: VecDeque<Answer>,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Mutex<Shared>>,
) -> HttpResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(n, v);
        }
    }
    let answer = {
        let mut shared = shared.lock().unwrap();
        shared.got.push(Delivery {
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            at: Instant::now(),
        });
        shared.script.pop_front().unwrap_or(Answer::Status(200))
    };
    let status = |code: u16| actix_web::http::StatusCode::from_u16(code).unwrap();
    match answer {
        Answer::Status(code) => HttpResponse::build(status(code)).finish(),
        Answer::RetryAfter(code, secs) => HttpResponse::build(status(code))
            .insert_header(("retry-after", secs.to_string()))
            .finish(),
        Answer::Hang(wait) => {
            tokio::time::sleep(wait).await;
            HttpResponse::Ok().finish()
        }
    }
}

impl Receiver {
    /// A receiver answering `script` in order, then 200 to everything.
    pub async fn start(script: &[Answer]) -> Receiver {
        let shared = Arc::new(Mutex::new(Shared {
            got: Vec::new(),
            script: script.iter().copied().collect(),
        }));
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new().app_data(data.clone()).default_service(web::to(receive))
        })
        .workers(1)
        .shutdown_timeout(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver { url: format!("http://127.0.0.1:{port}/hooks/calbridge"), shared, handle }
    }

    pub fn received(&self) -> Vec<Delivery> {
        self.shared.lock().unwrap().got.clone()
    }

    /// Waits until `count` requests arrived (or the deadline); returns what arrived.
    pub async fn wait_for(&self, count: usize, deadline: Duration) -> Vec<Delivery> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= count || started.elapsed() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
