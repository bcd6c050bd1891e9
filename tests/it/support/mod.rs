//! The one test harness: the real app on port 0 against a fresh database per test, the
//! simulator playing one scenario with one set of ids, and a [`world::World`] that joins them.
//!
//! SQLite in a temporary folder by default; with `TEST_DATABASE_URL` set, a uniquely named
//! PostgreSQL database on that server, dropped when the test ends.
//!
//! - [`ids`]: the customers of `tests/fixtures/contoso-scenario.toml`;
//! - [`scenario`]: that scenario, generated mailboxes, Microsoft's payloads;
//! - [`world`]: app + database + simulator + customers + people, for end-to-end tests;
//! - [`provider`]: Graph providers pointed at the simulator, without an app;
//! - [`graph`]: raw HTTP against the simulator, without an app;
//! - [`ews`]: EWS providers against the simulator's Exchange on-premises organisations
//!   (`tests/fixtures/fjordby-ews-scenario.toml`).

pub mod ews;
pub mod graph;
pub mod ids;
pub mod outage;
pub mod provider;
pub mod receiver;
pub mod scenario;
pub mod smtp;
pub mod world;

use std::net::SocketAddr;
use std::time::Duration;

use calbridge::clock::Clock;
use calbridge::config::{Config, DatabaseTarget};
use calbridge::secrets::MasterKey;
use calbridge::services::{self, Actor, AppState};
use calbridge::startup::{Application, build_state};
use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use sea_orm::prelude::Uuid;
use secrecy::{ExposeSecret, SecretString};

pub const PASSWORD: &str = "blå kaffekop på taget 42";

