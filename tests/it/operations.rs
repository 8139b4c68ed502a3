//! Operating webterm: `/healthz`, `/metrics`, and graceful shutdown (in-process and by SIGTERM to the binary).

use std::time::Duration;

use serde_json::json;
use webterm::config::AuthMode;

use crate::support::{Client, Event, PATIENCE, TestServer, config, http_get, wait_until_gone};

#[tokio::test]
async fn healthz_answers_without_credentials_while_metrics_need_them() {
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Token;
    let server = TestServer::start(config);
    let (status, _, body) = http_get(server.addr, "/healthz", "").await;
    assert_eq!((status, body.as_slice()), (200, &b"ok\n"[..]));
    let (status, _, _) = http_get(server.addr, "/metrics", "").await;
    assert_eq!(status, 401);
}

/// Reads `/metrics` until `line` appears in it.
async fn wait_for_metric(server: &TestServer, line: &str) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (status, headers, body) = http_get(server.addr, "/metrics", "").await;
        assert_eq!(status, 200);
        assert!(
            headers.contains("content-type: text/plain; version=0.0.4"),
            "{headers}"
        );
        let text = String::from_utf8(body).unwrap();
        if text.lines().any(|l| l == line) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {line:?} in:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn metrics_count_sessions_traffic_errors_and_exits() {
    let server =
        TestServer::with_command(&["sh", "-c", "read line; printf 'got %s' \"$line\"; exit 3"]);
    let mut client = Client::connect(&server, "").await;
    wait_for_metric(&server, "webterm_sessions_active 1").await;
    client
        .control(json!({"type": "resize", "cols": 0, "rows": 0}))
        .await;
    client.expect_control("error").await;
    client.type_text("hi\r").await;
    client.expect_control("exit").await;
    assert_eq!(client.expect_close().await, Some(1000));
    let text = wait_for_metric(&server, "webterm_exits_total{status=\"3\"} 1").await;
    for line in [
        "webterm_sessions_total 1",
        "webterm_sessions_active 0",
        "webterm_clients_active 0",
        "webterm_input_bytes_total 3",
        "webterm_protocol_errors_total 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    let out: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("webterm_output_bytes_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(out >= "hi\r\ngot hi".len() as u64, "{out}");
}

#[tokio::test]
async fn a_client_that_never_answers_the_close_frame_is_dropped_all_the_same() {
    let server = TestServer::with_command(&["sh", "-c", "exit 0"]);
    let mut client = Client::connect(&server, "").await;
    client.expect_control("exit").await;
    // The close frame arrives; the client reads nothing more, so it never answers it.
    let Event::Close(_) = client.next().await else {
        panic!("no close frame after exit")
    };
    wait_for_metric(&server, "webterm_clients_active 0").await;
    let stream = client.ws.get_mut();
    let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = stream else {
        panic!("plain TCP")
    };
    let mut rest = Vec::new();
    tokio::time::timeout(
        PATIENCE,
        tokio::io::AsyncReadExt::read_to_end(tcp, &mut rest),
    )
    .await
    .expect("the server ends the connection")
    .expect("with a FIN, not a reset");
    assert!(rest.is_empty(), "nothing after the close frame: {rest:?}");
}

#[tokio::test]
async fn shutdown_tells_every_client_hangs_up_the_programs_and_refuses_newcomers() {
    let server = TestServer::with_command(&["sh"]);
    let mut first = Client::connect(&server, "").await;
    let mut second = Client::connect(&server, "").await;
    let shells = [first.ask_number("$$").await, second.ask_number("$$").await];
    let job = first
        .ask_number("\"$(sleep 1005 >/dev/null & echo $!)\"")
        .await;

    let shutdown = server.shutdown.clone();
    let drained = tokio::spawn(async move { shutdown.drain(PATIENCE).await });
    for client in [&mut first, &mut second] {
        client.expect_control("shutdown").await;
        assert_eq!(client.expect_close().await, Some(1001));
    }
    assert!(
        drained.await.unwrap(),
        "every session ended within the grace period"
    );
    wait_until_gone(&[shells[0], shells[1], job]).await;

    let (status, _, body) = http_get(server.addr, "/ws", "").await;
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn shutdown_closes_echo_sockets_and_waits_for_them() {
    let server = TestServer::with_command(&["sh"]);
    let (ws, _) = tokio_tungstenite::connect_async(server.ws_url("/echo"))
        .await
        .unwrap();
    let mut echo = Client::from_ws(ws);

    let shutdown = server.shutdown.clone();
    let drained = tokio::spawn(async move { shutdown.drain(PATIENCE).await });
    let Event::Close(Some(frame)) = echo.next().await else {
        panic!("a close frame first");
    };
    assert_eq!(u16::from(frame.code), 1001);
    assert_eq!(frame.reason, "webterm is shutting down");
    // The echo waits for our answering close frame, and the shutdown for the echo.
    assert!(
        !drained.is_finished(),
        "the shutdown did not wait for the echo socket"
    );
    // Reading on sends our answering close frame; the server then ends the connection.
    assert!(matches!(echo.next().await, Event::End));
    assert!(
        drained.await.unwrap(),
        "the echo ended within the grace period"
    );

    match tokio_tungstenite::connect_async(server.ws_url("/echo")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503, "a newcomer is refused")
        }
        Ok(_) => panic!("an echo socket was accepted during the shutdown"),
        Err(other) => panic!("upgrade failed: {other}"),
    }
}

