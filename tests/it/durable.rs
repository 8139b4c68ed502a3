//! Durable sessions: a session outlives its connection. A client that comes back with `?session=ID` gets the same
//! program and its screen; several clients share one session; read-only viewers watch; the session ends when its
//! program exits, after `session.linger_secs` without clients, when an admin deletes it, or with `session.once`.
//!
//! Screens are compared through `webterm::screen::Screen`: one fed what a client saw live, one fed what a client
//! that attached later got (the snapshot, then the live output). Equal lines and cursor mean the replay rebuilt
//! the screen exactly.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::MaybeTlsStream;
use webterm::config::{AuthMode, Config};
use webterm::protocol::{InputPolicy, Size};
use webterm::screen::Screen;

use crate::security::{READ_TOKEN, TOKEN, bearer, token_config, upgrade, upgrade_from, ws_request};
use crate::support::{
    Binary, Client, Event, PATIENCE, TestServer, children_of, config, http_request, process_exists,
    wait_for_child, wait_until_gone,
};

/// A shell whose sessions outlive their connections by a minute.
fn lingering(command: &[&str]) -> Config {
    let mut config = config(command);
    config.session.linger_secs = 60;
    config
}

/// `/ws?session=ID`.
fn attach_path(id: &str) -> String {
    format!("/ws?session={id}")
}

fn session_id(client: &Client) -> String {
    client.hello["session"]
        .as_str()
        .expect("hello names the session")
        .to_owned()
}

/// Reads until nothing has come for 500 ms: the program has finished drawing.
async fn settle(client: &mut Client) {
    while let Ok(event) = tokio::time::timeout(Duration::from_millis(500), client.next()).await {
        if let Event::Close(_) | Event::End = event {
            panic!("the connection ended while settling: {event:?}");
        }
    }
}

/// What `bytes` draw on a terminal of `size`: the visible lines and the cursor.
fn screen_of(bytes: &[u8], size: Size) -> (Vec<String>, (u16, u16)) {
    let mut screen = Screen::new(size, 1 << 20);
    screen.feed(bytes);
    (screen.lines(), screen.cursor())
}

fn size_of(client: &Client) -> Size {
    let number = |name: &str| client.hello[name].as_u64().unwrap() as u32;
    Size::new(number("cols"), number("rows")).unwrap()
}

