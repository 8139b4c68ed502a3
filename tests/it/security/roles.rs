//! Who may type: read-only clients (a read token, `session.writable = false`), how many may connect, and
//! whose sessions outlive them.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::{Error, Message};

use super::{
    READ_TOKEN, TOKEN, bearer, get, still_starts_programs, token_config, upgrade, ws_request,
};
use crate::support::{Client, Event, PATIENCE, TestServer};

#[tokio::test]
async fn a_read_only_client_sees_the_output_but_its_typing_and_resizes_are_refused() {
    let mut config = token_config();
    // The program shows its size after a while, and echoes whatever reaches it.
    config.session.command = ["sh", "-c", "echo ready; sleep 1; stty size; cat"]
        .map(String::from)
        .to_vec();
    let server = TestServer::start(config);
    let mut client = upgrade(&server, "/ws?cols=80&rows=24", &[bearer(READ_TOKEN)])
        .await
        .unwrap();
    assert_eq!(client.hello["writable"], false);
    client.expect_output("ready\r\n").await;
    client
        .control(json!({"type": "resize", "cols": 120, "rows": 40}))
        .await;
    client.type_text("rm -rf ~\r").await;
    let error = client.expect_control("error").await;
    assert!(
        error["message"].as_str().unwrap().contains("read-only"),
        "{error}"
    );
    let output = client.expect_output("24 80\r\n").await;
    assert_eq!(
        output, "ready\r\n24 80\r\n",
        "the resize was ignored and the keys never reached the terminal"
    );
    assert_eq!(
        client.controls.len(),
        1,
        "one error for the input, none for the resize: {:?}",
        client.controls
    );
    still_starts_programs(&server, "ready\r\n").await;
}

#[tokio::test]
async fn writable_false_makes_even_the_write_token_read_only() {
    let mut config = token_config();
    config.session.writable = false;
    let server = TestServer::start(config);
    let mut client = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    assert_eq!(client.hello["writable"], false);
    client.type_text("echo hi\r").await;
    client.expect_control("error").await;
}

