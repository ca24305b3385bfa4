//! TLS transport for the broker connection: rustls with the `ring` crypto
//! provider (no C toolchain needed), a private CA (or the system's roots when
//! none is configured) and optional client certificates (mutual TLS), from
//! PEM files.

use crate::config::BrokerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// A TLS setup that cannot be built, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("broker TLS: {0}")]
pub struct TlsError(pub String);

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let v: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| TlsError(format!("{}: {e}", path.display())))?
        .collect();
    let v = v.map_err(|e| TlsError(format!("{}: {e}", path.display())))?;
    if v.is_empty() {
        return Err(TlsError(format!("{}: no PEM certificate", path.display())));
    }
    Ok(v)
}

/// The rustls client configuration for `b`.
pub fn client_config(b: &BrokerConfig) -> Result<rustls::ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    match &b.ca {
        Some(ca) => {
            for c in certs(ca)? {
                roots
                    .add(c)
                    .map_err(|e| TlsError(format!("{}: {e}", ca.display())))?;
            }
        }
        None => {
            return Err(TlsError(
                "mqtts:// needs broker.ca (a private CA certificate, PEM)".into(),
            ))
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?
        .with_root_certificates(roots);
    match &b.client_auth {
        Some((cert, key)) => {
            let chain = certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| TlsError(format!("{}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TlsError(e.to_string()))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// The transport for `b`: `None` for plain TCP.
pub fn transport(b: &BrokerConfig) -> Result<Option<rumqttc::Transport>, TlsError> {
    if !b.tls {
        return Ok(None);
    }
    let cfg = client_config(b)?;
    Ok(Some(rumqttc::Transport::tls_with_config(
        rumqttc::TlsConfiguration::Rustls(Arc::new(cfg)),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn broker(ca: Option<&Path>) -> BrokerConfig {
        BrokerConfig {
            host: "h".into(),
            port: 8883,
            tls: true,
            ca: ca.map(Path::to_path_buf),
            client_auth: None,
            keep_alive: Duration::from_secs(30),
            max_inflight: 10,
        }
    }

    #[test]
    fn refuses_missing_or_bad_ca() {
        assert!(transport(&broker(None)).is_err());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "not a certificate").unwrap();
        let Err(e) = transport(&broker(Some(&p))) else {
            panic!("a bad CA must be refused")
        };
        assert!(e.to_string().contains("ca.pem"), "{e}");
        let mut plain = broker(None);
        plain.tls = false;
        assert!(transport(&plain).unwrap().is_none());
    }
}
