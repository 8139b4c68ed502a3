//! TLS: https with a certificate made here, HSTS, Secure cookies, and mutual TLS.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use webterm::config::AuthMode;

use super::tls_support::{
    ClientCa, Pems, client_config, server_cert, tls_connect, tls_get, tls_get_over,
};
use super::{TOKEN, header, token_config};
use crate::support::{PATIENCE, TestServer, config};

#[tokio::test]
async fn with_tls_the_url_is_https_and_the_cookie_secure_and_hsts_is_sent() {
    let pems = Pems::new("https");
    let (cert, key, trust) = server_cert(&pems);
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Token;
    config.tls.cert = Some(cert);
    config.tls.key = Some(key);
    let server = TestServer::start(config);
    let (url, token) = server
        .url
        .split_once("?token=")
        .expect("a token in the URL");
    assert_eq!(url, format!("https://{}/", server.addr));

    let (status, headers, _) = tls_get(
        &server,
        client_config(trust.clone(), None),
        &format!("/?token={token}"),
    )
    .await
    .unwrap();
    assert_eq!(status, 303);
    let cookie = header(&headers, "set-cookie").unwrap();
    assert!(cookie.ends_with("; secure"), "{cookie}");
    assert_eq!(
        header(&headers, "strict-transport-security"),
        Some("max-age=31536000")
    );

    // The terminal over wss:, with the page's own origin.
    let stream = tls_connect(&server, client_config(trust, None))
        .await
        .unwrap();
    let mut request = format!("wss://localhost:{}/ws", server.addr.port())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    request.headers_mut().insert(
        "Origin",
        format!("https://localhost:{}", server.addr.port())
            .parse()
            .unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .expect("a wss: terminal");
    let hello = tokio::time::timeout(PATIENCE, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Message::Text(hello) = hello else {
        panic!("expected hello, got {hello:?}")
    };
    assert!(hello.contains("\"type\":\"hello\""), "{hello}");
}

#[tokio::test]
async fn with_a_client_ca_only_clients_with_a_certificate_from_it_get_an_answer() {
    let pems = Pems::new("mtls");
    let (cert, key, trust) = server_cert(&pems);
    let ca = ClientCa::new();
    let ca_path = pems.write("ca.pem", &ca.pem());
    let (client_cert_path, client_key_path) = ca.issue(&pems, "client");
    // A certificate the server's CA did not sign.
    let stranger = rcgen::generate_simple_self_signed(vec!["client".to_owned()]).unwrap();
    let stranger_cert = pems.write("stranger.pem", &stranger.cert.pem());
    let stranger_key = pems.write("stranger-key.pem", &stranger.signing_key.serialize_pem());

    let mut config = token_config();
    config.tls.cert = Some(cert);
    config.tls.key = Some(key);
    config.tls.client_ca = Some(ca_path);
    let server = TestServer::start(config);

    let without = tls_get(&server, client_config(trust.clone(), None), "/").await;
    assert!(without.is_err(), "no client certificate, yet: {without:?}");
    let foreign = client_config(trust.clone(), Some((&stranger_cert, &stranger_key)));
    let foreign = tls_get(&server, foreign, "/").await;
    assert!(
        foreign.is_err(),
        "a certificate from another CA, yet: {foreign:?}"
    );

    let good = client_config(trust, Some((&client_cert_path, &client_key_path)));
    let (status, _, _) = tls_get(&server, good.clone(), &format!("/?token={TOKEN}"))
        .await
        .expect("served");
    assert_eq!(
        status, 303,
        "the certificate gets past TLS; the token is still needed for the page"
    );
    let (status, _, _) = tls_get(&server, good, "/").await.unwrap();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_reload_serves_the_new_certificate_to_new_handshakes_and_open_connections_go_on() {
    let pems = Pems::new("reload");
    let (cert, key, first) = server_cert(&pems);
    let mut config = token_config();
    config.tls.cert = Some(cert);
    config.tls.key = Some(key);
    let server = TestServer::start(config.clone());
    let open = tls_connect(&server, client_config(first.clone(), None))
        .await
        .expect("the first certificate is served");

    // New files at the same paths, then the reload.
    let (_, _, second) = server_cert(&pems);
    server.reloader.apply(config).expect("reloaded");
    let refused = tls_connect(&server, client_config(first.clone(), None)).await;
    assert!(
        refused.is_err(),
        "a client trusting only the old certificate is refused"
    );
    let (status, _, _) = tls_get(&server, client_config(second, None), "/healthz")
        .await
        .expect("the new certificate is served");
    assert_eq!(status, 200);

    // The connection made before the reload still works.
    let (status, _, _) = tls_get_over(open, &server, "/healthz")
        .await
        .expect("the open connection answers");
    assert_eq!(status, 200);
}

/// What the server sends on a raw TCP connection after `sent`, until it closes the connection.
async fn raw_answer(server: &TestServer, sent: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(sent).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection in time");
    answer
}

#[tokio::test]
async fn plain_http_and_a_stalled_handshake_on_the_tls_port_are_dropped_and_the_server_goes_on() {
    let pems = Pems::new("hostile-tls");
    let (cert, key, trust) = server_cert(&pems);
    let mut config = config(&["sh"]);
    config.tls.cert = Some(cert);
    config.tls.key = Some(key);
    config.http.request_timeout_ms = 500;
    let server = TestServer::start(config);

    // Plain HTTP: the server answers with at most a TLS alert, never with HTTP.
    let answer = raw_answer(&server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
    assert!(answer.len() < 64, "an alert at most: {answer:?}");
    // A client that connects and says nothing, and one that stops halfway through its hello, are dropped once
    // the handshake's time (http.request_timeout_ms) is up.
    assert_eq!(raw_answer(&server, b"").await, b"");
    assert_eq!(
        raw_answer(&server, &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).await,
        b""
    );

    let (status, _, _) = tls_get(&server, client_config(trust, None), "/healthz")
        .await
        .unwrap();
    assert_eq!(status, 200);
}

/// Reads `stream` until the server closes it; returns what came and how long it took.
async fn until_closed<S: AsyncReadExt + Unpin>(stream: &mut S) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let mut received = Vec::new();
    // The server may close without a TLS close_notify: that is a close too.
    let _ = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut received))
        .await
        .expect("the server closes the connection in time");
    (received, start.elapsed())
}

#[tokio::test]
async fn over_tls_http2_is_never_chosen_and_idle_connections_are_closed() {
    let pems = Pems::new("http1");
    let (cert, key, trust) = server_cert(&pems);
    let mut config = config(&["sh"]);
    config.tls.cert = Some(cert);
    config.tls.key = Some(key);
    config.http.keep_alive_secs = 1;
    config.http.request_timeout_ms = 1000;
    let server = TestServer::start(config);
    // actix-http's timers start from a clock it updates every 500 ms, so they may end that much early.
    let at_least = Duration::from_millis(500);

    // What browsers and curl offer: the server picks HTTP/1.1, whose idle connections it closes.
    let mut browser = client_config(trust.clone(), None);
    browser.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut stream = tls_connect(&server, browser.clone()).await.unwrap();
    assert_eq!(
        stream.get_ref().1.alpn_protocol(),
        Some(&b"http/1.1"[..]),
        "HTTP/2 connections that only answer pings would never be closed"
    );
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost:{}\r\n\r\n",
        server.addr.port()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (received, open) = until_closed(&mut stream).await;
    assert!(received.starts_with(b"HTTP/1.1 200 OK\r\n"), "{received:?}");
    assert!(
        open >= at_least,
        "kept alive for http.keep_alive_secs, then closed: {open:?}"
    );

    // A connection that sends no request at all is closed after http.request_timeout_ms.
    let mut silent = tls_connect(&server, browser).await.unwrap();
    let (received, open) = until_closed(&mut silent).await;
    assert!(
        !received.starts_with(b"HTTP/1.1 2"),
        "no answer without a request: {received:?}"
    );
    assert!(open >= at_least, "{open:?}");

    // A client that speaks HTTP/2 only is refused during the handshake.
    let mut h2_only = client_config(trust.clone(), None);
    h2_only.alpn_protocols = vec![b"h2".to_vec()];
    let refused = tls_connect(&server, h2_only).await.map(|_| ()).unwrap_err();
    assert!(
        refused.to_string().contains("NoApplicationProtocol"),
        "{refused}"
    );

    let (status, _, _) = tls_get(&server, client_config(trust, None), "/healthz")
        .await
        .unwrap();
    assert_eq!(status, 200);
}