enum TestDb {
    /// Holds the folder so it lives as long as the test.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside async; a short-lived runtime on its own thread does the work.
            let _ = std::thread::spawn(move || {
                let rt =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(conn) = sea_orm::Database::connect(&admin_url).await {
                        let _ = sea_orm::ConnectionTrait::execute_unprepared(
                            &conn,
                            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

async fn fresh_database() -> (DatabaseTarget, TestDb) {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|v| !v.is_empty()) {
        Some(admin_url) => {
            let name = format!("calbridge_test_{}", Uuid::new_v4().simple());
            let conn =
                sea_orm::Database::connect(&admin_url).await.expect("TEST_DATABASE_URL reachable");
            sea_orm::ConnectionTrait::execute_unprepared(
                &conn,
                &format!("CREATE DATABASE \"{name}\""),
            )
            .await
            .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            (DatabaseTarget::Postgres(url.to_string()), TestDb::Postgres { admin_url, name })
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("data").join("calbridge.db");
            (DatabaseTarget::Sqlite(path), TestDb::Sqlite(dir))
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub clock: Clock,
    pub master_key: String,
    pub database: DatabaseTarget,
    handle: actix_web::dev::ServerHandle,
    _db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; waiting for it would block the test's runtime,
        // which is the one driving the server.
        drop(self.handle.stop(false));
    }
}

pub fn test_config(database: DatabaseTarget, master_key: &str) -> Config {
    let mut config = Config::from_lookup(|_| None).expect("defaults are valid");
    config.database = database;
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.master_key = Some(SecretString::from(master_key.to_owned()));
    config
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let (database, db) = fresh_database().await;
        let master_key = MasterKey::generate().to_base64().expose_secret().to_owned();
        let mut config = test_config(database.clone(), &master_key);
        adjust(&mut config);
        let clock = Clock::system();
        let state = build_state(config, clock.clone()).await.expect("state builds");
        let app = Application::start(state.clone(), "127.0.0.1:0".parse().unwrap(), 1)
            .expect("server starts");
        let addr = app.addr();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp { addr, state, clock, master_key, database, handle, _db: db }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(self)
    }

    /// The `DATABASE_URL` the CLI needs to reach this app's database.
    pub fn database_url(&self) -> String {
        match &self.database {
            DatabaseTarget::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseTarget::Postgres(url) => url.clone(),
        }
    }

    /// An English-speaking tenant, so assertions can read English.
    pub async fn create_tenant(&self, name: &str, licences: u32) -> Uuid {
        self.create_tenant_in(name, licences, "en").await
    }

    pub async fn create_tenant_in(&self, name: &str, licences: u32, locale: &str) -> Uuid {
        let input = services::tenants::TenantInput {
            name: name.into(),
            licences: licences.to_string(),
            locale: Some(locale.into()),
            ..Default::default()
        };
        services::tenants::create(&self.state, &Actor::command_line(), &input).await.unwrap()
    }

    pub async fn create_operator(&self, email: &str) {
        services::accounts::create_operator(&self.state, email, &SecretString::from(PASSWORD))
            .await
            .unwrap();
    }

    /// An account of `role` in the tenant, made the way people get one: invite and accept.
    pub async fn create_member(&self, tenant: Uuid, email: &str, role: &str) -> Uuid {
        let scope = tenant_scope(tenant);
        let created =
            services::invites::create(&self.state, &Actor::command_line(), scope, email, role)
                .await
                .unwrap();
        let token = created.path.trim_start_matches("/invite/").to_owned();
        let acceptance = services::invites::Acceptance {
            display_name: None,
            password: SecretString::from(PASSWORD),
            password_repeat: SecretString::from(PASSWORD),
        };
        services::invites::accept(&self.state, &token, acceptance, None).await.unwrap().account_id
    }

    pub async fn add_user(&self, tenant: Uuid, email: &str) -> Uuid {
        let input = services::directory::UserInput { email: email.into(), ..Default::default() };
        services::directory::add(
            &self.state,
            &Actor::command_line(),
            tenant_scope(tenant),
            &input,
            false,
        )
        .await
        .unwrap()
        .id
    }
}

/// Says, past the test harness's output capture, that a test did not run its checks here.
pub fn skip(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// True (and says the test was skipped) when the tests run on SQLite: for tests of what only
/// PostgreSQL does, such as several instances on one database.
pub fn postgres_only(test: &str) -> bool {
    let skipped = on_sqlite();
    if skipped {
        skip(test, "PostgreSQL only (set TEST_DATABASE_URL)");
    }
    skipped
}

/// Whether the tests run on SQLite (no `TEST_DATABASE_URL`).
pub fn on_sqlite() -> bool {
    std::env::var("TEST_DATABASE_URL").map_or(true, |v| v.is_empty())
}

/// Tests act as the operator CLI does, with rights in any tenant.
pub fn tenant_scope(tenant: Uuid) -> calbridge::db::TenantScope {
    calbridge::db::TenantScope::for_cli(tenant)
}

pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start =
            self.body.find(marker).expect("page has a form with a CSRF token") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }
}

/// A cookie-keeping client that does not follow redirects, like a browser tab we can inspect.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Browser { base: format!("http://{}", app.addr), client, jar }
    }

    /// The value of a cookie the browser holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            pair.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.to_owned())
        })
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        let url = self.base.parse().unwrap();
        self.jar.add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }

    async fn page(mut response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let streaming = headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/event-stream"));
        let body = if streaming {
            // An event stream never ends: its first event (the snapshot) stands for the page.
            let mut body = String::new();
            while !(body.contains("event: snapshot") && body.ends_with("\n\n")) {
                match tokio::time::timeout(Duration::from_secs(10), response.chunk()).await {
                    Ok(Ok(Some(chunk))) => body.push_str(&String::from_utf8_lossy(&chunk)),
                    _ => break,
                }
            }
            body
        } else {
            response.text().await.unwrap_or_default()
        };
        Page { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Page {
        Browser::page(self.client.get(format!("{}{path}", self.base)).send().await.unwrap()).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Browser::page(req.send().await.unwrap()).await
    }

    /// Posts a form as it is, with whatever token the caller put in.
    pub async fn post_raw(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut req = self.client.post(format!("{}{path}", self.base)).form(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Browser::page(req.send().await.unwrap()).await
    }

    /// Posts a url-encoded body exactly as given, bytes and all.
    pub async fn post_bytes(&self, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Page {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Browser::page(req.send().await.unwrap()).await
    }

    /// Posts a form the way the browser would from `from`: with that page's token and a
    /// same-origin `Origin`.
    pub async fn submit(&self, from: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(from).await.csrf();
        self.post_with_token(action, &token, fields).await
    }

    pub async fn post_with_token(
        &self,
        action: &str,
        token: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", token));
        self.post_raw(action, &form, &[("origin", &self.base), ("sec-fetch-site", "same-origin")])
            .await
    }

    /// Posts a file upload form (multipart) as the browser would, with `token` as its CSRF
    /// field (`None`: left out).
    pub async fn upload(
        &self,
        action: &str,
        token: Option<&str>,
        file_name: &str,
        file: &[u8],
    ) -> Page {
        let boundary = "----calbridge-test-boundary-7d3f";
        let mut body = Vec::new();
        if let Some(token) = token {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = self
            .client
            .post(format!("{}{action}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
            .body(body);
        Browser::page(req.send().await.unwrap()).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        self.submit("/login", "/login", &[("email", email), ("password", password)]).await
    }
}

/// Everything the test process logs, from one global subscriber installed on first use.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn captured_logs() -> CapturedLogs {
    static LOGS: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn,calbridge=trace"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        logs
    })
    .clone()
}
