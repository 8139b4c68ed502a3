//! One session, one terminal size: every client of a session is told the size the program draws for (`size`),
//! whichever client set it, so that none of them wraps the program's lines at another width.

use serde_json::{Value, json};
use webterm::config::Config;
use webterm::protocol::InputPolicy;

use crate::support::{Client, PATIENCE, TestServer, config};

/// A shell whose sessions outlive their connections by a minute.
fn lingering() -> Config {
    let mut config = config(&["sh"]);
    config.session.linger_secs = 60;
    config
}

/// `/ws?session=ID` of `client`'s session, then `extra` (like `&cols=120&rows=40`).
fn attach_path(client: &Client, extra: &str) -> String {
    let id = client.hello["session"]
        .as_str()
        .expect("hello names the session");
    format!("/ws?session={id}{extra}")
}

/// The next `size` message `client` gets, as (cols, rows). Fails the test after [`PATIENCE`], however many pings
/// came meanwhile.
async fn next_size(client: &mut Client) -> (u64, u64) {
    let size: Value = tokio::time::timeout(PATIENCE, client.expect_control("size"))
        .await
        .expect("a size message in time");
    (
        size["cols"].as_u64().unwrap(),
        size["rows"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn a_resize_by_one_client_reaches_every_client_of_the_session_as_a_size_message() {
    let server = TestServer::start(lingering());
    let mut writer = Client::connect(&server, "?cols=80&rows=24").await;
    let mut other = Client::connect_path(&server, &attach_path(&writer, "")).await;
    assert_eq!(
        (other.hello["cols"].as_u64(), other.hello["rows"].as_u64()),
        (Some(80), Some(24))
    );

    writer
        .control(json!({"type": "resize", "cols": 100, "rows": 30}))
        .await;
    assert_eq!(
        next_size(&mut other).await,
        (100, 30),
        "the other client is told"
    );
    assert_eq!(
        next_size(&mut writer).await,
        (100, 30),
        "the client that resized is answered"
    );
    assert_eq!(
        other.ask("\"$(stty size)\"").await,
        "30 100",
        "the program has that size"
    );

    // A resize to the size the session has is answered too, so a client can tell the answer to its own.
    other
        .control(json!({"type": "resize", "cols": 100, "rows": 30}))
        .await;
    assert_eq!(next_size(&mut writer).await, (100, 30));
    assert_eq!(next_size(&mut other).await, (100, 30));
}

#[tokio::test]
async fn a_client_attaching_with_its_own_size_resizes_the_session_and_the_others_are_told() {
    let server = TestServer::start(lingering());
    let mut first = Client::connect(&server, "?cols=80&rows=24").await;
    let mut second = Client::connect_path(&server, &attach_path(&first, "&cols=120&rows=40")).await;
    assert_eq!(
        (second.hello["cols"].as_u64(), second.hello["rows"].as_u64()),
        (Some(120), Some(40))
    );
    assert_eq!(next_size(&mut first).await, (120, 40));
    assert_eq!(second.ask("\"$(stty size)\"").await, "40 120");
}

#[tokio::test]
async fn a_client_that_may_not_type_neither_resizes_the_session_nor_makes_anyone_told() {
    let mut config = lingering();
    config.session.input = InputPolicy::Single;
    let server = TestServer::start(config);
    let mut writer = Client::connect(&server, "?cols=80&rows=24").await;
    let mut watcher =
        Client::connect_path(&server, &attach_path(&writer, "&cols=50&rows=10")).await;
    assert_eq!(watcher.hello["writable"], false);
    assert_eq!(
        (
            watcher.hello["cols"].as_u64(),
            watcher.hello["rows"].as_u64()
        ),
        (Some(80), Some(24))
    );
    watcher
        .control(json!({"type": "resize", "cols": 60, "rows": 12}))
        .await;
    assert_eq!(
        writer.ask("\"$(stty size)\"").await,
        "24 80",
        "the watcher resized nothing"
    );

    // The first `size` either gets is the writer's: nothing was sent for the watcher's.
    writer
        .control(json!({"type": "resize", "cols": 90, "rows": 25}))
        .await;
    assert_eq!(next_size(&mut watcher).await, (90, 25));
    assert_eq!(next_size(&mut writer).await, (90, 25));
}

#[tokio::test]
async fn a_client_whose_queue_is_full_gets_the_answer_to_its_own_resize_before_a_later_size() {
    // The page takes a size it did not ask for only once its own resizes are answered: an answer merged into a
    // later size would leave it waiting (and at the wrong size) for good.
    let server = TestServer::start(lingering());
    let mut first = Client::connect(&server, "?cols=80&rows=24").await;
    let mut second = Client::connect_path(&server, &attach_path(&first, "")).await;
    // The first client's queue fills with output it does not take.
    first.control(json!({"type": "pause"})).await;
    second
        .type_text(
            "stty -echo; head -c 1000000 /dev/zero | tr '\\0' y; echo; echo output\"\"-done\r",
        )
        .await;
    second.expect_output("output-done").await;

    first
        .control(json!({"type": "resize", "cols": 100, "rows": 30}))
        .await;
    assert_eq!(next_size(&mut second).await, (100, 30));
    second
        .control(json!({"type": "resize", "cols": 90, "rows": 25}))
        .await;
    assert_eq!(next_size(&mut second).await, (90, 25));

    first.control(json!({"type": "resume"})).await;
    assert_eq!(
        next_size(&mut first).await,
        (100, 30),
        "its own resize is answered"
    );
    assert_eq!(next_size(&mut first).await, (90, 25), "then the later size");
}
