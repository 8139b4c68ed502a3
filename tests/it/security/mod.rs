//! Hostile and unauthenticated clients: each test shows the answer a client gets, then that the server still
//! serves a fresh, properly authenticated client.
//!
//! - `auth`: the token, the session cookie, basic and proxy modes, rate limiting, `--no-auth` limits.
//! - `logins`: bursts of logins: parallel wrong passwords stay within the lockout, and neither another user's
//!   logins nor a scraper's requests end a browser's session.
//! - `binary`: the real binary shows the token once and logs no secret; `webterm hash-password`.
//! - `browser_defences`: the `Origin` check and the security headers.
//! - `roles`: read-only clients, `max_clients` (terminals and `/echo` sockets), and which sessions linger.
//! - `hostile_input`: path traversal, slowloris, floods of tiny frames and of resizes.
//! - `tls`: https, HSTS, Secure cookies, mutual TLS; `tls_support`: the certificates and the client they share.
//! - `forwarded`: behind a reverse proxy (TCP or the Unix socket): failed logins count per client, as the proxy
//!   names it, and only a trusted proxy is believed.
//!
//! The property tests of the config parser and the control messages are in `fuzz`.

mod auth;
mod binary;
mod browser_defences;
mod forwarded;
mod hostile_input;
mod logins;
mod roles;
mod tls;
pub mod tls_support;

use std::net::{IpAddr, SocketAddr};

use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use webterm::auth::Role;
use webterm::config::{AuthMode, Config, UserConfig};

use crate::support::{Client, Event, PATIENCE, TestServer, config};

/// The write token of [`token_config`].
pub const TOKEN: &str = "write-token-0123456789";
/// The read-only token of [`token_config`].
pub const READ_TOKEN: &str = "read-token-0123456789";

/// A shell behind token authentication with fixed tokens.
pub fn token_config() -> Config {
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Token;
    config.auth.token = Some(TOKEN.into());
    config.auth.read_token = Some(READ_TOKEN.into());
    config
}

/// A shell behind `basic` mode with the one user `ann`, whose password hashes to `hash`.
pub fn basic_config(hash: String) -> Config {
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Basic;
    config.auth.users = vec![UserConfig {
        name: "ann".into(),
        hash,
        role: Role::Write,
    }];
    config
}

/// `config` in `basic` mode with the users `names` (who may type), each with the password "pw" (at the lowest
/// cost), and `admins` among them.
pub fn basic_users(mut config: Config, names: &[&str], admins: &[&str]) -> Config {
    config.auth.mode = AuthMode::Basic;
    let hash = cheap_hash("pw");
    config.auth.users = names
        .iter()
        .map(|&name| UserConfig {
            name: name.into(),
            hash: hash.clone(),
            role: Role::Write,
        })
        .collect();
    config.auth.admins = admins.iter().map(|&name| name.into()).collect();
    config
}

/// An argon2id hash of `password` at the lowest cost argon2 allows. The server takes the cost from the hash, so a
/// test can have a password checked a thousand times in a second or two.
pub fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::PasswordHasher;
    let params = argon2::Params::new(argon2::Params::MIN_M_COST, 1, 1, None).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}

/// `Authorization: Bearer TOKEN`.
pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// `Authorization: Basic` for `user` and `password`.
pub fn basic(user: &str, password: &str) -> (&'static str, String) {
    use base64::Engine;
    (
        "Authorization",
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        ),
    )
}

/// A WebSocket upgrade request for `path` on `server` with `headers`.
pub fn ws_request(server: &TestServer, path: &str, headers: &[(&str, String)]) -> Request {
    let mut request = server.ws_url(path).into_client_request().unwrap();
    for (name, value) in headers {
        let name: tokio_tungstenite::tungstenite::http::HeaderName = name.parse().unwrap();
        let value = HeaderValue::from_str(value).unwrap();
        if name == "host" {
            request.headers_mut().insert(name, value);
        } else {
            request.headers_mut().append(name, value);
        }
    }
    request
}

/// A TCP connection to `addr` from the loopback address `from` (127.0.0.0/8 is all ours).
pub async fn connect_from(from: IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(addr).await.expect("connect")
}

/// Upgrades `path` from `from` with `headers`; the client after its `hello`, or the HTTP status it got instead.
pub async fn upgrade_from(
    from: IpAddr,
    server: &TestServer,
    path: &str,
    headers: &[(&str, String)],
) -> Result<Client, u16> {
    use tokio_tungstenite::tungstenite::Error;
    let stream = connect_from(from, server.addr).await;
    let request = ws_request(server, path, headers);
    let handshake = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream));
    let ws = match tokio::time::timeout(PATIENCE, handshake)
        .await
        .expect("an answer to the upgrade")
    {
        Ok((ws, _)) => ws,
        Err(Error::Http(response)) => return Err(response.status().as_u16()),
        Err(other) => panic!("upgrade failed: {other}"),
    };
    let mut client = Client::from_ws(ws);
    if path.starts_with("/ws") {
        match client.next().await {
            Event::Control(hello) if hello["type"] == "hello" => client.hello = hello,
            other => panic!("expected hello first, got {other:?}"),
        }
    }
    Ok(client)
}

/// [`upgrade_from`] 127.0.0.1.
pub async fn upgrade(
    server: &TestServer,
    path: &str,
    headers: &[(&str, String)],
) -> Result<Client, u16> {
    upgrade_from([127, 0, 0, 1].into(), server, path, headers).await
}

/// A raw HTTP/1.1 GET from `from`: (status, lowercase header lines, body).
pub async fn get_from(
    from: IpAddr,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
) -> (u16, String, String) {
    let stream = connect_from(from, addr).await;
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let (status, headers, body) = crate::support::http_get_over(stream, addr, path, &extra).await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// [`get_from`] 127.0.0.1.
pub async fn get(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
) -> (u16, String, String) {
    get_from([127, 0, 0, 1].into(), addr, path, headers).await
}

/// Splits a raw HTTP response into (status, lowercase header lines, body).
pub fn parse_response(response: &[u8]) -> (u16, String, String) {
    let (status, headers, body) = crate::support::split_response(response);
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The `Cookie` header that sends back the session cookie set in `headers`.
pub fn session_cookie(headers: &str) -> (&'static str, String) {
    let set_cookie = header(headers, "set-cookie").expect("a session cookie");
    ("Cookie", set_cookie.split(';').next().unwrap().to_owned())
}

/// The value of header `name` (lowercase) in `headers` from [`get`].
pub fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':').map(str::trim))
}

/// A fresh client from `from` with the write token gets a working shell: the server is healthy.
pub async fn still_serves_from(from: IpAddr, server: &TestServer) {
    let mut client = upgrade_from(from, server, "/ws", &[bearer(TOKEN)])
        .await
        .expect("a fresh client is served");
    assert_eq!(client.hello["writable"], true);
    assert_eq!(client.ask("$((40+2))").await, "42");
}

/// A fresh client with the write token gets a new session whose program prints `first_line`: the server is
/// healthy (for servers whose program is not a shell).
pub async fn still_starts_programs(server: &TestServer, first_line: &str) {
    let mut client = upgrade(server, "/ws", &[bearer(TOKEN)])
        .await
        .expect("a fresh client is served");
    assert_eq!(client.hello["writable"], true);
    client.expect_output(first_line).await;
}

/// [`still_serves_from`] 127.0.0.1.
pub async fn still_serves(server: &TestServer) {
    still_serves_from([127, 0, 0, 1].into(), server).await;
}