#[tokio::test]
async fn sessions_are_recorded_as_asciicast_files_that_asciinema_replays() {
    let dir = std::env::temp_dir().join(format!("webterm-recordings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = config(&[
        "sh",
        "-c",
        "read answer; printf 'you said %s\\n' \"$answer\"",
    ]);
    config.session.record_dir = Some(dir.clone());
    config.session.record_input = true;
    let server = TestServer::start(config);
    let mut client = Client::connect(&server, "?cols=90&rows=30").await;
    let session = client.hello["session"].as_str().unwrap().to_string();
    client
        .control(json!({"type": "resize", "cols": 100, "rows": 40}))
        .await;
    client.type_text("漢字\r").await;
    client.expect_control("exit").await;
    // The file is complete once the session ended.
    wait_for_metric(&server, "webterm_sessions_active 0").await;

    let file = dir.join(format!("{session}.cast"));
    let text = std::fs::read_to_string(&file).expect("the recording exists");
    // Only webterm's own user may read what was shown and typed, whatever the umask.
    let mode = |path: &std::path::Path| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions())
            & 0o777
    };
    assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["version"], 2);
    assert_eq!(
        (events[0]["width"].as_u64(), events[0]["height"].as_u64()),
        (Some(90), Some(30))
    );
    let kinds: Vec<&str> = events[1..].iter().map(|e| e[1].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"r") && kinds.contains(&"i") && kinds.contains(&"o"),
        "{kinds:?}"
    );

    let output = std::process::Command::new("asciinema")
        .arg("cat")
        .arg(&file)
        .output()
        .expect("asciinema from PyPI is installed (scripts/test does it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("you said 漢字"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_replay_page_plays_a_recording_in_chromium() {
    let dir = std::env::temp_dir().join(format!("webterm-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = config(&["sh", "-c", "printf 'replayed %s\\n' 漢字"]);
    config.session.record_dir = Some(dir.clone());
    let server = TestServer::start(config);
    let mut client = Client::connect(&server, "").await;
    let session = client.hello["session"].as_str().unwrap().to_string();
    client.expect_control("exit").await;
    wait_for_metric(&server, "webterm_sessions_active 0").await;

    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut node = std::process::Command::new("node");
    node.arg(repo.join("tests/browser/replay.mjs"))
        .arg(format!("http://{}/replay", server.addr))
        .arg(dir.join(format!("{session}.cast")))
        .arg(repo.join("tests/artifacts"));
    let output = tokio::task::spawn_blocking(move || node.output())
        .await
        .unwrap()
        .expect("node runs");
    assert!(
        output.status.success(),
        "the replay page failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
