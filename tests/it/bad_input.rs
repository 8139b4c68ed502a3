//! Bad input: each case gets a clear answer, and the server stays healthy for the next client.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::support::{Client, TestServer, config, http_get, http_raw, keep_sending, still_healthy};

#[tokio::test]
async fn bad_control_messages_get_an_error_and_the_session_goes_on() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    let cases = [
        ("{not json", "malformed"),
        ("[]", "malformed"),
        (r#"{"type":"explode"}"#, "malformed"),
        (r#"{"cols":80,"rows":24}"#, "malformed"),
        (
            r#"{"type":"resize","cols":0,"rows":24}"#,
            "between 1 and 1000",
        ),
        (
            r#"{"type":"resize","cols":80,"rows":1001}"#,
            "between 1 and 1000",
        ),
        // Each side within its limit, but a screen that would take gigabytes to model.
        (
            r#"{"type":"resize","cols":1000,"rows":1000}"#,
            "at most 250000 cells, got 1000 x 1000",
        ),
        (r#"{"type":"resize","cols":-5,"rows":24}"#, "malformed"),
        (r#"{"type":"ack","bytes":-1}"#, "malformed"),
        (r#"{"type":"ack","bytes":"10"}"#, "malformed"),
        (r#"{"type":"transfer"}"#, "malformed"),
        (r#"{"type":"transfer","active":"yes"}"#, "malformed"),
        // More than the server has sent (the shell's prompt, so far).
        (
            r#"{"type":"ack","bytes":1000000}"#,
            "ack refused: 1000000 bytes acknowledged",
        ),
    ];
    for (text, expected) in cases {
        client.ws.send(Message::Text(text.into())).await.unwrap();
        let error = client.expect_control("error").await;
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(expected), "{text}: {message}");
    }
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    client.ws.send(Message::Text(nested.into())).await.unwrap();
    client.expect_control("error").await;
    // The size did not change and the shell still answers.
    assert_eq!(client.ask("\"$(stty size)\"").await, "24 80");
}

#[tokio::test]
async fn a_message_over_the_limit_is_closed_with_1009() {
    let mut config = config(&["sh"]);
    config.websocket.max_message_size = 64 * 1024;
    let server = TestServer::start(config);
    let mut client = Client::connect(&server, "").await;
    client
        .ws
        .send(Message::Binary(vec![b'a'; 64 * 1024 + 1].into()))
        .await
        .unwrap();
    assert_eq!(client.expect_close().await, Some(1009));
    still_healthy(&server).await;
}

#[tokio::test]
async fn a_frame_announcing_a_gigabyte_is_refused_before_it_arrives() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    // Only the header goes out; the server must answer without waiting for (or buffering) the payload.
    let mut raw = Vec::new();
    raw.extend_from_slice(&[0x82, 0xFF]); // FIN + binary, masked, 64-bit length
    raw.extend_from_slice(&(1u64 << 30).to_be_bytes());
    raw.extend_from_slice(&[1, 2, 3, 4]); // mask
    let stream = client.ws.get_mut();
    let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = stream else {
        panic!("plain TCP")
    };
    tokio::io::AsyncWriteExt::write_all(tcp, &raw)
        .await
        .unwrap();
    assert_eq!(client.expect_close().await, Some(1009));
    still_healthy(&server).await;
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame_is_closed_with_1007() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    let frame = Frame::message(vec![b'{', 0xC3, 0x28, b'}'], OpCode::Data(Data::Text), true);
    client.ws.send(Message::Frame(frame)).await.unwrap();
    assert_eq!(client.expect_close().await, Some(1007));
    still_healthy(&server).await;
}

#[tokio::test]
async fn a_client_that_breaks_the_protocol_while_still_sending_gets_the_close_frame() {
    let server = TestServer::with_command(&["sh"]);
    for path in ["/ws", "/echo"] {
        let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url(path))
            .await
            .unwrap();
        let frame = Frame::message(vec![b'{', 0xFF, b'}'], OpCode::Data(Data::Text), true);
        ws.send(Message::Frame(frame)).await.unwrap();
        // The close frame waits in the socket while the client, not reading yet, still sends: dropping the
        // connection with those frames unread would reset it and lose the close frame.
        let ws = keep_sending(ws, std::time::Duration::from_millis(300)).await;
        assert_eq!(
            Client::from_ws(ws).expect_close().await,
            Some(1007),
            "{path}"
        );
    }
    still_healthy(&server).await;
}

#[tokio::test]
async fn a_flood_of_tiny_frames_is_taken_in_order() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    // 3,005 one-byte frames typed as a command (under the 4,095-byte line limit of the kernel's line editor).
    let command = format!("echo {}", "x".repeat(3_000));
    for byte in command.bytes() {
        client
            .ws
            .feed(Message::Binary(vec![byte].into()))
            .await
            .unwrap();
    }
    client.ws.flush().await.unwrap();
    client.type_text("| wc -c\r").await;
    // The shell line editor may echo in pieces; wc's answer is the count plus the newline.
    client.expect_output("3001\r\n").await;
    still_healthy(&server).await;
}

#[tokio::test]
async fn bad_queries_are_answered_400_without_an_upgrade() {
    let server = TestServer::with_command(&["sh"]);
    let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    for query in [
        "?cols=0",
        "?rows=1001",
        "?cols=1000&rows=1000",
        "?cols=abc",
        "?cols=-1",
        "?cols=80&bogus=1",
        "?cols=99999999999",
    ] {
        let (status, _, body) = http_get(server.addr, &format!("/ws{query}"), upgrade).await;
        assert_eq!(status, 400, "{query}: {}", String::from_utf8_lossy(&body));
        assert!(!body.is_empty(), "{query}: the answer says why");
    }
    let (status, _, body) = http_get(server.addr, "/ws", "").await;
    assert_eq!(status, 400, "a plain GET of /ws is not an upgrade");
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains("this address only speaks WebSocket: send a GET with Upgrade: websocket"),
        "the answer says why: {body}"
    );
    still_healthy(&server).await;
}

#[tokio::test]
async fn a_request_to_a_socket_that_is_not_a_plain_websocket_handshake_is_told_why() {
    let server = TestServer::with_command(&["sh"]);
    let key = "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let asks = |upgrade: &str| format!("Connection: Upgrade\r\nUpgrade: {upgrade}\r\n{key}");
    // (path, headers, body, what the answer says)
    let cases = [
        (
            "/ws",
            "Connection: close\r\n".to_owned(),
            "",
            "this address only speaks WebSocket",
        ),
        ("/ws", asks("h2c"), "", "this address only speaks WebSocket"),
        (
            "/ws",
            asks("websocket, h2c"),
            "",
            "send Upgrade: websocket, not in a list",
        ),
        (
            "/echo",
            asks("h2c, websocket"),
            "",
            "send Upgrade: websocket, not in a list",
        ),
        (
            "/ws",
            asks("websocket") + "Transfer-Encoding: chunked\r\n",
            "0\r\n\r\n",
            "send it without Transfer-Encoding",
        ),
    ];
    for (path, headers, body, reason) in cases {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{headers}\r\n{body}",
            server.addr
        );
        let (status, _, answer) = http_raw(server.addr, request.as_bytes()).await;
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(status, 400, "{path} {headers:?}: {answer}");
        assert!(answer.contains(reason), "{path} {headers:?}: {answer}");
    }
    still_healthy(&server).await;
}

