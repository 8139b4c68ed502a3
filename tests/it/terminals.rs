//! `[[terminal]]` tables: several terminals in one server, each at its own path with its own program, title,
//! environment, write policy and users.

use std::collections::BTreeMap;

use webterm::config::TerminalConfig;
use webterm::server::{OWN_PATHS, Server};

use crate::support::{Client, TestServer, config, http_get};

pub fn terminal(path: &str, command: &[&str]) -> TerminalConfig {
    TerminalConfig {
        path: path.into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        cwd: None,
        env: BTreeMap::new(),
        title: None,
        writable: true,
        users: Vec::new(),
        input: None,
    }
}

fn server() -> TestServer {
    let mut config = config(&["sh"]);
    let mut greeter = terminal(
        "/tools/greet",
        &["sh", "-c", "echo \"$GREETING from $PWD\"; read line"],
    );
    greeter.env.insert("GREETING".into(), "hello".into());
    greeter.cwd = Some("/".into());
    greeter.title = Some("Greeter".into());
    greeter.writable = false;
    let mut private = terminal("/private", &["sh"]);
    private.users = vec!["alice".into()];
    config.terminals = vec![greeter, private];
    TestServer::start(config)
}

#[tokio::test]
async fn each_terminal_has_its_page_files_and_socket_under_its_path() {
    let server = server();
    let (status, headers, _) = http_get(server.addr, "/tools/greet", "").await;
    assert_eq!(status, 308);
    assert!(headers.contains("location: /tools/greet/"), "{headers}");
    let (status, _, body) = http_get(server.addr, "/tools/greet/", "").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("./app.js"));
    assert_eq!(
        http_get(server.addr, "/tools/greet/app.js", "").await.0,
        200
    );

    let mut client = Client::connect_path(&server, "/tools/greet/ws").await;
    assert_eq!(client.hello["title"], "Greeter");
    assert_eq!(
        client.hello["writable"], false,
        "the terminal is read-only for everyone"
    );
    client.expect_output("hello from /\r\n").await;

    // The main terminal is still at /ws, with the [session] command and no title.
    let mut main = Client::connect(&server, "").await;
    assert!(main.hello.get("title").is_none());
    assert_eq!(main.ask("main").await, "main");
}

#[tokio::test]
async fn a_terminal_with_users_refuses_everyone_else() {
    let server = server();
    // Without authentication every client is `anonymous`, who is not on the list.
    let (status, _, body) = http_get(server.addr, "/private/", "").await;
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("may not use the terminal at /private"));
    let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    assert_eq!(http_get(server.addr, "/private/ws", upgrade).await.0, 403);
}

#[tokio::test]
async fn a_terminal_at_a_path_the_server_answers_itself_is_refused() {
    // The server's own route comes first: GET /replay is the replay page, so a terminal there could never be
    // reached.
    let server = TestServer::with_command(&["sh"]);
    let (status, _, body) = http_get(server.addr, "/replay", "").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("<html"));
    assert!(OWN_PATHS.contains(&"/replay"));
    for own in OWN_PATHS {
        for path in [own.to_owned(), format!("{own}/top")] {
            let mut config = config(&["sh"]);
            config.terminals = vec![terminal(&path, &["top"])];
            let Err(error) = Server::bind(config) else {
                panic!("a terminal at {path} was accepted");
            };
            assert!(
                error.to_string().contains(&format!(
                    "collides with webterm's own {own}: pick another path"
                )),
                "{path}: {error}"
            );
        }
    }
    // A path that only starts with the same letters is the operator's.
    let mut config = config(&["sh"]);
    config.terminals = vec![terminal("/replays", &["top"])];
    assert!(Server::bind(config).is_ok());
}
