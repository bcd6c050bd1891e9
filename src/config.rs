//! Typed settings from the environment, validated once at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// Where the embedded database lives unless `DATABASE_URL` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "data";
const DEFAULT_SQLITE_FILE: &str = "calbridge.db";
const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";
const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(variable: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError { variable, message: message.into() }
    }
}

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// An SQLite file; its folder is created on first start.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl DatabaseTarget {
    pub fn parse(raw: &str) -> Result<DatabaseTarget, String> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Url::parse(raw).map_err(|e| format!("not a valid PostgreSQL URL ({e})"))?;
            return Ok(DatabaseTarget::Postgres(raw.to_owned()));
        }
        if let Some(rest) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("the SQLite URL names no file (e.g. sqlite://data/calbridge.db)".into());
            }
            return Ok(DatabaseTarget::Sqlite(PathBuf::from(path)));
        }
        Err("expected postgres://user@host/db or sqlite://path/to/file.db".into())
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, DatabaseTarget::Sqlite(_))
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database: DatabaseTarget,
    /// The address users reach the portal at; used for invite links, cookie security and
    /// the same-origin check. Derived from the request when absent.
    pub public_url: Option<Url>,
    /// Base64 of 32 bytes; when absent the embedded default generates a key file.
    pub master_key: Option<SecretString>,
    /// Earlier master keys, still accepted for decryption while `keys rotate` runs.
    pub previous_master_keys: Vec<SecretString>,
    pub data_dir: PathBuf,
    pub ms_login_url: Url,
    pub ms_graph_url: Url,
    pub sync_interval: Duration,
    /// How long a tenant stays claimed by an instance that stopped renewing (crashed).
    pub lease: Duration,
    /// How often a running sync renews its lease; at most half the lease.
    pub heartbeat: Duration,
    /// For one HTTP exchange with Microsoft, retries not included.
    pub http_timeout: Duration,
    /// A tenant's sync running longer than this is abandoned and recorded as timed out.
    pub sync_deadline: Duration,
    /// Reverse proxies whose `X-Forwarded-*`/`Forwarded` headers are believed. Nobody's by
    /// default: the client is the peer of the TCP connection, the host its `Host` header.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// `CALBRIDGE_ENV=production`: settings that are only advisable elsewhere become required.
    pub production: bool,
    /// SMTP server for invitations and alerts (`CALBRIDGE_SMTP_URL`); without it, nothing is
    /// e-mailed and links are shown on screen only. May hold a password.
    pub smtp_url: Option<SecretString>,
    /// The sender of those e-mails (`CALBRIDGE_MAIL_FROM`).
    pub mail_from: Option<String>,
    /// Requests per minute one API token may make (`CALBRIDGE_API_RATE_PER_MINUTE`).
    pub api_rate_per_minute: u32,
    /// Webhooks may go to `http://` and to loopback or private addresses (demo and tests).
    pub webhook_allow_private: bool,
    /// Exchange on-premises servers may be on loopback or private addresses, or `http://`
    /// (`CALBRIDGE_EWS_ALLOW_PRIVATE`): for installations inside the customer's network.
    pub ews_allow_private: bool,
    /// The bearer token `/metrics` asks for (`CALBRIDGE_METRICS_TOKEN`).
    pub metrics_token: Option<SecretString>,
    /// A separate address serving only `/metrics` (`CALBRIDGE_METRICS_BIND`).
    pub metrics_bind: Option<SocketAddr>,
}

/// An address or network (`10.0.0.5`, `10.0.0.0/8`, `::1`) whose forwarded headers count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(ipnet::IpNet);

impl TrustedProxy {
    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        self.0.contains(&ipnet::IpNet::from(ip.to_canonical()))
    }
}

impl std::str::FromStr for TrustedProxy {
    type Err = String;

