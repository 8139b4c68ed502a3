//! Who may type: read-only clients (a read token, `session.writable = false`), and how many may connect.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::{Error, Message};

use super::{READ_TOKEN, TOKEN, bearer, still_starts_programs, token_config, upgrade, ws_request};
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
