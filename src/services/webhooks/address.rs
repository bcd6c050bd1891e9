//! Where webhooks may go: `https://` to public addresses, checked when an endpoint is saved
//! and again at every connection (a name may resolve elsewhere later), never following
//! redirects. `CALBRIDGE_WEBHOOK_ALLOW_PRIVATE` lifts both rules for the demo and tests.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::services::Invalid;

/// Longest URL accepted.
const MAX_URL: usize = 2_000;

/// Whether an address is reachable on the public internet (not loopback, private,
/// link-local, shared, documentation, multicast or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    let blocked: &[&str] = &[
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "64:ff9b::/96",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    ];
    let ip = ip.to_canonical();
    !blocked.iter().filter_map(|net| net.parse::<ipnet::IpNet>().ok()).any(|net| net.contains(&ip))
}

/// Checks an endpoint URL as an admin typed it; resolves its host to check where it points.
pub async fn check(raw: &str, allow_private: bool) -> Result<Url, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::Required);
    }
    if raw.len() > MAX_URL {
        return Err(Invalid::TooLong);
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

/// Resolves names to public addresses only: a name that points anywhere else fails.
#[derive(Debug)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if found.is_empty() || !found.iter().all(|a| is_public(a.ip())) {
                return Err(
                    format!("{} does not resolve to public addresses only", name.as_str()).into()
                );
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
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

/// Whether a URL may be called now: an address written in the URL itself is not resolved,
/// so it is checked here.
pub fn literal_allowed(url: &Url, allow_private: bool) -> bool {
    if allow_private {
        return true;
    }
    if url.scheme() != "https" {
        return false;
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => true,
        None => false,
    }
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
