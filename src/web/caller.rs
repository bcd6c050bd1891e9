//! Who is calling, and which address of ours they used.
//!
//! Headers a client can write (`Host` aside) are believed only when the connection comes from a
//! proxy named in `CALBRIDGE_TRUSTED_PROXIES`: otherwise anyone could pick the address that
//! the per-address sign-in limit and the audit trail see, or make the portal print invitation
//! links to a host of theirs. `CALBRIDGE_PUBLIC_URL`, when set, is our address, whatever a
//! request says.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{self, HeaderMap};

use crate::config::Config;

/// The client and our own origin, as far as this request can be trusted to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub ip: Option<IpAddr>,
    /// `scheme://host[:port]`, the origin forms must come from.
    pub origin: String,
    /// Where links to the portal point: the public URL as configured (a path included), else
    /// the origin.
    pub base_url: String,
}

/// What the connection itself says, before any header.
pub struct Connection<'a> {
    pub peer: Option<SocketAddr>,
    pub local: SocketAddr,
    pub headers: &'a HeaderMap,
}

pub fn resolve(connection: &Connection<'_>, config: &Config) -> Caller {
    let peer = connection.peer.map(|a| a.ip().to_canonical());
    let trusted = |ip: &IpAddr| config.trusted_proxies.iter().any(|p| p.contains(ip));
    let forwarded = peer.filter(|p| trusted(p)).map(|_| Forwarded::read(connection.headers));
    let ip = match &forwarded {
        // The nearest address that is not one of our proxies; if all are, the farthest.
        Some(f) if !f.chain.is_empty() => {
            f.chain.iter().rev().find(|ip| !trusted(ip)).or(f.chain.first()).copied()
        }
        _ => peer,
    };
    let origin = match &config.public_url {
        Some(url) => url.origin().ascii_serialization(),
        None => forwarded
            .as_ref()
            .and_then(|f| f.host.as_deref().map(|h| (f.proto.as_deref().unwrap_or("http"), h)))
            .and_then(|(scheme, host)| origin_of(scheme, host))
            .or_else(|| {
                let host = connection.headers.get(header::HOST)?.to_str().ok()?;
                origin_of("http", host)
            })
            .unwrap_or_else(|| format!("http://{}", connection.local)),
    };
    let base_url = match &config.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => origin.clone(),
    };
    Caller { ip, origin, base_url }
}

/// Whether an `Origin` header names `ours`. A header that is not ASCII, or not an origin,
/// is somebody else's.
pub fn is_origin(header: &header::HeaderValue, ours: &str) -> bool {
    header
        .to_str()
        .ok()
        .and_then(|v| url::Url::parse(v).ok())
        .is_some_and(|url| url.origin().ascii_serialization() == ours)
}

/// `scheme://host[:port]` for a host as a header names it, if it is one.
fn origin_of(scheme: &str, host: &str) -> Option<String> {
    let scheme = scheme.trim().to_ascii_lowercase();
    let host = host.trim();
    let plain = host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if !matches!(scheme.as_str(), "http" | "https") || host.is_empty() || !plain {
        return None;
    }
    let url = url::Url::parse(&format!("{scheme}://{host}/")).ok()?;
    url.host_str()?;
    Some(url.origin().ascii_serialization())
}

/// What a trusted proxy says about the request it forwards.
#[derive(Debug, Default, PartialEq, Eq)]
struct Forwarded {
    /// Client first, then each proxy on the way.
    chain: Vec<IpAddr>,
    host: Option<String>,
    proto: Option<String>,
}

