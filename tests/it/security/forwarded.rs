//! Behind a reverse proxy: failed logins count against the client the proxy names in `X-Forwarded-For`, so one
//! guesser behind the proxy does not lock everyone out; only a trusted proxy's header is believed, so a guesser
//! cannot escape the lockout by naming someone else; and on a Unix socket (where every connection is the proxy's)
//! guessing is locked out too.

use std::net::IpAddr;
use std::path::PathBuf;

use webterm::config::{AuthMode, Listen};
use webterm::server::Server;

use super::{basic, basic_config, cheap_hash, get_from};
use crate::support::{TestServer, http_get_unix, run_on_a_thread};

const PASSWORD: &str = "ann's password";

/// `basic` mode with `ann`, locking an address out after two failures, behind the proxy at 127.0.0.1.
fn behind_a_proxy() -> webterm::config::Config {
    let mut config = basic_config(cheap_hash(PASSWORD));
    config.auth.max_failures = 2;
    config.auth.lockout_secs = 60;
    config.auth.trusted_proxies = vec![[127, 0, 0, 1].into()];
    config
}

/// What a GET of `/` from `peer` answers, with `forwarded_for` as `X-Forwarded-For` and ann's `password`.
async fn status(server: &TestServer, peer: [u8; 4], forwarded_for: &str, password: &str) -> u16 {
    let headers = [
        basic("ann", password),
        ("X-Forwarded-For", forwarded_for.to_owned()),
    ];
    get_from(IpAddr::from(peer), server.addr, "/", &headers)
        .await
        .0
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_guessing_client_is_locked_out_and_the_others_are_not() {
    let server = TestServer::start(behind_a_proxy());
    let proxy = [127, 0, 0, 1];
    for _ in 0..2 {
        assert_eq!(status(&server, proxy, "192.0.2.66", "guess").await, 401);
    }
    assert_eq!(
        status(&server, proxy, "192.0.2.66", PASSWORD).await,
        429,
        "the guesser is locked out, even with the right password"
    );
    // The client wrote its own X-Forwarded-For; the proxy appended the address it came from: still the guesser.
    assert_eq!(
        status(&server, proxy, "203.0.113.1, 192.0.2.66", PASSWORD).await,
        429
    );
    // Everyone else behind the same proxy still gets in.
    assert_eq!(status(&server, proxy, "192.0.2.7", PASSWORD).await, 200);
    assert_eq!(status(&server, proxy, "192.0.2.8", "typo").await, 401);
}

#[tokio::test]
async fn a_client_that_is_not_a_trusted_proxy_cannot_escape_the_lockout_with_x_forwarded_for() {
    let server = TestServer::start(behind_a_proxy());
    let guesser = [127, 0, 0, 2];
    assert_eq!(status(&server, guesser, "192.0.2.1", "guess").await, 401);
    assert_eq!(status(&server, guesser, "192.0.2.2", "guess").await, 401);
    assert_eq!(
        status(&server, guesser, "192.0.2.3", PASSWORD).await,
        429,
        "its own address counts, whatever it claims"
    );
    // The proxy's clients are not affected.
    assert_eq!(
        status(&server, [127, 0, 0, 1], "192.0.2.3", PASSWORD).await,
        200
    );
}

/// A server with `config` on a fresh Unix socket; stops when dropped.
struct UnixServer {
    dir: PathBuf,
    socket: PathBuf,
    stop: Option<(actix_web::dev::ServerHandle, std::thread::JoinHandle<()>)>,
}

impl UnixServer {
    fn start(name: &str, mut config: webterm::config::Config) -> UnixServer {
        let dir = std::env::temp_dir().join(format!("webterm-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("webterm.sock");
        config.listen = Listen::Unix(socket.clone());
        let server = Server::bind(config).expect("bind the socket");
        UnixServer {
            dir,
            socket,
            stop: Some(run_on_a_thread(server)),
        }
    }

    /// The status of a GET of `/` with `headers` (`Name: value` each).
    async fn status(&self, headers: &[(&str, String)]) -> u16 {
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        http_get_unix(&self.socket, "/", &extra).await.0
    }
}

impl Drop for UnixServer {
    fn drop(&mut self) {
        if let Some((handle, thread)) = self.stop.take() {
            drop(handle.stop(false));
            thread.join().unwrap();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn on_a_unix_socket_guessing_is_locked_out_per_forwarded_client() {
    let mut config = behind_a_proxy();
    config.auth.trusted_proxies = Vec::new();
    let server = UnixServer::start("unix-lockout", config);
    let wrong = basic("ann", "guess");
    let right = basic("ann", PASSWORD);
    for _ in 0..2 {
        assert_eq!(server.status(std::slice::from_ref(&wrong)).await, 401);
    }
    assert_eq!(
        server.status(std::slice::from_ref(&right)).await,
        429,
        "a connection on the socket with no X-Forwarded-For counts as the machine itself"
    );
    // A client the proxy names is someone else.
    let named = ("X-Forwarded-For", "192.0.2.7".to_owned());
    assert_eq!(server.status(&[right, named]).await, 200);
}

#[tokio::test]
async fn proxy_mode_on_a_unix_socket_believes_the_user_header_without_listing_addresses() {
    let mut config = crate::support::config(&["sh"]);
    config.auth.mode = AuthMode::Proxy;
    let server = UnixServer::start("unix-proxy", config);
    let ann = ("X-Forwarded-User", "ann".to_owned());
    assert_eq!(server.status(&[ann]).await, 200);
    assert_eq!(server.status(&[]).await, 401);
}

#[tokio::test]
async fn behind_a_trusted_https_proxy_an_http_origin_is_refused_and_the_cookie_is_secure() {
    let mut config = super::token_config();
    config.auth.trusted_proxies = vec![[127, 0, 0, 1].into()];
    let server = TestServer::start(config);
    let https = ("X-Forwarded-Proto", "https".to_owned());
    let host = server.addr.to_string();
    let origin = |scheme: &str| ("Origin", format!("{scheme}://{host}"));
    // A page injected into plain HTTP on the same host is not the https page.
    assert_eq!(
        super::upgrade(
            &server,
            "/ws",
            &[super::bearer(super::TOKEN), https.clone(), origin("http")]
        )
        .await
        .err(),
        Some(403)
    );
    assert!(
        super::upgrade(
            &server,
            "/ws",
            &[super::bearer(super::TOKEN), https.clone(), origin("https")]
        )
        .await
        .is_ok()
    );

    // The login cookie is Secure, named with __Host- so that no other host can plant one, and it works.
    let (status, headers, _) = get_from(
        [127, 0, 0, 1].into(),
        server.addr,
        &format!("/?token={}", super::TOKEN),
        std::slice::from_ref(&https),
    )
    .await;
    assert_eq!(status, 303);
    // (The test's HTTP client lowercases header lines; cookie names are case-sensitive.)
    let set_cookie = super::header(&headers, "set-cookie").unwrap();
    let pair = set_cookie
        .strip_prefix("__host-")
        .filter(|_| set_cookie.ends_with("; secure"))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("not a __Host- cookie with Secure: {set_cookie}"));
    let cookie = ("Cookie", format!("__Host-{pair}"));
    let page = |extra: Vec<(&'static str, String)>| {
        let mut headers = vec![cookie.clone(), https.clone()];
        headers.extend(extra);
        async move {
            get_from([127, 0, 0, 1].into(), server.addr, "/", &headers)
                .await
                .0
        }
    };
    assert_eq!(page(vec![]).await, 200);
    // A request that reaches webterm without X-Forwarded-Proto (a proxy location that forgot to set it) still
    // signs in with that cookie.
    let (status, _, _) = get_from(
        [127, 0, 0, 1].into(),
        server.addr,
        "/",
        std::slice::from_ref(&cookie),
    )
    .await;
    assert_eq!(status, 200);
    // Two cookies of that name: one was planted, and which one is the user's cannot be told.
    let planted = format!("{}=planted", cookie.1.split('=').next().unwrap());
    assert_eq!(page(vec![("Cookie", planted)]).await, 401);
}

#[tokio::test]
async fn a_stale_host_cookie_from_a_tls_past_does_not_lock_out_a_plain_http_login() {
    let server = TestServer::start(super::token_config());
    let (status, headers, _) = get_from(
        [127, 0, 0, 1].into(),
        server.addr,
        &format!("/?token={}", super::TOKEN),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let (_, cookie) = super::session_cookie(&headers);
    let name = cookie.split('=').next().unwrap();
    // The browser still has the __Host- cookie of when webterm (or its proxy) spoke TLS on this port.
    let both = (
        "Cookie",
        format!("__Host-{name}=left-from-before; {cookie}"),
    );
    let (status, _, _) = get_from([127, 0, 0, 1].into(), server.addr, "/", &[both]).await;
    assert_eq!(status, 200);
}
