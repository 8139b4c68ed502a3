//! The connection around a WebSocket handshake: what actix-http hands to webterm's own transport
//! (`src/ws/transport.rs`), and what it does not; refusals of requests that are no handshake, full server or not.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Client, PATIENCE, TestServer, http_raw, split_response, still_healthy};

const UPGRADE: &str = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                       Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

/// A GET of `path` that asks for a WebSocket, with `extra` headers; the connection is left to the server.
fn handshake(addr: SocketAddr, path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{UPGRADE}{extra}\r\n").into_bytes()
}

/// A text frame as a client sends it (masked).
fn masked_text(text: &str) -> Vec<u8> {
    let mask = [0x37, 0xFA, 0x21, 0x3D];
    let mut frame = vec![0x81, 0x80 | u8::try_from(text.len()).expect("a short text")];
    frame.extend_from_slice(&mask);
    frame.extend(text.bytes().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    frame
}

/// A text frame as the server sends it (not masked).
fn text(text: &str) -> Vec<u8> {
    let mut frame = vec![0x81, u8::try_from(text.len()).expect("a short text")];
    frame.extend_from_slice(text.as_bytes());
    frame
}

#[tokio::test]
async fn frames_sent_with_the_handshake_are_not_lost() {
    let server = TestServer::with_command(&["sh"]);
    // The request head and two frames in one write: actix-http has read the frames along with the head, and
    // hands them over with the connection.
    let mut request = handshake(server.addr, "/echo", "");
    request.extend(masked_text("early"));
    request.extend(masked_text("bird"));
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(&request).await.unwrap();
    let echoed = [text("early"), text("bird")].concat();
    let mut response = Vec::new();
    let complete = |response: &[u8]| {
        response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .is_some_and(|end| response.len() >= end + 4 + echoed.len())
    };
    tokio::time::timeout(PATIENCE, async {
        while !complete(&response) {
            let mut buf = [0; 4096];
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0, "the connection ended early: {response:?}");
            response.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("both echoes in time");
    let (status, headers, frames) = split_response(&response);
    assert_eq!(status, 101, "{headers}");
    assert!(headers.contains("upgrade: websocket"), "{headers}");
    assert_eq!(frames, echoed);
    still_healthy(&server).await;
}

#[tokio::test]
async fn a_refused_upgrade_is_answered_and_its_connection_closed() {
    let server = TestServer::with_command(&["sh"]);
    // No `Connection: close` from the client: the server ends the connection itself, since nothing can follow
    // a request that asked for an upgrade.
    let (status, headers, body) =
        http_raw(server.addr, &handshake(server.addr, "/ws?cols=0", "")).await;
    assert_eq!(status, 400, "{headers}");
    assert!(headers.contains("connection: close"), "{headers}");
    assert!(
        String::from_utf8_lossy(&body).contains("cols"),
        "the answer says why: {body:?}"
    );
    still_healthy(&server).await;
}

#[tokio::test]
async fn a_refused_upgrade_ends_without_a_reset_when_the_client_sent_more_behind_it() {
    let server = TestServer::with_command(&["sh"]);
    // A client that does not wait for the answer before it sends frames (RFC 6455 says it must), and goes on
    // sending. Closing a connection with bytes unread makes the kernel reset it, and on a real network a reset
    // can throw away the answer on its way; the server ends its side, then takes what still comes.
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let request = handshake(server.addr, "/ws?cols=0", "");
    let sending = tokio::spawn(async move {
        writer.write_all(&request).await?;
        let frames = masked_text("frames nobody will read").repeat(1000);
        for _ in 0..40 {
            writer.write_all(&frames).await?;
        }
        writer.shutdown().await
    });
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, reader.read_to_end(&mut response))
        .await
        .expect("an answer in time")
        .expect("the answer, then the end of the connection, not a reset");
    let (status, headers, body) = split_response(&response);
    assert_eq!(status, 400, "{headers}");
    assert!(headers.contains("connection: close"), "{headers}");
    assert!(String::from_utf8_lossy(&body).contains("cols"), "{body:?}");
    sending
        .await
        .unwrap()
        .expect("all sent: the server took it");
    still_healthy(&server).await;
}

#[tokio::test]
async fn a_handshake_with_a_body_is_refused() {
    let server = TestServer::with_command(&["sh"]);
    // With `Transfer-Encoding: chunked`, actix-http reads what follows as the request's body instead of handing
    // the connection over: WebSocket frames would be read as chunks.
    for path in ["/ws", "/echo"] {
        let mut request = handshake(server.addr, path, "Transfer-Encoding: chunked\r\n");
        request.extend_from_slice(b"0\r\n\r\n");
        let (status, headers, body) = http_raw(server.addr, &request).await;
        assert_eq!(status, 400, "{path}: {headers}");
        assert!(
            String::from_utf8_lossy(&body).contains("Transfer-Encoding"),
            "{path}: the answer says why: {body:?}"
        );
    }
    still_healthy(&server).await;
}

#[tokio::test]
async fn on_a_full_server_a_request_that_is_no_handshake_still_gets_its_4xx_and_takes_no_place() {
    let mut config = crate::support::config(&["sh"]);
    config.session.max_clients = 1;
    let server = TestServer::start(config);
    let mut holder = Client::connect(&server, "").await;
    let plain = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let no_key = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    let old_version = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        server.addr
    );
    let mut chunked = handshake(server.addr, "/echo", "Transfer-Encoding: chunked\r\n");
    chunked.extend_from_slice(b"0\r\n\r\n");
    for (request, status, reason) in [
        (plain.into_bytes(), 400, "only speaks WebSocket"),
        (no_key.into_bytes(), 400, "Sec-WebSocket-Key"),
        (
            old_version.into_bytes(),
            426,
            "send Sec-WebSocket-Version: 13",
        ),
        (chunked, 400, "without Transfer-Encoding"),
    ] {
        let (got, headers, body) = http_raw(server.addr, &request).await;
        let body = String::from_utf8_lossy(&body);
        let head = String::from_utf8_lossy(&request[..request.len().min(60)]).into_owned();
        assert_eq!(got, status, "{head:?}: {headers}\n{body}");
        assert!(body.contains(reason), "{head:?}: {body}");
    }
    // The server was full all along, and still serves the client that holds its place.
    let (status, _, body) = http_raw(server.addr, &handshake(server.addr, "/ws", "")).await;
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert_eq!(holder.ask("$((6*7))").await, "42");
}
