//! `contrib/nginx/webterm.conf` in front of webterm, with a real nginx (Debian's `nginx-light`): TLS terminated
//! by nginx, webterm under `/terminal/`, the page, its files and the terminal's WebSocket all through it; the login
//! cookie is `Secure`, and a client's own user header never reaches webterm.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{PATIENCE, TestServer};

/// A foreground nginx serving the contrib config, killed when dropped.
struct Nginx {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A free loopback port. nginx cannot report the port it picked, so this is the one place where a port is
/// chosen before its server binds it.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts nginx with `contrib/nginx/webterm.conf`, pointed at `upstream`, with a fresh self-signed certificate.
async fn start_nginx(upstream: SocketAddr) -> (Nginx, CertificateDer<'static>) {
    let nginx = Path::new("/usr/sbin/nginx");
    assert!(
        nginx.exists(),
        "nginx is missing: apt-get install nginx-light (scripts/test does)"
    );
    // One directory per nginx: tests run at once in one process.
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "webterm-nginx-{}-{}",
        std::process::id(),
        STARTED.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();

    let port = free_port();
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/nginx/webterm.conf"
    ))
    .unwrap();
    let site = shipped
        .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{port} ssl;"))
        .replace(
            "server_name terminal.example.com;",
            "server_name localhost;",
        )
        .replace(
            "/etc/ssl/webterm/fullchain.pem",
            dir.join("cert.pem").to_str().unwrap(),
        )
        .replace(
            "/etc/ssl/webterm/privkey.pem",
            dir.join("key.pem").to_str().unwrap(),
        )
        .replace("http://127.0.0.1:7681/", &format!("http://{upstream}/"));
    assert_ne!(site, shipped);
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let d = dir.display();
    let main = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         types {{ text/html html; }}\n  include {d}/site.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let child = Command::new(nginx)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx starts");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut nginx = Nginx { child, addr, dir };
    // nginx is an outside program: the test waits until it accepts connections, or it exits with its reason.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while TcpStream::connect(addr).await.is_err() {
        if let Some(status) = nginx.child.try_wait().unwrap() {
            let mut error = String::new();
            use std::io::Read;
            nginx
                .child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut error)
                .unwrap();
            panic!("nginx exited ({status}): {error}");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nginx did not start listening"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (nginx, certified.cert.der().clone())
}

async fn tls(
    addr: SocketAddr,
    trust: &CertificateDer<'static>,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trust.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS with nginx")
}

/// GET through nginx over TLS; returns the status line and the body.
async fn get(nginx: &Nginx, trust: &CertificateDer<'static>, path: &str) -> (String, String) {
    let (head, body) = get_with(nginx, trust, path, "").await;
    (head.lines().next().unwrap_or_default().to_string(), body)
}

/// GET through nginx over TLS with `extra` header lines (each ending in `\r\n`); returns the head and the body.
async fn get_with(
    nginx: &Nginx,
    trust: &CertificateDer<'static>,
    path: &str,
    extra: &str,
) -> (String, String) {
    let mut stream = tls(nginx.addr, trust).await;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost:{}\r\n{extra}Connection: close\r\n\r\n",
        nginx.addr.port()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .expect("an answer");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}

#[tokio::test]
async fn the_shipped_nginx_config_serves_the_page_and_the_terminal_under_a_sub_path_over_tls() {
    // As contrib/nginx/webterm.conf says to configure webterm: nginx is a trusted proxy.
    let mut config = crate::support::config(&["sh"]);
    config.auth.trusted_proxies = vec![[127, 0, 0, 1].into()];
    let server = TestServer::start(config);
    let (nginx, trust) = start_nginx(server.addr).await;

    let (status, body) = get(&nginx, &trust, "/terminal/").await;
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.contains("./app.js"), "{body}");
    let (status, _) = get(&nginx, &trust, "/terminal/app.js").await;
    assert!(status.contains(" 200 "), "{status}");
    let (status, _) = get(&nginx, &trust, "/terminal").await;
    assert!(status.contains(" 301 "), "{status}");

    // The page's WebSocket, as a browser at https://localhost:PORT/terminal/ opens it.
    let socket = |scheme: &str| {
        let mut request = format!(
            "wss://localhost:{}/terminal/ws?cols=100&rows=30",
            nginx.addr.port()
        )
        .into_client_request()
        .unwrap();
        let origin = format!("{scheme}://localhost:{}", nginx.addr.port());
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
        request
    };
    // nginx says the page is https (X-Forwarded-Proto): a plain-HTTP page on the same host and port is refused.
    let stream = tls(nginx.addr, &trust).await;
    match tokio_tungstenite::client_async(socket("http"), stream).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("an http origin got {other:?}"),
    }
    let stream = tls(nginx.addr, &trust).await;
    let (mut ws, _) = tokio_tungstenite::client_async(socket("https"), stream)
        .await
        .expect("the upgrade passes nginx");
    let hello = match tokio::time::timeout(PATIENCE, ws.next()).await.unwrap() {
        Some(Ok(Message::Text(text))) => serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        other => panic!("expected hello, got {other:?}"),
    };
    assert_eq!(
        (hello["type"].as_str(), hello["cols"].as_u64()),
        (Some("hello"), Some(100))
    );
    ws.send(Message::Binary(
        b"echo \"through\"-nginx; stty size\r".to_vec().into(),
    ))
    .await
    .unwrap();
    let mut output = String::new();
    while !(output.contains("through-nginx") && output.contains("30 100")) {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("output in time")
        {
            Some(Ok(Message::Binary(bytes))) => output.push_str(&String::from_utf8_lossy(&bytes)),
            Some(Ok(_)) => {}
            other => panic!("connection ended: {other:?}; output {output:?}"),
        }
    }
}

#[tokio::test]
async fn through_the_shipped_nginx_config_the_login_cookie_is_secure() {
    let mut config = crate::security::token_config();
    config.auth.trusted_proxies = vec![[127, 0, 0, 1].into()];
    let server = TestServer::start(config);
    let (nginx, trust) = start_nginx(server.addr).await;
    let path = format!("/terminal/?token={}", crate::security::TOKEN);
    let (head, _) = get_with(&nginx, &trust, &path, "").await;
    assert!(head.starts_with("HTTP/1.1 303 "), "{head}");
    // nginx says the page is https (X-Forwarded-Proto), so the cookie never crosses plain HTTP.
    let set_cookie = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim())
        })
        .unwrap_or_else(|| panic!("no cookie: {head}"));
    assert!(
        set_cookie.starts_with("__Host-webterm_session_") && set_cookie.contains("; Secure"),
        "{set_cookie}"
    );
}

#[tokio::test]
async fn through_the_shipped_nginx_config_a_clients_own_user_header_names_nobody() {
    // Proxy mode behind the shipped config, which authenticates nobody itself: whatever user a client names in
    // the header, nginx must not pass it on.
    let mut config = crate::support::config(&["sh"]);
    config.auth.mode = webterm::config::AuthMode::Proxy;
    config.auth.trusted_proxies = vec![[127, 0, 0, 1].into()];
    let server = TestServer::start(config);
    let (nginx, trust) = start_nginx(server.addr).await;
    let (head, _) = get_with(&nginx, &trust, "/terminal/", "X-Forwarded-User: root\r\n").await;
    assert!(head.starts_with("HTTP/1.1 401 "), "{head}");
}