/// The refusal's error message names the program that could not start.
fn names_the_missing_program(error: &serde_json::Value) {
    let message = error["message"].as_str().expect("a message");
    assert!(message.contains("/nonexistent/program"), "{error}");
}

#[tokio::test]
async fn a_program_that_cannot_start_is_reported_and_closed_with_1011() {
    let server = TestServer::with_command(&["/nonexistent/program"]);
    let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url("/ws"))
        .await
        .unwrap();
    let Some(Ok(Message::Text(text))) = ws.next().await else {
        panic!("an error message first")
    };
    let error: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["type"], "error");
    names_the_missing_program(&error);
    let Some(Ok(Message::Close(Some(frame)))) = ws.next().await else {
        panic!("then a close")
    };
    assert_eq!(u16::from(frame.code), 1011);
}

#[tokio::test]
async fn a_refused_client_that_is_still_sending_gets_the_reason_and_the_close() {
    let server = TestServer::with_command(&["/nonexistent/program"]);
    let (ws, _) = tokio_tungstenite::connect_async(server.ws_url("/ws"))
        .await
        .unwrap();
    // The refusal waits in the socket while the client, not reading yet, still sends: dropping the connection with
    // those frames unread would reset it and lose the refusal.
    let mut client = Client::from_ws(keep_sending(ws, std::time::Duration::from_millis(300)).await);
    let error = client.expect_control("error").await;
    names_the_missing_program(&error);
    assert_eq!(client.expect_close().await, Some(1011));
}

