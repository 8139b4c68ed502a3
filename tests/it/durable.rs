//! Durable sessions: a session outlives its connection. A client that comes back with `?session=ID` gets the same
//! program and its screen, full-screen programs included; a client that fell behind catches up with a snapshot;
//! bad session ids are refused. Several clients of one session are in `sharing`; when sessions end (linger, the
//! API, `session.once`) and how many there may be, in `session_lifetime`. Both use the helpers here.
//!
//! Screens are compared through `webterm::screen::Screen`: one fed what a client saw live, one fed what a client
//! that attached later got (the snapshot, then the live output). Equal lines and cursor mean the replay rebuilt
//! the screen exactly.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::MaybeTlsStream;
use webterm::config::Config;
use webterm::protocol::Size;
use webterm::screen::Screen;

use crate::security::ws_request;
use crate::support::{
    Binary, Client, Event, PATIENCE, TestServer, children_of, config, process_exists,
    wait_for_child,
};

/// A shell whose sessions outlive their connections by a minute.
pub fn lingering(command: &[&str]) -> Config {
    let mut config = config(command);
    config.session.linger_secs = 60;
    config
}

/// `/ws?session=ID`.
pub fn attach_path(id: &str) -> String {
    format!("/ws?session={id}")
}

/// The session's id, as `hello` named it.
pub fn session_id(client: &Client) -> String {
    client.hello["session"]
        .as_str()
        .expect("hello names the session")
        .to_owned()
}

/// Reads until nothing has come for 500 ms: the program has finished drawing.
pub async fn settle(client: &mut Client) {
    while let Ok(event) = tokio::time::timeout(Duration::from_millis(500), client.next()).await {
        if let Event::Close(_) | Event::End = event {
            panic!("the connection ended while settling: {event:?}");
        }
    }
}

/// What `bytes` draw on a terminal of `size`: the visible lines and the cursor.
pub fn screen_of(bytes: &[u8], size: Size) -> (Vec<String>, (u16, u16)) {
    let mut screen = Screen::new(size, 1 << 20);
    screen.feed(bytes);
    (screen.lines(), screen.cursor())
}

/// The terminal size `hello` announced.
pub fn size_of(client: &Client) -> Size {
    let number = |name: &str| client.hello[name].as_u64().unwrap() as u32;
    Size::new(number("cols"), number("rows")).unwrap()
}