impl Forwarded {
    /// RFC 7239 `Forwarded` when present, else the `X-Forwarded-*` headers. Where a proxy
    /// appended to what the client sent, the proxy's value is the last one.
    fn read(headers: &HeaderMap) -> Forwarded {
        let values = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let standard = values("forwarded");
        if !standard.is_empty() {
            let mut out = Forwarded::default();
            for element in &standard {
                for pair in element.split(';') {
                    let Some((key, value)) = pair.split_once('=') else { continue };
                    let value = value.trim().trim_matches('"');
                    match key.trim().to_ascii_lowercase().as_str() {
                        "for" => out.chain.extend(node_ip(value)),
                        "host" => out.host = Some(value.to_owned()),
                        "proto" => out.proto = Some(value.to_owned()),
                        _ => {}
                    }
                }
            }
            return out;
        }
        Forwarded {
            chain: values("x-forwarded-for").iter().filter_map(|v| node_ip(v)).collect(),
            host: values("x-forwarded-host").pop(),
            proto: values("x-forwarded-proto").pop(),
        }
    }
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`.
fn node_ip(value: &str) -> Option<IpAddr> {
    let value = value.trim();
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    value.strip_prefix('[')?.split(']').next()?.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn config(proxies: &str, public_url: Option<&str>) -> Config {
        let mut vars = vec![("CALBRIDGE_TRUSTED_PROXIES", proxies.to_owned())];
        if let Some(url) = public_url {
            vars.push(("CALBRIDGE_PUBLIC_URL", url.to_owned()));
        }
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()))
            .unwrap()
    }

    fn caller(peer: &str, headers: &[(&str, &str)], config: &Config) -> Caller {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let connection = Connection {
            peer: Some(peer.parse().unwrap()),
            local: "127.0.0.1:8080".parse().unwrap(),
            headers: &map,
        };
        resolve(&connection, config)
    }

    #[test]
    fn without_trusted_proxies_only_the_connection_counts() {
        let c = config("", None);
        let headers = [
            ("host", "portal.hansen.dk:8443"),
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-host", "evil.example"),
            ("forwarded", "for=203.0.113.9;host=evil.example;proto=https"),
        ];
        let seen = caller("198.51.100.2:5000", &headers, &c);
        assert_eq!(seen.ip, Some("198.51.100.2".parse().unwrap()));
        assert_eq!(seen.origin, "http://portal.hansen.dk:8443");
        // A Host that is not a host name falls back to our own address.
        let odd = caller("198.51.100.2:5000", &[("host", "a/b@evil.example")], &c);
        assert_eq!(odd.origin, "http://127.0.0.1:8080");
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_the_host() {
        let c = config("10.0.0.0/8", None);
        let headers = [
            ("host", "10.0.0.2:8080"),
            ("x-forwarded-for", "192.0.2.66, 203.0.113.7, 10.0.0.9"),
            ("x-forwarded-host", "portal.hansen.dk"),
            ("x-forwarded-proto", "https"),
        ];
        let seen = caller("10.0.0.1:5000", &headers, &c);
        // The client may have written 192.0.2.66 itself; 203.0.113.7 is what our proxy saw.
        assert_eq!(seen.ip, Some("203.0.113.7".parse().unwrap()));
        assert_eq!(seen.origin, "https://portal.hansen.dk");
        let standard = caller(
            "10.0.0.1:5000",
            &[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https;host=portal.hansen.dk")],
            &c,
        );
        assert_eq!(standard.ip, Some("2001:db8::1".parse().unwrap()));
        assert_eq!(standard.origin, "https://portal.hansen.dk");
    }

    #[test]
    fn the_public_url_is_our_origin() {
        let c = config("10.0.0.0/8", Some("https://calbridge.hansen.dk/portal/"));
        let seen = caller("10.0.0.1:5000", &[("x-forwarded-host", "evil.example")], &c);
        assert_eq!(seen.origin, "https://calbridge.hansen.dk");
        assert_eq!(seen.base_url, "https://calbridge.hansen.dk/portal");
    }

    #[test]
    fn origins_compare_as_origins() {
        let ours = "https://portal.hansen.dk";
        assert!(is_origin(&HeaderValue::from_static("https://portal.hansen.dk"), ours));
        assert!(is_origin(&HeaderValue::from_static("https://PORTAL.hansen.dk:443"), ours));
        assert!(!is_origin(&HeaderValue::from_static("https://portal.hansen.dk.evil"), ours));
        assert!(!is_origin(&HeaderValue::from_static("null"), ours));
        assert!(!is_origin(&HeaderValue::from_bytes(b"https://\xc3\xa6.dk").unwrap(), ours));
    }
}
