//! What the TLS tests share: PEM files made with rcgen (a server certificate, a CA for client certificates) and a
//! rustls client that GETs over TLS.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::parse_response;
use crate::support::{PATIENCE, TestServer};

/// A directory of its own for one test's PEM files; removed when dropped.
pub struct Pems(PathBuf);

impl Pems {
    pub fn new(name: &str) -> Pems {
        let dir = std::env::temp_dir().join(format!("webterm-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Pems(dir)
    }

    pub fn write(&self, file: &str, pem: &str) -> PathBuf {
        let path = self.0.join(file);
        std::fs::write(&path, pem).unwrap();
        path
    }
}

impl Drop for Pems {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A self-signed server certificate for localhost; returns (cert path, key path, the cert to trust).
pub fn server_cert(pems: &Pems) -> (PathBuf, PathBuf, CertificateDer<'static>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = pems.write("cert.pem", &certified.cert.pem());
    let key = pems.write("key.pem", &certified.signing_key.serialize_pem());
    (cert, key, certified.cert.der().clone())
}

/// A CA for client certificates.
pub struct ClientCa(CertifiedIssuer<'static, KeyPair>);

impl ClientCa {
    pub fn new() -> ClientCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ClientCa(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> String {
        self.0.pem()
    }

    /// A client certificate from this CA, written as `NAME.pem` and `NAME-key.pem`; returns their paths.
    pub fn issue(&self, pems: &Pems, name: &str) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["client".to_owned()])
            .unwrap()
            .signed_by(&key, &self.0)
            .unwrap();
        (
            pems.write(&format!("{name}.pem"), &cert.pem()),
            pems.write(&format!("{name}-key.pem"), &key.serialize_pem()),
        )
    }
}

/// A client that trusts `trust` and shows the certificate and key at `identity`, if any.
pub fn client_config(
    trust: CertificateDer<'static>,
    identity: Option<(&Path, &Path)>,
) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trust).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    match identity {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            builder
                .with_client_auth_cert(chain, PrivateKeyDer::from_pem_file(key).unwrap())
                .unwrap()
        }
        None => builder.with_no_client_auth(),
    }
}

/// A TLS connection to `server` as `localhost`.
pub async fn tls_connect(
    server: &TestServer,
    config: rustls::ClientConfig,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(server.addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

/// A GET over TLS: the parsed response, or the error that ended the connection.
pub async fn tls_get(
    server: &TestServer,
    config: rustls::ClientConfig,
    path: &str,
) -> std::io::Result<(u16, String, String)> {
    let stream = tls_connect(server, config).await?;
    tls_get_over(stream, server, path).await
}

/// A GET over a TLS connection the caller opened.
pub async fn tls_get_over(
    mut stream: TlsStream<TcpStream>,
    server: &TestServer,
    path: &str,
) -> std::io::Result<(u16, String, String)> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        server.addr.port()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .expect("an answer in time")?;
    if response.is_empty() {
        return Err(std::io::Error::other("closed without an answer"));
    }
    Ok(parse_response(&response))
}
