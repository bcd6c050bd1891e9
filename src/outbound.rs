//! Where outbound calls to addresses that customers type (webhook endpoints, Exchange
//! servers) may go: public addresses only, unless the installation says otherwise. Checked
//! at every connection, because a name may resolve elsewhere later.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

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

/// Resolves names to public addresses only: a name that points anywhere else fails.
#[derive(Debug)]
pub struct PublicOnly;

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