    fn from_str(raw: &str) -> Result<TrustedProxy, String> {
        let raw = raw.trim();
        raw.parse::<ipnet::IpNet>()
            .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map(|net| TrustedProxy(net.trunc()))
            .map_err(|_| format!("'{raw}' is not an IP address or network such as 10.0.0.0/8"))
    }
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let bind = match get("CALBRIDGE_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(raw) => raw.trim().parse().map_err(|_| {
                ConfigError::new(
                    "CALBRIDGE_BIND",
                    format!("'{raw}' is not an address and port such as 127.0.0.1:8080"),
                )
            })?,
        };
        let data_dir = PathBuf::from(DEFAULT_DATA_DIR);
        let database = match get("DATABASE_URL") {
            None => DatabaseTarget::Sqlite(data_dir.join(DEFAULT_SQLITE_FILE)),
            Some(raw) => DatabaseTarget::parse(raw.trim())
                .map_err(|m| ConfigError::new("DATABASE_URL", m))?,
        };
        let public_url = get("CALBRIDGE_PUBLIC_URL")
            .map(|raw| parse_http_url("CALBRIDGE_PUBLIC_URL", &raw))
            .transpose()?;
        let master_key = get("CALBRIDGE_MASTER_KEY").map(SecretString::from);
        if let Some(key) = &master_key {
            crate::secrets::MasterKey::from_base64(key)
                .map_err(|m| ConfigError::new("CALBRIDGE_MASTER_KEY", m))?;
        } else if !database.is_sqlite() {
            return Err(ConfigError::new(
                "CALBRIDGE_MASTER_KEY",
                "is required with PostgreSQL, and must be the same on every instance \
                 (generate one with: openssl rand -base64 32)",
            ));
        }
        let previous_master_keys: Vec<SecretString> = get("CALBRIDGE_MASTER_KEY_PREVIOUS")
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| SecretString::from(k.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        for key in &previous_master_keys {
            crate::secrets::MasterKey::from_base64(key)
                .map_err(|m| ConfigError::new("CALBRIDGE_MASTER_KEY_PREVIOUS", m))?;
        }
        let ms_login_url = get("CALBRIDGE_MS_LOGIN_URL")
            .map(|raw| parse_http_url("CALBRIDGE_MS_LOGIN_URL", &raw))
            .transpose()?
            .map_or_else(|| parse_http_url("CALBRIDGE_MS_LOGIN_URL", DEFAULT_LOGIN_URL), Ok)?;
        let ms_graph_url = get("CALBRIDGE_MS_GRAPH_URL")
            .map(|raw| parse_http_url("CALBRIDGE_MS_GRAPH_URL", &raw))
            .transpose()?
            .map_or_else(|| parse_http_url("CALBRIDGE_MS_GRAPH_URL", DEFAULT_GRAPH_URL), Ok)?;
        let seconds = |variable, default, range| seconds(&get, variable, default, range);
        let sync_interval = seconds("CALBRIDGE_SYNC_INTERVAL_SECS", 60, 5..=86_400)?;
        let lease = seconds("CALBRIDGE_LEASE_SECS", 15, 3..=3_600)?;
        let heartbeat = seconds("CALBRIDGE_HEARTBEAT_SECS", 5, 1..=1_200)?;
        if heartbeat * 2 > lease {
            return Err(ConfigError::new(
                "CALBRIDGE_HEARTBEAT_SECS",
                format!(
                    "{} s is more than half the lease ({} s): one late heartbeat would hand a \
                     running sync to another instance",
                    heartbeat.as_secs(),
                    lease.as_secs()
                ),
            ));
        }
        let http_timeout = seconds("CALBRIDGE_HTTP_TIMEOUT_SECS", 30, 1..=600)?;
        let sync_deadline = seconds("CALBRIDGE_SYNC_DEADLINE_SECS", 120, 5..=3_600)?;
        let trusted_proxies = get("CALBRIDGE_TRUSTED_PROXIES")
            .map(|raw| {
                raw.split(',')
                    .filter(|p| !p.trim().is_empty())
                    .map(str::parse)
                    .collect::<Result<Vec<TrustedProxy>, String>>()
            })
            .transpose()
            .map_err(|m| ConfigError::new("CALBRIDGE_TRUSTED_PROXIES", m))?
            .unwrap_or_default();
        let production = match get("CALBRIDGE_ENV").map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "production" => true,
            Some(v) if v == "development" => false,
            Some(v) => {
                return Err(ConfigError::new(
                    "CALBRIDGE_ENV",
                    format!("'{v}' is neither production nor development"),
                ));
            }
        };
        let smtp_url = get("CALBRIDGE_SMTP_URL").map(SecretString::from);
        let mail_from = get("CALBRIDGE_MAIL_FROM").map(|f| f.trim().to_owned());
        if let Some(url) = &smtp_url {
            let from = mail_from.as_deref().ok_or_else(|| {
                ConfigError::new("CALBRIDGE_MAIL_FROM", "is required with CALBRIDGE_SMTP_URL")
            })?;
            crate::mail::SmtpMailer::new(url, from).map_err(|e| match e {
                crate::mail::MailSettingsError::Url(_) => {
                    ConfigError::new("CALBRIDGE_SMTP_URL", e.to_string())
                }
                crate::mail::MailSettingsError::From(_) => {
                    ConfigError::new("CALBRIDGE_MAIL_FROM", e.to_string())
                }
            })?;
        }
        let api_rate_per_minute = match get("CALBRIDGE_API_RATE_PER_MINUTE") {
            None => 600,
            Some(raw) => {
                raw.trim().parse::<u32>().ok().filter(|n| (1..=1_000_000).contains(n)).ok_or_else(
                    || {
                        ConfigError::new(
                            "CALBRIDGE_API_RATE_PER_MINUTE",
                            format!("'{raw}' is not a whole number between 1 and 1000000"),
                        )
                    },
                )?
            }
        };
        let webhook_allow_private = flag(&get, "CALBRIDGE_WEBHOOK_ALLOW_PRIVATE")?;
        let ews_allow_private = flag(&get, "CALBRIDGE_EWS_ALLOW_PRIVATE")?;
        let metrics_token =
            get("CALBRIDGE_METRICS_TOKEN").map(|t| SecretString::from(t.trim().to_owned()));
        if metrics_token
            .as_ref()
            .is_some_and(|t| secrecy::ExposeSecret::expose_secret(t).len() < 16)
        {
            return Err(ConfigError::new(
                "CALBRIDGE_METRICS_TOKEN",
                "is shorter than 16 characters; use a long random value (openssl rand -hex 24)",
            ));
        }
        let metrics_bind = get("CALBRIDGE_METRICS_BIND")
            .map(|raw| {
                raw.trim().parse::<SocketAddr>().map_err(|_| {
                    ConfigError::new(
                        "CALBRIDGE_METRICS_BIND",
                        format!("'{raw}' is not an address and port such as 127.0.0.1:9090"),
                    )
                })
            })
            .transpose()?;
        Ok(Config {
            api_rate_per_minute,
            webhook_allow_private,
            ews_allow_private,
            metrics_token,
            metrics_bind,
            bind,
            database,
            public_url,
            master_key,
            previous_master_keys,
            data_dir,
            ms_login_url,
            ms_graph_url,
            sync_interval,
            lease,
            heartbeat,
            http_timeout,
            sync_deadline,
            trusted_proxies,
            production,
            smtp_url,
            mail_from,
        })
    }

    /// Why `serve` must not start with these settings, if it must not.
    pub fn refuse_to_serve(&self) -> Option<String> {
        (self.production && self.public_url.is_none()).then(|| {
            "CALBRIDGE_PUBLIC_URL: is required with CALBRIDGE_ENV=production; set it to the \
             address users reach the portal at, e.g. https://calbridge.example.dk"
                .to_owned()
        })
    }

    /// Whether cookies must carry `Secure` (the portal is served over https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_ref().is_some_and(|u| u.scheme() == "https")
    }
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`); `false` when unset.
fn flag(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<bool, ConfigError> {
    match get(variable).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => {
            Err(ConfigError::new(variable, format!("'{other}' is neither true nor false")))
        }
    }
}

/// A whole number of seconds within `range`, or `default` when unset.
fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    let Some(raw) = get(variable) else { return Ok(Duration::from_secs(default)) };
    match raw.trim().parse::<u64>() {
        Ok(secs) if range.contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(ConfigError::new(
            variable,
            format!(
                "'{raw}' is not a whole number of seconds between {} and {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

fn parse_http_url(variable: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| ConfigError::new(variable, format!("'{raw}' is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(variable, format!("'{raw}' must be an http(s):// URL")));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_use_embedded_sqlite_on_localhost() {
        let c = config(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database, DatabaseTarget::Sqlite(PathBuf::from("data/calbridge.db")));
        assert_eq!(c.sync_interval, Duration::from_secs(60));
        assert_eq!((c.lease, c.heartbeat), (Duration::from_secs(15), Duration::from_secs(5)));
        assert_eq!(c.http_timeout, Duration::from_secs(30));
        assert_eq!(c.sync_deadline, Duration::from_secs(120));
        assert!(!c.secure_cookies());
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("CALBRIDGE_BIND", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("CALBRIDGE_PUBLIC_URL", "ftp://x"),
            ("CALBRIDGE_MASTER_KEY", "c2hvcnQ="),
            ("CALBRIDGE_MS_GRAPH_URL", "graph"),
            ("CALBRIDGE_SYNC_INTERVAL_SECS", "0"),
            ("CALBRIDGE_LEASE_SECS", "15s"),
            ("CALBRIDGE_HEARTBEAT_SECS", "10"),
            ("CALBRIDGE_HTTP_TIMEOUT_SECS", "0"),
            ("CALBRIDGE_SYNC_DEADLINE_SECS", "-1"),
            ("CALBRIDGE_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
            ("CALBRIDGE_ENV", "prod"),
            ("CALBRIDGE_API_RATE_PER_MINUTE", "0"),
            ("CALBRIDGE_WEBHOOK_ALLOW_PRIVATE", "maybe"),
            ("CALBRIDGE_EWS_ALLOW_PRIVATE", "perhaps"),
            ("CALBRIDGE_METRICS_TOKEN", "short"),
            ("CALBRIDGE_METRICS_BIND", "metrics"),
        ] {
            let err = config(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var);
            assert!(err.to_string().starts_with(var));
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let c = config(&[("CALBRIDGE_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7 ,::1")]).unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert!(c.trusted_proxies[0].contains(&ip("10.20.30.40")));
        assert!(!c.trusted_proxies[0].contains(&ip("11.0.0.1")));
        assert!(c.trusted_proxies[1].contains(&ip("192.0.2.7")));
        assert!(!c.trusted_proxies[1].contains(&ip("192.0.2.8")));
        assert!(c.trusted_proxies[2].contains(&ip("::1")));
        // An IPv4 peer seen through an IPv6 socket is still that IPv4 address.
        assert!(c.trusted_proxies[1].contains(&ip("::ffff:192.0.2.7")));
        assert!(config(&[]).unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn smtp_needs_a_sender_and_a_usable_url() {
        let err = config(&[("CALBRIDGE_SMTP_URL", "smtp://mail.example.dk:25")]).unwrap_err();
        assert_eq!(err.variable, "CALBRIDGE_MAIL_FROM");
        let err = config(&[
            ("CALBRIDGE_SMTP_URL", "smtp://mail.example.dk:25"),
            ("CALBRIDGE_MAIL_FROM", "not a mailbox"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "CALBRIDGE_MAIL_FROM");
        let err = config(&[
            ("CALBRIDGE_SMTP_URL", "ftp://user:hunter2@mail.example.dk"),
            ("CALBRIDGE_MAIL_FROM", "calbridge <noreply@example.dk>"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "CALBRIDGE_SMTP_URL");
        assert!(!err.to_string().contains("hunter2"), "the password stays out of the message");
        let ok = config(&[
            ("CALBRIDGE_SMTP_URL", "smtp://user:pw@mail.example.dk:587?tls=required"),
            ("CALBRIDGE_MAIL_FROM", "calbridge <noreply@example.dk>"),
        ])
        .unwrap();
        assert!(ok.smtp_url.is_some());
    }

    #[test]
    fn production_requires_the_public_url() {
        assert!(config(&[]).unwrap().refuse_to_serve().is_none());
        let c = config(&[("CALBRIDGE_ENV", "production")]).unwrap();
        assert!(c.refuse_to_serve().unwrap().starts_with("CALBRIDGE_PUBLIC_URL"));
        let c = config(&[
            ("CALBRIDGE_ENV", "Production"),
            ("CALBRIDGE_PUBLIC_URL", "https://calbridge.example.dk"),
        ])
        .unwrap();
        assert!(c.refuse_to_serve().is_none());
    }

    #[test]
    fn postgres_requires_a_master_key() {
        let err = config(&[("DATABASE_URL", "postgres://postgres@127.0.0.1/db")]).unwrap_err();
        assert_eq!(err.variable, "CALBRIDGE_MASTER_KEY");
    }
}