#[tokio::test]
async fn beyond_max_clients_an_upgrade_gets_503_until_a_terminal_closes() {
    let mut config = token_config();
    config.session.max_clients = 2;
    let server = TestServer::start(config);
    let first = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    let _second = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    assert_eq!(
        upgrade(&server, "/ws", &[bearer(TOKEN)]).await.err(),
        Some(503)
    );
    drop(first);
    // The place comes back once the first terminal's processes are gone (after the kill grace).
    let deadline = Instant::now() + PATIENCE;
    let mut third = loop {
        match upgrade(&server, "/ws", &[bearer(TOKEN)]).await {
            Ok(client) => break client,
            Err(status) => assert_eq!(status, 503),
        }
        assert!(Instant::now() < deadline, "the place never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(third.ask("$((6*7))").await, "42");
}

#[tokio::test]
async fn read_only_clients_take_at_most_half_of_max_clients_and_writers_still_get_in() {
    let mut config = token_config();
    config.session.max_clients = 4;
    let server = TestServer::start(config);
    let _viewers = [
        upgrade(&server, "/ws", &[bearer(READ_TOKEN)])
            .await
            .unwrap(),
        upgrade(&server, "/echo", &[bearer(READ_TOKEN)])
            .await
            .unwrap(),
    ];
    let (status, _, body) = crate::support::refused_upgrade(
        server.addr,
        "/ws",
        &format!("Authorization: Bearer {READ_TOKEN}\r\n"),
    )
    .await;
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("read-only clients already have 2 WebSocket connections open"),
        "{body}"
    );
    // The other half is the writers'.
    let mut writer = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    let _another = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    assert_eq!(writer.ask("$((6*7))").await, "42");
}

/// Sends `text` to an `/echo` client and reads it back.
async fn echoes(client: &mut Client, text: &str) {
    client
        .ws
        .send(Message::Binary(text.as_bytes().to_vec().into()))
        .await
        .unwrap();
    client.expect_output(text).await;
}

/// Closes an `/echo` client and waits for the server's answering close frame: its echo has ended by then, and
/// given its place back.
async fn close(mut client: Client) {
    client.ws.close(None).await.unwrap();
    loop {
        match client.next().await {
            Event::Close(_) => return,
            Event::End => panic!("the connection ended without the server's close frame"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn echo_sockets_take_places_among_max_clients_like_terminals() {
    let mut config = token_config();
    config.session.max_clients = 2;
    let server = TestServer::start(config);
    let mut first = upgrade(&server, "/echo", &[bearer(TOKEN)]).await.unwrap();
    let mut second = upgrade(&server, "/echo", &[bearer(TOKEN)]).await.unwrap();
    echoes(&mut first, "one").await;
    echoes(&mut second, "two").await;

    // A third echo socket is refused as a terminal would be, with the reason.
    let request = ws_request(&server, "/echo", &[bearer(TOKEN)]);
    let refusal = match tokio_tungstenite::connect_async(request).await {
        Err(Error::Http(response)) => response,
        Ok(_) => panic!("a third echo socket was accepted"),
        Err(other) => panic!("upgrade failed: {other}"),
    };
    let body = String::from_utf8_lossy(refusal.body().as_deref().unwrap_or_default()).into_owned();
    assert_eq!(refusal.status(), 503, "{body}");
    assert!(
        body.contains("maximum of 2 WebSocket connections open (session.max_clients)"),
        "{body}"
    );
    assert_eq!(refusal.headers()["retry-after"], "5");
    assert_eq!(
        upgrade(&server, "/ws", &[bearer(TOKEN)]).await.err(),
        Some(503),
        "the echo sockets hold the terminals' places too"
    );

    // A closed echo socket gives its place back at once.
    close(first).await;
    let mut third = upgrade(&server, "/echo", &[bearer(TOKEN)])
        .await
        .expect("the first socket's place");
    echoes(&mut third, "three").await;
    close(third).await;
    let mut terminal = upgrade(&server, "/ws", &[bearer(TOKEN)])
        .await
        .expect("the third socket's place");
    assert_eq!(terminal.ask("$((6*7))").await, "42");
    echoes(&mut second, "still two").await;
}

/// Upgrades `path` with `headers`, waiting (up to [`PATIENCE`]) while the server answers 503: until a session
/// that is ending has given its place back.
async fn upgrade_once_a_place_is_free(
    server: &TestServer,
    path: &str,
    headers: &[(&str, String)],
) -> Client {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match upgrade(server, path, headers).await {
            Ok(client) => return client,
            Err(status) => assert_eq!(status, 503),
        }
        assert!(
            Instant::now() < deadline,
            "no place among session.max_sessions came back within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The session `id` as `GET /api/sessions` shows it to an admin, if it is alive.
async fn listed(server: &TestServer, id: &str) -> Option<serde_json::Value> {
    let (status, _, body) = get(server.addr, "/api/sessions", &[bearer(TOKEN)]).await;
    assert_eq!(status, 200, "{body}");
    let sessions: serde_json::Value = serde_json::from_str(&body).unwrap();
    sessions.as_array()?.iter().find(|s| s["id"] == id).cloned()
}

/// Waits until the session `id` has no client left, then checks that it lingers: a session that does not would
/// end within a millisecond or so (at the next tick of the timer), so it is looked at again a while later.
async fn still_lingers(server: &TestServer, id: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let session = listed(server, id).await.expect("the session lingers");
        if session["clients"] == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "clients stayed attached: {session}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        listed(server, id).await.is_some(),
        "the session ended with its last client"
    );
}

#[tokio::test]
async fn read_only_clients_that_come_and_go_leave_no_sessions_behind_to_fill_max_sessions() {
    let mut config = token_config();
    config.session.linger_secs = 60;
    config.session.max_sessions = 2;
    let server = TestServer::start(config);
    // Each viewer starts a session of its own; were it to linger, the third would find no place for a minute.
    for _ in 0..8 {
        let viewer = upgrade_once_a_place_is_free(&server, "/ws", &[bearer(READ_TOKEN)]).await;
        assert_eq!(viewer.hello["writable"], false);
        close(viewer).await;
    }
    let mut writer = upgrade_once_a_place_is_free(&server, "/ws", &[bearer(TOKEN)]).await;
    assert_eq!(writer.hello["writable"], true);
    assert_eq!(writer.ask("$((6*7))").await, "42");
}

#[tokio::test]
async fn a_writers_session_that_a_read_only_client_watched_last_still_lingers() {
    let mut config = token_config();
    config.session.linger_secs = 60;
    let server = TestServer::start(config);
    let mut writer = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    let id = writer.hello["session"].as_str().unwrap().to_owned();
    let shell = writer.ask("$$").await;
    let mut viewer = upgrade(&server, &format!("/ws?session={id}"), &[bearer(READ_TOKEN)])
        .await
        .unwrap();
    assert_eq!(viewer.hello["writable"], false);
    close(writer).await;
    viewer.expect_output(&shell).await;
    close(viewer).await;
    still_lingers(&server, &id).await;

    let mut again = upgrade(&server, &format!("/ws?session={id}"), &[bearer(TOKEN)])
        .await
        .unwrap();
    assert_eq!(again.hello["resumed"], true);
    assert_eq!(again.ask("$$").await, shell, "the same shell");
}

#[tokio::test]
async fn with_writable_false_the_write_tokens_sessions_still_linger() {
    let mut config = token_config();
    config.session.writable = false;
    config.session.linger_secs = 60;
    // Nobody types here, so the program shows its pid by itself.
    config.session.command = ["sh", "-c", "echo pid=$$; exec sleep 1000"]
        .map(String::from)
        .to_vec();
    let server = TestServer::start(config);
    let mut client = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();
    assert_eq!(client.hello["writable"], false);
    let id = client.hello["session"].as_str().unwrap().to_owned();
    let output = client.expect_output("\r\n").await;
    let pid = output.lines().next().unwrap().to_owned();
    close(client).await;
    still_lingers(&server, &id).await;
    let mut again = upgrade(&server, &format!("/ws?session={id}"), &[bearer(TOKEN)])
        .await
        .expect("the session lingers");
    assert_eq!(again.hello["resumed"], true);
    again.expect_output(&pid).await;
}
