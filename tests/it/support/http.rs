//! Raw HTTP/1.1 exchanges with a server over TCP or a Unix socket: requests, refused upgrades, responses.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::PATIENCE;

/// A raw HTTP/1.1 exchange: returns (status, headers as lowercase `name: value` lines, body).
pub async fn http_get(addr: SocketAddr, path: &str, extra_headers: &str) -> (u16, String, Vec<u8>) {
    http_request(addr, "GET", path, extra_headers).await
}

/// Like [`http_get`], with another method (`DELETE`, say).
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra_headers: &str,
) -> (u16, String, Vec<u8>) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    exchange(stream, addr, method, path, extra_headers).await
}

/// [`http_get`] over a connection the caller opened (from a chosen source address, say).
pub async fn http_get_over(
    stream: TcpStream,
    addr: SocketAddr,
    path: &str,
    extra_headers: &str,
) -> (u16, String, Vec<u8>) {
    exchange(stream, addr, "GET", path, extra_headers).await
}

async fn exchange(
    stream: TcpStream,
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra_headers: &str,
) -> (u16, String, Vec<u8>) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra_headers}\r\n"
    );
    send_and_read(stream, request.as_bytes()).await
}

/// Sends a WebSocket handshake for `path` with `extra` header lines, expecting a refusal: (status, lowercase
/// header lines, body). The server ends the connection after refusing an upgrade.
pub async fn refused_upgrade(addr: SocketAddr, path: &str, extra: &str) -> (u16, String, Vec<u8>) {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    );
    http_raw(addr, request.as_bytes()).await
}

/// Sends `request` as it is (head, body and all) and reads the answer until the server closes the connection.
pub async fn http_raw(addr: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    send_and_read(TcpStream::connect(addr).await.expect("connect"), request).await
}

/// A GET of `path` on the Unix socket at `socket`, with `extra_headers` (each line ending in CRLF).
pub async fn http_get_unix(
    socket: &std::path::Path,
    path: &str,
    extra_headers: &str,
) -> (u16, String, Vec<u8>) {
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra_headers}\r\n"
    );
    send_and_read(stream, request.as_bytes()).await
}

async fn send_and_read(
    mut stream: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    request: &[u8],
) -> (u16, String, Vec<u8>) {
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .unwrap();
    split_response(&response)
}

/// An HTTP/1.1 response as (status, headers as lowercase `name: value` lines, body).
pub fn split_response(response: &[u8]) -> (u16, String, Vec<u8>) {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no end of headers in {:?}",
                String::from_utf8_lossy(response)
            )
        });
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = head
        .lines()
        .skip(1)
        .map(|l| l.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    (status, headers, response[split + 4..].to_vec())
}
