//! HTTPS in front of the simulator, for clients that refuse plain http (EWS): a CA made at
//! start-up, a leaf for `localhost` and `127.0.0.1` signed by it, and a listener that ends
//! TLS and pipes each connection to the plain listener. One TLS connection is one plain
//! connection, so NTLM's per-connection sign-in survives the hop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// A slow or silent client must not hold a task forever before it has said anything.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct TlsIdentity {
    /// The CA certificate a client trusts (what a tenant pastes).
    pub ca_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

pub fn generate() -> anyhow::Result<TlsIdentity> {
    let ca_key = KeyPair::generate().context("cannot make the CA key")?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "calbridge Microsoft 365 simulator CA");
    ca.distinguished_name.push(DnType::OrganizationName, "calbridge simulator");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).context("cannot sign the CA")?;
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate().context("cannot make the server key")?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert =
        leaf.signed_by(&leaf_key, &issuer).context("cannot sign the server certificate")?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("no TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone(), ca_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .context("cannot use the server certificate")?;
    // The plain listener speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsIdentity { ca_pem: ca_cert.pem(), config: Arc::new(config) })
}

/// Accepts TLS connections on `listener` and pipes each to `upstream` until `shutdown`.
pub fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    upstream: SocketAddr,
    shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        let mut stopping = shutdown.clone();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stopping.wait_for(|stop| *stop) => break,
            };
            let Ok((stream, _)) = accepted else {
                // Out of file descriptors and the like: let the moment pass.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let acceptor = acceptor.clone();
            let mut stopping = shutdown.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = pipe(acceptor, stream, upstream) => {}
                    _ = stopping.wait_for(|stop| *stop) => {}
                }
            });
        }
    })
}

async fn pipe(acceptor: TlsAcceptor, stream: TcpStream, upstream: SocketAddr) {
    let Ok(Ok(mut tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    let Ok(mut plain) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = plain.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_a_ca_and_a_usable_server_config() {
        let identity = generate().unwrap();
        assert!(identity.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(identity.config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
