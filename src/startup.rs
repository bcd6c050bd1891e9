//! Builds the shared state and the HTTP server; binds port 0 in tests.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::auth::csrf::CsrfKey;
use crate::auth::password::PasswordService;
use crate::clock::Clock;
use crate::config::{Config, DatabaseTarget};
use crate::secrets::{Keyring, MasterKey};
use crate::services::AppState;
use crate::services::provider_registry::ProviderRegistry;
use crate::{db, web as portal};

/// The keys from the environment, or for the embedded database the key files next to it.
pub fn keyring(config: &Config) -> anyhow::Result<Keyring> {
    let mut previous = config
        .previous_master_keys
        .iter()
        .map(|k| {
            MasterKey::from_base64(k)
                .map_err(|m| anyhow::anyhow!("CALBRIDGE_MASTER_KEY_PREVIOUS {m}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(encoded) = &config.master_key {
        let current = MasterKey::from_base64(encoded)
            .map_err(|m| anyhow::anyhow!("CALBRIDGE_MASTER_KEY {m}"))?;
        return Ok(Keyring::new(current, previous));
    }
    let dir = key_file_dir(config)?;
    let (key, created) = MasterKey::load_or_create_file(&dir)?;
    if created {
        tracing::warn!(
            file = %dir.join("master.key").display(),
            "CALBRIDGE_MASTER_KEY is not set, so a master key file was generated. Back it up: \
             without it the stored client secrets cannot be decrypted. Set CALBRIDGE_MASTER_KEY \
             in production."
        );
    }
    previous.extend(MasterKey::load_rotation_leftovers(&dir)?);
    Ok(Keyring::new(key, previous))
}

/// Where the embedded database keeps its key files: next to the database file.
pub fn key_file_dir(config: &Config) -> anyhow::Result<std::path::PathBuf> {
    let DatabaseTarget::Sqlite(path) = &config.database else {
        anyhow::bail!("CALBRIDGE_MASTER_KEY is required with PostgreSQL");
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(&config.data_dir);
    Ok(dir.to_path_buf())
}

/// Applies pending migrations and disconnects (`calbridge migrate`).
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let conn = db::connect(&config.database).await?;
    db::migrate(&conn).await?;
    conn.close().await.context("closing the database connection")?;
    Ok(())
}

/// Connects, migrates and assembles everything the use cases share.
pub async fn build_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    let keyring = keyring(&config)?;
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    let mailer: Option<Arc<dyn crate::mail::Mailer>> = match (&config.smtp_url, &config.mail_from) {
        (Some(url), Some(from)) => Some(Arc::new(crate::mail::SmtpMailer::new(url, from)?)),
        _ => None,
    };
    crate::telemetry::install();
    Ok(AppState {
        db,
        mailer,
        hub: Arc::default(),
        presence_lists: Arc::default(),
        webhook_wake: Arc::default(),
        api_limiter: Arc::new(crate::services::api_tokens::RateLimiter::new(
            config.api_rate_per_minute,
        )),
        providers: Arc::new(ProviderRegistry::new(&config, clock.clone())),
        clock,
        csrf: CsrfKey::new(keyring.current().derive("csrf")),
        keyring: Arc::new(keyring),
        passwords: PasswordService::for_this_machine()?,
        sign_ins: Arc::default(),
        config: Arc::new(config),
    })
}

/// The running portal.
pub struct Application {
    addr: SocketAddr,
    server: Server,
    state: AppState,
    /// The separate `/metrics` listener, when `CALBRIDGE_METRICS_BIND` is set.
    metrics: Option<(SocketAddr, Server)>,
}

/// Serves only `/metrics`, on its own address (so it can stay inside the network).
fn metrics_server(state: &AppState, bind: SocketAddr) -> anyhow::Result<(SocketAddr, Server)> {
    let listener = TcpListener::bind(bind)
        .with_context(|| format!("binding the metrics listener to {bind}"))?;
    let addr = listener.local_addr()?;
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/metrics", web::get().to(portal::handlers::health::metrics_listener))
    })
    .workers(1)
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    Ok((addr, server))
}

impl Application {
    /// Binds `bind` (port 0 picks a free port) and starts serving with `workers` threads.
    pub fn start(state: AppState, bind: SocketAddr, workers: usize) -> anyhow::Result<Application> {
        let listener =
            TcpListener::bind(bind).with_context(|| format!("binding the portal to {bind}"))?;
        let addr = listener.local_addr()?;
        tokio::spawn(crate::services::stream::feed(state.clone()));
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .configure(portal::routes)
                .default_service(web::to(|| async {
                    Err::<actix_web::HttpResponse, _>(portal::error::AppError::NotFound)
                }))
                .wrap(from_fn(portal::middleware::request_context))
                .wrap(from_fn(portal::middleware::error_pages))
                .wrap(from_fn(portal::middleware::security_headers))
        })
        .workers(workers.max(1))
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        let metrics =
            state.config.metrics_bind.map(|bind| metrics_server(&state, bind)).transpose()?;
        Ok(Application { addr, server, state, metrics })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Where `/metrics` is served on its own, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(addr, _)| *addr)
    }

    /// Serves until stopped (SIGINT/SIGTERM, or [`ServerHandle::stop`]); the metrics
    /// listener stops with the portal.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((_, metrics)) = self.metrics else { return self.server.await };
        let metrics_handle = metrics.handle();
        let metrics_task = tokio::spawn(metrics);
        let served = self.server.await;
        metrics_handle.stop(true).await;
        let _ = metrics_task.await;
        served
    }
}
