//! TLS with rustls: the server's certificate and key from PEM files, and, for mutual TLS, the CA that client
//! certificates must chain to. A reload (SIGHUP) reads all three again: new handshakes get the new ones, open
//! connections keep theirs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{RootCertStore, ServerConfig};

use crate::config::TlsConfig;
use crate::live::Live;

/// Why TLS could not be set up. Each names the file and says what it should hold.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file holds no usable PEM certificate.
    #[error("tls: {path} has no PEM certificate (\"-----BEGIN CERTIFICATE-----\"): {reason}")]
    Certificates {
        /// The file.
        path: PathBuf,
        /// What went wrong reading it.
        reason: String,
    },
    /// The key file holds no usable PEM private key.
    #[error("tls.key: {path} has no PEM private key (PKCS#8, PKCS#1 or SEC1): {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What went wrong reading it.
        reason: String,
    },
    /// rustls refused the combination (a key that does not match the certificate, a bad CA).
    #[error(
        "tls: {0}; check that tls.key belongs to tls.cert and that tls.client_ca holds CA certificates"
    )]
    Rustls(String),
}

/// The rustls configuration that new handshakes use: certificate, key and client CA. A reload replaces it whole.
#[derive(Debug)]
pub struct Tls {
    current: Live<ServerConfig>,
}

impl Tls {
    /// Loads `tls`'s files, or `None` when TLS is off.
    pub fn load(tls: &TlsConfig) -> Result<Option<Tls>, TlsError> {
        if !tls.enabled() {
            return Ok(None);
        }
        Ok(Some(Tls {
            current: Live::new(server_config(tls)?),
        }))
    }

    /// The configuration for a new handshake.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current.get()
    }

    /// Reads `tls.cert`, `tls.key` and `tls.client_ca` again; on any error the configuration in use stays.
    ///
    /// SECURITY: the new configuration comes with a new, empty store of TLS sessions, so a client cannot resume a
    /// session made under the old client CA and skip the check of its certificate against the new one.
    pub fn reload(&self, tls: &TlsConfig) -> Result<(), TlsError> {
        self.current.set(server_config(tls)?);
        Ok(())
    }
}

/// The certificate chain and key of `tls`, checked to belong together.
fn certified_key(tls: &TlsConfig, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let (Some(cert), Some(key)) = (&tls.cert, &tls.key) else {
        return Err(TlsError::Rustls("tls.cert and tls.key are needed".into()));
    };
    let chain = certificates(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.to_owned(),
        reason: e.to_string(),
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| TlsError::Rustls(e.to_string()))
}

/// The rustls configuration for `tls`, which has TLS on.
fn server_config(tls: &TlsConfig) -> Result<ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = certified_key(tls, &provider)?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    let builder = match &tls.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in certificates(ca)? {
                roots.add(cert).map_err(|e| {
                    TlsError::Rustls(format!("tls.client_ca {}: {e}", ca.display()))
                })?;
            }
            // SECURITY: with a client CA, a client without a certificate that chains to it does not get past the
            // handshake, so it never reaches the HTTP routes at all.
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Rustls(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(key)));
    // SECURITY: HTTP/1.1 only (see `handshake`). A client that offers only `h2` is refused with a
    // `no_application_protocol` alert; browsers and curl offer `http/1.1` too, and get it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let error = |reason: String| TlsError::Certificates {
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| error(e.to_string()))?;
    if certs.is_empty() {
        return Err(error("the file has none".into()));
    }
    Ok(certs)
}
