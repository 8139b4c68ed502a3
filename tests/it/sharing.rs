//! Several clients of one durable session: they see the same screen and type; who may attach (the owner, an
//! admin, read-only viewers, nobody else) and through which terminal path; the `single` input policy, where one
//! client types and `take_control` moves the keyboard.

use std::net::IpAddr;

use serde_json::json;
use webterm::config::AuthMode;
use webterm::protocol::InputPolicy;

use crate::durable::{
    attach_path, lingering, refused_attach, screen_of, session_id, settle, size_of,
};
use crate::security::upgrade_from;
use crate::support::{Client, TestServer};

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
async fn a_page_takes_back_the_control_it_had_unless_someone_took_it_since() {
    // A page whose connection dropped while it had control names its old connection (`from`) when it asks for
    // control back: granted while the old connection still has it, or when control went elsewhere only because
    // that connection left; refused when another client took control meanwhile.
    let mut config = lingering(&["sh"]);
    config.session.input = InputPolicy::Single;
    let server = TestServer::start(config);
    let mut old = Client::connect(&server, "").await;
    let id = session_id(&old);
    let mut other = Client::connect_path(&server, &attach_path(&id)).await;
    assert_eq!(old.hello["writable"], true);
    let take_back = |from: &Client| json!({"type": "take_control", "from": from.hello["client"]});

    // The old connection still has control (the server has not noticed the drop): granted.
    let mut again = Client::connect_path(&server, &attach_path(&id)).await;
    assert_eq!(again.hello["writable"], false);
    again.control(take_back(&old)).await;
    assert_eq!(again.expect_control("control").await["writable"], true);
    assert_eq!(old.expect_control("control").await["writable"], false);

    // Someone took control since: refused, and told so.
    other.control(json!({"type": "take_control"})).await;
    assert_eq!(other.expect_control("control").await["writable"], true);
    assert_eq!(again.expect_control("control").await["writable"], false);
    let mut third = Client::connect_path(&server, &attach_path(&id)).await;
    third.control(take_back(&again)).await;
    assert_eq!(third.expect_control("control").await["writable"], false);
    assert_eq!(
        other.ask("$((6*7))").await,
        "42",
        "the one that took it still types"
    );

    // In another session: control went to a client only because the one that had it left: granted.
    let first = Client::connect(&server, "").await;
    let id = session_id(&first);
    let mut second = Client::connect_path(&server, &attach_path(&id)).await;
    let gone = first.hello["client"].clone();
    drop(first);
    assert_eq!(second.expect_control("control").await["writable"], true);
    let mut returning = Client::connect_path(&server, &attach_path(&id)).await;
    returning
        .control(json!({"type": "take_control", "from": gone}))
        .await;
    assert_eq!(returning.expect_control("control").await["writable"], true);
    assert_eq!(second.expect_control("control").await["writable"], false);
}