/// Opens `path` from `from` with `headers` and expects a refused attach: an `error` message, then close 4404.
/// Returns the error message.
pub async fn refused_attach(
    from: IpAddr,
    server: &TestServer,
    path: &str,
    headers: &[(&str, String)],
) -> String {
    let stream = crate::security::connect_from(from, server.addr).await;
    let request = ws_request(server, path, headers);
    let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .expect("the upgrade succeeds: a browser could not read the status of a refused one");
    let mut client = Client::from_ws(ws);
    let error = client.expect_control("error").await;
    assert_eq!(client.expect_close().await, Some(4404));
    error["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn after_a_dropped_connection_the_client_reattaches_to_the_same_shell_and_its_screen() {
    let server = TestServer::start(lingering(&["sh"]));
    let mut first = Client::connect(&server, "?cols=90&rows=20").await;
    assert_eq!(first.hello["resumed"], false);
    let id = session_id(&first);
    let pid = first.ask_number("$$").await;
    first.type_text("echo before\"\"-the-drop\r").await;
    first.expect_output("before-the-drop").await;
    settle(&mut first).await;
    let seen = screen_of(&first.output, size_of(&first));
    // The TCP connection goes away without a close frame, as on a network failure.
    drop(first);

    let mut second = Client::connect(&server, &format!("?session={id}&cols=90&rows=20")).await;
    assert_eq!(second.hello["session"], id.as_str());
    assert_eq!(second.hello["resumed"], true);
    settle(&mut second).await;
    assert!(
        second.output.starts_with(b"\x1bc"),
        "the screen comes as a snapshot that starts with a full reset"
    );
    assert_eq!(screen_of(&second.output, size_of(&second)), seen);
    assert_eq!(second.ask_number("$$").await, pid, "the same shell");
    assert!(process_exists(pid));
}

/// Runs `program` in a session, lets it draw, drops the connection, attaches again, and checks that the
/// screen that comes back is exactly the one the first client had.
async fn full_screen_program_survives_a_drop(program: &str, keys: &str) {
    let server = TestServer::start(lingering(&["sh"]));
    let mut first = Client::connect(&server, "?cols=100&rows=30").await;
    let id = session_id(&first);
    let shell = first.ask_number("$$").await;
    first.type_text(&format!("{program}\r")).await;
    let name = program.split_whitespace().next().unwrap();
    wait_for_child(shell, name).await;
    settle(&mut first).await;
    first.type_text(keys).await;
    settle(&mut first).await;
    let seen = screen_of(&first.output, size_of(&first));
    assert!(
        seen.0.iter().filter(|line| !line.is_empty()).count() > 3,
        "{program} drew its screen: {seen:?}"
    );
    drop(first);

    let mut second = Client::connect_path(&server, &attach_path(&id)).await;
    settle(&mut second).await;
    let replayed = screen_of(&second.output, size_of(&second));
    assert_eq!(
        replayed.0, seen.0,
        "{program}'s screen came back line for line"
    );
    assert_eq!(replayed.1, seen.1, "the cursor is where it was");
}

#[tokio::test]
async fn vim_in_insert_mode_comes_back_exactly_after_a_drop() {
    let dir = std::env::temp_dir().join(format!("webterm-durable-vim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("notes.txt");
    let text: String = (1..=40)
        .map(|n| format!("line {n}: café ✓ 漢字\n"))
        .collect();
    std::fs::write(&file, text).unwrap();
    let program = format!("vim -u DEFAULTS -i NONE {}", file.display());
    // Insert mode on line 12, a word typed, a split window below.
    full_screen_program_survives_a_drop(&program, "12Gcwtyped\x1b:split\rA more\x1b").await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn htop_comes_back_exactly_after_a_drop() {
    // A ten-second refresh: the screen must not change between the drop and the check.
    full_screen_program_survives_a_drop("htop -d 100", "").await;
}

#[tokio::test]
async fn a_paused_client_that_stops_reading_does_not_slow_another_and_catches_up_with_a_snapshot() {
    let binary = Binary::start(&["--no-auth", "--listen", "127.0.0.1:0", "--", "sh"]);
    let url = format!("ws://{}/ws", binary.addr);
    let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let mut idle = Client::from_ws(ws);
    let Event::Control(hello) = idle.next().await else {
        panic!("no hello")
    };
    idle.hello = hello;
    let id = session_id(&idle);
    let (ws, _) = tokio_tungstenite::connect_async(format!("{url}?session={id}"))
        .await
        .unwrap();
    let mut busy = Client::from_ws(ws);
    busy.hello = match busy.next().await {
        Event::Control(hello) => hello,
        other => panic!("no hello: {other:?}"),
    };
    let shells = children_of(binary.pid());
    assert_eq!(shells.len(), 1, "one session, two clients");
    let rss_before = crate::support::vm_rss_kib(binary.pid());

    // `idle` pauses and then reads nothing from here on, while `busy` makes the shell print 20 MB.
    idle.control(json!({"type": "pause"})).await;
    busy.ws
        .send(tokio_tungstenite::tungstenite::Message::Binary(
            b"head -c 20000000 /dev/zero | tr '\\0' x; echo; echo \"all\"-done\r"
                .to_vec()
                .into(),
        ))
        .await
        .unwrap();
    let mut tail = Vec::new();
    while !tail.windows(8).any(|w| w == b"all-done") {
        match tokio::time::timeout(PATIENCE, futures_util::StreamExt::next(&mut busy.ws)).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Binary(bytes)))) => {
                tail.extend_from_slice(&bytes);
                tail.drain(..tail.len().saturating_sub(bytes.len() + 8));
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("the active client stalled or ended: {other:?}"),
        }
    }
    let grown = crate::support::vm_rss_kib(binary.pid()).saturating_sub(rss_before);
    assert!(
        grown < 48 * 1024,
        "the server grew by {grown} KiB for 20 MB of output"
    );

    // The idle client then resumes: it gets what it had queued and one snapshot, and ends on the same screen.
    idle.control(json!({"type": "resume"})).await;
    settle(&mut idle).await;
    busy.output.clear();
    busy.type_text("clear; echo \"synced\"\r").await;
    busy.expect_output("synced").await;
    idle.expect_output("synced").await;
    settle(&mut idle).await;
    settle(&mut busy).await;
    let size = size_of(&busy);
    let idle_screen = screen_of(&idle.output, size);
    assert!(
        idle_screen.0.iter().any(|line| line == "synced"),
        "{idle_screen:?}"
    );
    assert_eq!(idle_screen, screen_of(&busy.output, size));
}

#[tokio::test]
async fn bad_session_ids_are_refused_and_the_server_stays_healthy() {
    let server = TestServer::start(lingering(&["sh"]));
    for bad in ["/ws?session=", &format!("/ws?session={}", "a".repeat(65))] {
        let (status, _, body) = crate::support::http_get(server.addr, bad, "").await;
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
        assert!(String::from_utf8_lossy(&body).contains("session must be a session id"));
    }
    for unknown in ["nope", "..%2F..%2Fetc", "%00", "%E2%9C%93"] {
        let message =
            refused_attach([127, 0, 0, 1].into(), &server, &attach_path(unknown), &[]).await;
        assert!(
            message.starts_with("there is no session"),
            "{unknown}: {message}"
        );
    }
    let mut client = Client::connect(&server, "").await;
    assert_eq!(client.hello["resumed"], false);
    assert_eq!(client.ask("$((40+2))").await, "42");
}

#[tokio::test]
async fn a_client_that_fell_behind_gets_the_final_screen_before_the_exit_and_the_others_do_not_wait_for_it()
 {
    let server = TestServer::with_command(&["sh"]);
    let mut behind = Client::connect(&server, "").await;
    let mut active = Client::connect_path(&server, &attach_path(&session_id(&behind))).await;

    // `behind` pauses and reads nothing while the shell prints 3 MB and its last line, and exits.
    behind.control(json!({"type": "pause"})).await;
    active
        .type_text("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo final\"\"-line; exit\r")
        .await;
    active.expect_output("final-line").await;
    // At once, not after the time `behind` has to catch up (5 s).
    let exit = tokio::time::timeout(Duration::from_secs(3), active.expect_control("exit"))
        .await
        .expect("the exit does not wait for a client that fell behind");
    assert_eq!(exit["code"], 0, "{exit}");

    // Then it resumes: what it had queued, the final screen as a snapshot, and the exit.
    behind.control(json!({"type": "resume"})).await;
    behind.expect_control("exit").await;
    assert!(
        behind.output_text().contains("final-line"),
        "the client that fell behind got the exit without the final screen"
    );
    assert!(
        behind.output.len() < 3_000_000,
        "it caught up with a snapshot, not the whole output"
    );
}