/// Opens `path` from `from` with `headers` and expects a refused attach: an `error` message, then close 4404.
/// Returns the error message.
async fn refused_attach(
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
async fn two_clients_of_one_session_see_the_same_screen_and_both_type() {
    let server = TestServer::start(lingering(&["sh"]));
    let mut first = Client::connect(&server, "").await;
    let id = session_id(&first);
    let mut second = Client::connect_path(&server, &attach_path(&id)).await;
    assert_eq!(
        second.hello["writable"], true,
        "the owner's second client types too"
    );
    assert_eq!(second.hello["input"], "shared");

    first.type_text("seq 1 3000; echo first\"\"-done\r").await;
    first.expect_output("first-done").await;
    second.expect_output("first-done").await;
    second.type_text("echo second\"\"-done\r").await;
    first.expect_output("second-done").await;
    second.expect_output("second-done").await;
    settle(&mut first).await;
    settle(&mut second).await;
    assert_eq!(
        screen_of(&first.output, size_of(&first)),
        screen_of(&second.output, size_of(&second))
    );
}

#[tokio::test]
async fn who_may_attach_the_owner_an_admin_and_read_only_viewers_and_nobody_else() {
    let mut config = lingering(&["sh"]);
    config.auth.mode = AuthMode::Proxy;
    config.auth.trusted_proxies = vec!["127.0.0.2".parse().unwrap()];
    config.auth.read_only_users = vec!["eve".into()];
    config.auth.admins = vec!["root".into()];
    let server = TestServer::start(config);
    let proxy: IpAddr = [127, 0, 0, 2].into();
    let user = |name: &str| [("X-Forwarded-User", name.to_owned())];

    let mut ann = upgrade_from(proxy, &server, "/ws", &user("ann"))
        .await
        .unwrap();
    let id = session_id(&ann);
    let dir = std::env::temp_dir().join(format!("webterm-durable-viewer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let size_before = ann.ask("\"$(stty size)\"").await;

    // Bob may write, but this is not his session: he is told nothing about it.
    let message = refused_attach(proxy, &server, &attach_path(&id), &user("bob")).await;
    assert_eq!(
        message,
        format!("there is no session {id} for you here; it may have ended")
    );
    let unknown = refused_attach(
        proxy,
        &server,
        &attach_path("0123456789abcdef"),
        &user("bob"),
    )
    .await;
    assert_eq!(
        unknown,
        "there is no session 0123456789abcdef for you here; it may have ended"
    );

    // Eve is read-only: she watches, and nothing she sends reaches the program.
    let mut eve = upgrade_from(
        proxy,
        &server,
        &format!("{}&cols=40&rows=10", attach_path(&id)),
        &user("eve"),
    )
    .await
    .unwrap();
    assert_eq!(eve.hello["writable"], false);
    assert_eq!(eve.hello["role"], "read");
    assert_eq!(eve.hello["resumed"], true);
    assert_eq!(eve.hello["owner"], "ann", "she is told whose session it is");
    assert_eq!(
        ann.hello.get("owner"),
        None,
        "ann's own session names nobody"
    );
    let planted = dir.join("planted");
    eve.type_text(&format!("touch {}\r", planted.display()))
        .await;
    let refusal = eve.expect_control("error").await;
    assert_eq!(
        refusal["message"],
        "input refused: this connection is read-only"
    );
    eve.control(json!({"type": "resize", "cols": 50, "rows": 12}))
        .await;
    eve.control(json!({"type": "take_control"})).await;
    let refusal = eve.expect_control("error").await;
    assert_eq!(
        refusal["message"],
        "take_control refused: this connection is read-only"
    );
    ann.type_text("echo ann\"\"-typed\r").await;
    eve.expect_output("ann-typed").await;
    assert_eq!(
        ann.ask("\"$(stty size)\"").await,
        size_before,
        "a viewer does not resize"
    );
    assert!(!planted.exists(), "a viewer's input reached the shell");

    // An admin may take over anyone's session.
    let mut root = upgrade_from(proxy, &server, &attach_path(&id), &user("root"))
        .await
        .unwrap();
    assert_eq!(root.hello["writable"], true);
    assert_eq!(
        root.hello["owner"], "ann",
        "the page asks before typing into it"
    );
    root.type_text("echo root\"\"-typed\r").await;
    ann.expect_output("root-typed").await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_session_is_attached_only_through_its_own_terminal_path() {
    let mut config = lingering(&["sh"]);
    config.terminals = vec![crate::terminals::terminal("/other", &["sh"])];
    let server = TestServer::start(config);
    let main = Client::connect(&server, "").await;
    let id = session_id(&main);
    let message = refused_attach(
        [127, 0, 0, 1].into(),
        &server,
        &format!("/other/ws?session={id}"),
        &[],
    )
    .await;
    assert!(message.contains("no session"), "{message}");
    let again = Client::connect_path(&server, &attach_path(&id)).await;
    assert_eq!(again.hello["resumed"], true);
}

#[tokio::test]
async fn a_session_without_clients_ends_after_linger_secs_and_leaves_no_process() {
    let mut config = config(&["sh"]);
    config.session.linger_secs = 2;
    let server = TestServer::start(config);
    let mut client = Client::connect(&server, "").await;
    let id = session_id(&client);
    let shell = client.ask_number("$$").await;
    client.type_text("sleep 1000 &\r").await;
    let sleeper = wait_for_child(shell, "sleep").await;
    drop(client);

    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        process_exists(shell) && process_exists(sleeper),
        "the session lingers"
    );
    let listed = api(&server, "GET", "/api/sessions", "").await;
    assert_eq!(listed.0, 200);
    let sessions: Value = serde_json::from_str(&listed.1).unwrap();
    assert_eq!(sessions[0]["id"], id.as_str());
    assert_eq!(sessions[0]["clients"], 0);

    wait_until_gone(&[shell, sleeper]).await;
    let message = refused_attach([127, 0, 0, 1].into(), &server, &attach_path(&id), &[]).await;
    assert!(message.contains("it may have ended"), "{message}");
    assert_eq!(api(&server, "GET", "/api/sessions", "").await.1, "[]");
}

/// An HTTP request to the management API: (status, body).
async fn api(server: &TestServer, method: &str, path: &str, headers: &str) -> (u16, String) {
    let (status, _, body) = http_request(server.addr, method, path, headers).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn admins_list_and_delete_sessions_and_nobody_else_may() {
    let mut config = token_config();
    config.session.linger_secs = 60;
    let server = TestServer::start(config);
    let mut client = upgrade(&server, "/ws?cols=91&rows=21", &[bearer(TOKEN)])
        .await
        .unwrap();
    let id = session_id(&client);
    let shell = client.ask_number("$$").await;
    let admin = format!("Authorization: Bearer {TOKEN}\r\n");
    let viewer = format!("Authorization: Bearer {READ_TOKEN}\r\n");

    let (status, body) = api(&server, "GET", "/api/sessions", &admin).await;
    assert_eq!(status, 200, "{body}");
    let sessions: Value = serde_json::from_str(&body).unwrap();
    let listed = &sessions.as_array().unwrap()[..];
    assert_eq!(listed.len(), 1, "{body}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["owner"], "token");
    assert_eq!(listed[0]["path"], "/");
    assert_eq!(listed[0]["command"], "sh");
    assert_eq!(
        (listed[0]["cols"].as_u64(), listed[0]["rows"].as_u64()),
        (Some(91), Some(21))
    );
    assert_eq!(listed[0]["clients"], 1);

    for (method, path) in [
        ("GET", "/api/sessions".to_owned()),
        ("DELETE", format!("/api/sessions/{id}")),
    ] {
        let (status, body) = api(&server, method, &path, &viewer).await;
        assert_eq!(status, 403, "{method} {path} as a viewer: {body}");
        assert!(body.contains("may not manage sessions"), "{body}");
        let foreign = format!("{admin}Origin: https://evil.example\r\n");
        assert_eq!(
            api(&server, method, &path, &foreign).await.0,
            403,
            "{method} {path} from another site"
        );
        assert_eq!(
            api(&server, method, &path, "").await.0,
            401,
            "{method} {path} without credentials"
        );
    }
    assert!(
        process_exists(shell),
        "no refused request ended the session"
    );
    let unknown = api(&server, "DELETE", "/api/sessions/0123456789abcdef", &admin).await;
    assert_eq!(unknown.0, 404, "{}", unknown.1);

    assert_eq!(
        api(&server, "DELETE", &format!("/api/sessions/{id}"), &admin)
            .await
            .0,
        204
    );
    let told = client.expect_control("error").await;
    assert_eq!(told["message"], "an administrator ended this session");
    assert_eq!(client.expect_close().await, Some(1000));
    assert!(
        client.controls.iter().any(|c| c["type"] == "exit"),
        "{:?}",
        client.controls
    );
    wait_until_gone(&[shell]).await;
    assert_eq!(api(&server, "GET", "/api/sessions", &admin).await.1, "[]");
    assert_eq!(
        api(&server, "DELETE", &format!("/api/sessions/{id}"), &admin)
            .await
            .0,
        404
    );
    crate::security::still_serves(&server).await;
}

#[tokio::test]
async fn max_sessions_refuses_a_new_session_with_503_but_not_an_attach() {
    let mut config = lingering(&["sh"]);
    config.session.max_sessions = 1;
    let server = TestServer::start(config);
    let first = Client::connect(&server, "").await;
    let id = session_id(&first);
    drop(first);

    let (status, headers, body) = crate::support::refused_upgrade(server.addr, "/ws", "").await;
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("session.max_sessions"), "{body}");
    assert!(headers.contains("retry-after"), "{headers}");

    let mut again = Client::connect_path(&server, &attach_path(&id)).await;
    assert_eq!(again.ask("$((1+1))").await, "2");
    again.type_text("exit\r").await;
    again.expect_control("exit").await;
    // The place is free again once the session has ended.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if tokio_tungstenite::connect_async(server.ws_url("/ws"))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no new session after the old one ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn under_the_single_policy_one_client_types_and_take_control_moves_the_keyboard() {
    let mut config = lingering(&["sh"]);
    config.session.input = InputPolicy::Single;
    let server = TestServer::start(config);
    let mut first = Client::connect(&server, "").await;
    assert_eq!(
        (
            first.hello["input"].as_str(),
            first.hello["writable"].as_bool()
        ),
        (Some("single"), Some(true))
    );
    let id = session_id(&first);
    let mut second = Client::connect_path(&server, &attach_path(&id)).await;
    assert_eq!(second.hello["writable"], false);
    assert_eq!(second.hello["role"], "write", "it could take control");

    second.type_text("echo ignored\r").await;
    let refusal = second.expect_control("error").await;
    assert_eq!(
        refusal["message"],
        "input refused: another client has control (take control to type)"
    );

    second.control(json!({"type": "take_control"})).await;
    assert_eq!(second.expect_control("control").await["writable"], true);
    assert_eq!(first.expect_control("control").await["writable"], false);
    assert_eq!(second.ask("$((6*7))").await, "42");
    first.type_text("echo from\"\"-first\r").await;
    first.expect_control("error").await;

    // When the writer leaves, the keyboard goes to the client that is left.
    drop(second);
    assert_eq!(first.expect_control("control").await["writable"], true);
    assert_eq!(first.ask("$((2+3))").await, "5");
    assert!(
        !first.output_text().contains("from-first"),
        "input without control reached the shell"
    );
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
async fn with_session_once_the_server_stops_when_its_session_ends() {
    let mut binary = Binary::start_with_config("[session]\nonce = true\n", &["sh"]);
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", binary.addr))
        .await
        .unwrap();
    let mut client = Client::from_ws(ws);
    client.next().await;
    client.type_text("exit 7\r").await;
    assert_eq!(client.expect_control("exit").await["code"], 7);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = binary.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "webterm is still running after its one session"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
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
