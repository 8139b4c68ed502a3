//! Hostile input: paths that try to leave the bundle, requests sent too slowly, floods of tiny frames and of
//! resizes.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use super::{
    TOKEN, bearer, connect_from, get, still_serves, still_starts_programs, token_config, upgrade,
};
use crate::support::{PATIENCE, TestServer};

#[tokio::test]
async fn paths_that_try_to_leave_the_bundle_find_nothing() {
    let server = TestServer::start(token_config());
    let paths = [
        "/..%2fCargo.toml",
        "/..%2F..%2F..%2Fetc%2Fpasswd",
        "/%2e%2e/Cargo.toml",
        "/%2e%2e%2fCargo.toml",
        "/.%2e/.%2e/Cargo.toml",
        "/%2e%2e/",
        "/..%5cCargo.toml",
        "/%252e%252e%252fCargo.toml",
        "/app.js%00.html",
        "/app.js/..",
        "/index.html",
        "/src/main.rs",
        "/build.rs",
        "/.git/config",
    ];
    for path in paths {
        let (status, _, body) = get(server.addr, path, &[bearer(TOKEN)]).await;
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(
            !body.contains("[package]") && !body.contains("root:"),
            "{path} leaked: {body}"
        );
    }
    assert_eq!(get(server.addr, "/app.js", &[]).await.0, 200);
    still_serves(&server).await;
}

#[tokio::test]
async fn half_sent_requests_are_dropped_within_the_timeout_while_others_are_served() {
    let mut config = token_config();
    config.http.request_timeout_ms = 1000;
    let server = TestServer::start(config);
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = connect_from([127, 0, 0, 1].into(), server.addr).await;
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    // One more drips a byte every 100 ms, which never lets the request finish.
    let mut drip = connect_from([127, 0, 0, 1].into(), server.addr).await;
    drip.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let dripping = tokio::spawn(async move {
        let dripped_at = Instant::now();
        while drip.write_all(b"X").await.is_ok() && dripped_at.elapsed() < PATIENCE {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        dripped_at.elapsed()
    });

    still_serves(&server).await;

    for mut stream in slow {
        let mut answer = Vec::new();
        tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
            .await
            .expect("the half-sent request was dropped")
            .ok();
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(5),
        "dropped after {elapsed:?}, with http.request_timeout_ms = 1000"
    );
    let dripped = dripping.await.unwrap();
    assert!(
        dripped < Duration::from_secs(5),
        "a dripping request was kept for {dripped:?}"
    );
    still_serves(&server).await;
}

#[tokio::test]
async fn a_flood_of_tiny_frames_arrives_whole_and_in_order() {
    const BYTES: usize = 50_000;
    let mut config = token_config();
    // Counts what it is sent; the terminal does not echo, and lines stay short of the canonical-mode limit.
    config.session.command = ["sh", "-c", "stty -echo; echo ready; wc -c"]
        .map(String::from)
        .to_vec();
    let server = TestServer::start(config);
    let mut client = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    client.expect_output("ready\r\n").await;
    for i in 0..BYTES {
        let byte = if i % 100 == 99 { b'\n' } else { b'a' };
        client
            .ws
            .feed(Message::Binary(vec![byte].into()))
            .await
            .unwrap();
        if i % 5 == 0 {
            client
                .ws
                .feed(Message::Text(json!({"type": "resume"}).to_string().into()))
                .await
                .unwrap();
        }
    }
    client
        .ws
        .feed(Message::Binary(vec![4].into()))
        .await
        .unwrap(); // Ctrl-D: end of input
    client.ws.flush().await.unwrap();
    let exit = client.expect_control("exit").await;
    assert_eq!(exit["code"], 0);
    let count: usize = client
        .output_text()
        .trim_start_matches("ready\r\n")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(count, BYTES, "every byte, in 60,000 frames");
    assert!(
        client.controls.iter().all(|c| c["type"] != "error"),
        "{:?}",
        client.controls
    );
    still_starts_programs(&server, "ready\r\n").await;
}

#[tokio::test]
async fn a_flood_of_resizes_during_a_flood_of_output_ends_at_the_last_size_sent() {
    const RESIZES: u16 = 5_000;
    // The n-th size, each different from the one before (the server skips a resize to the size it has).
    let size = |n: u16| (40 + n % 97, 10 + n % 31);
    let mut config = token_config();
    // Floods output while the resizes come (the server's screen parses it meanwhile), then waits for a line and
    // shows the size it sees.
    config.session.command = [
        "sh",
        "-c",
        "head -c 4000000 /dev/zero | tr '\\0' x; read line; echo; echo size=$(stty size)=",
    ]
    .map(String::from)
    .to_vec();
    let server = TestServer::start(config);
    let client = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    let (mut sink, mut stream) = client.ws.split();
    let sending = tokio::spawn(async move {
        for n in 0..RESIZES {
            let (cols, rows) = size(n);
            let resize = json!({"type": "resize", "cols": cols, "rows": rows});
            sink.feed(Message::Text(resize.to_string().into()))
                .await
                .unwrap();
        }
        // After every resize: the server takes a client's frames in order, and the hub its resizes before input.
        sink.send(Message::Binary(b"\r".to_vec().into()))
            .await
            .unwrap();
        sink
    });
    // Only the last bytes are kept and searched: the output is megabytes.
    let mut tail = Vec::new();
    let mut output = 0;
    let answer = loop {
        let text = String::from_utf8_lossy(&tail);
        if let Some((_, after)) = text.split_once("size=") {
            if let Some((answer, _)) = after.split_once('=') {
                break answer.to_owned();
            }
        }
        let message = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("output in time")
            .expect("the connection goes on")
            .unwrap();
        match message {
            Message::Binary(bytes) => {
                output += bytes.len();
                tail.extend_from_slice(&bytes);
                tail.drain(..tail.len().saturating_sub(bytes.len() + 64));
            }
            Message::Text(text) => assert!(!text.contains("error"), "{text}"),
            _ => {}
        }
    };
    let (cols, rows) = size(RESIZES - 1);
    assert_eq!(answer, format!("{rows} {cols}"), "the last size sent");
    assert!(output >= 4_000_000, "all of the flood came: {output} bytes");
    let _ = sending.await.unwrap();
    still_starts_programs(&server, "x").await;
}
