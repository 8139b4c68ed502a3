//! Who may type: read-only clients (a read token, `session.writable = false`), and how many may connect.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{READ_TOKEN, TOKEN, bearer, still_starts_programs, token_config, upgrade};
use crate::support::{PATIENCE, TestServer};

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
