//! Where webhooks may go: `https://` to public addresses, checked when an endpoint is saved
//! and again at every connection (a name may resolve elsewhere later), never following
//! redirects. `CALBRIDGE_WEBHOOK_ALLOW_PRIVATE` lifts both rules for the demo and tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub use crate::outbound::literal_allowed;
use crate::outbound::{PublicOnly, is_public};
use crate::services::Invalid;

/// Longest URL accepted.
const MAX_URL: usize = 2_000;

/// Checks an endpoint URL as an admin typed it; resolves its host to check where it points.
pub async fn check(raw: &str, allow_private: bool) -> Result<Url, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::Required);
    }
    if raw.len() > MAX_URL {
        return Err(Invalid::TooLong(MAX_URL));
    }
    let url = Url::parse(raw).map_err(|_| Invalid::WebhookUrl)?;
    let scheme_ok = url.scheme() == "https" || (allow_private && url.scheme() == "http");
    if !scheme_ok {
        return Err(Invalid::WebhookHttps);
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(Invalid::WebhookUrl);
    }
    let Some(host) = url.host_str() else { return Err(Invalid::WebhookUrl) };
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> =
        tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| Invalid::WebhookUnresolvable)?
            .map_err(|_| Invalid::WebhookUnresolvable)?
            .collect();
    if addresses.is_empty() {
        return Err(Invalid::WebhookUnresolvable);
    }
    if !addresses.iter().all(|a| is_public(a.ip())) {
        return Err(Invalid::WebhookPrivate);
    }
    Ok(url)
}

/// The HTTP client deliveries use: no redirects, `timeout` per attempt, public addresses
/// only unless `allow_private`.
pub fn client(allow_private: bool, timeout: Duration) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("calbridge-webhooks/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn only_https_to_public_hosts_unless_allowed() {
        assert_eq!(check("http://example.com/hook", false).await, Err(Invalid::WebhookHttps));
        assert_eq!(check("https://127.0.0.1/hook", false).await, Err(Invalid::WebhookPrivate));
        assert_eq!(check("https://[::1]:8443/hook", false).await, Err(Invalid::WebhookPrivate));
        assert_eq!(check("https://localhost/hook", false).await, Err(Invalid::WebhookPrivate));
        assert_eq!(check("https://user:pw@example.com/", false).await, Err(Invalid::WebhookUrl));
        assert_eq!(check("not a url", false).await, Err(Invalid::WebhookUrl));
        assert!(check("http://127.0.0.1:9/hook", true).await.is_ok());
    }
}