/// The close code a raw WebSocket on `/ws` gets after sending `frame` (bytes as they go on the wire).
async fn close_code_after(server: &TestServer, frame: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let handshake = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        server.addr
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    tcp.write_all(frame).await.unwrap();
    let mut received = Vec::new();
    tokio::time::timeout(crate::support::PATIENCE, async {
        loop {
            // The server's frames after the head: hello, perhaps output, then the close frame.
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let mut frames = &received[end + 4..];
                while frames.len() >= 2 {
                    let (opcode, len) = (frames[0] & 0x0F, usize::from(frames[1] & 0x7F));
                    let (head, len) = match len {
                        126 if frames.len() >= 4 => {
                            (4, usize::from(u16::from_be_bytes([frames[2], frames[3]])))
                        }
                        126 | 127 => break,
                        len => (2, len),
                    };
                    if frames.len() < head + len {
                        break;
                    }
                    if opcode == 0x8 {
                        return u16::from_be_bytes([frames[head], frames[head + 1]]);
                    }
                    frames = &frames[head + len..];
                }
            }
            let mut buf = [0; 4096];
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "the connection ended without a close frame: {received:?}"
            );
            received.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("a close frame in time")
}

#[tokio::test]
async fn frames_that_break_the_websocket_protocol_on_ws_are_closed_with_1002() {
    let server = TestServer::with_command(&["sh"]);
    let mask = [1, 2, 3, 4];
    let masked = |first: u8, payload: &[u8]| {
        let mut frame = vec![first, 0x80 | u8::try_from(payload.len()).unwrap()];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
        frame
    };
    let cases: [(&str, Vec<u8>); 7] = [
        ("an unmasked frame", vec![0x82, 0x01, b'x']),
        ("a reserved bit", masked(0x82 | 0x40, b"x")),
        ("a reserved opcode", masked(0x83, b"x")),
        ("a fragmented ping", masked(0x09, b"x")),
        ("a control frame over 125 bytes", {
            let mut frame = vec![0x89, 0x80 | 126, 0, 126];
            frame.extend_from_slice(&mask);
            frame.extend(std::iter::repeat_n(0, 126));
            frame
        }),
        ("a close frame of one byte", masked(0x88, &[3])),
        (
            "a continuation with nothing to continue",
            masked(0x80, b"x"),
        ),
    ];
    for (what, frame) in cases {
        assert_eq!(close_code_after(&server, &frame).await, 1002, "{what}");
    }
    still_healthy(&server).await;
}

#[tokio::test]
async fn a_websocket_version_other_than_13_gets_426_and_the_version_spoken() {
    let server = TestServer::with_command(&["sh"]);
    for version in ["12", "8", "7", "abc"] {
        let headers = format!(
            "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: {version}\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        );
        for path in ["/ws", "/echo"] {
            let (status, headers, body) = http_get(server.addr, path, &headers).await;
            assert_eq!(status, 426, "{version} on {path}: {headers}");
            assert!(headers.contains("sec-websocket-version: 13"), "{headers}");
            let body = String::from_utf8_lossy(&body);
            assert!(
                body.contains(&format!("version \"{version}\" is not spoken here")),
                "{body}"
            );
        }
    }
    still_healthy(&server).await;
}
