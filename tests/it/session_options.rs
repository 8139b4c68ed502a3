//! What `[session]` decides about each program: URL arguments, its directory and environment, the user it runs
//! as, and how many terminals one user may hold.

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Client, TestServer, config, refused_upgrade};

#[tokio::test]
async fn url_arguments_are_refused_unless_allowed_and_never_reach_a_shell() {
    let server = TestServer::with_command(&["printf", "[%s]"]);
    let (status, _, body) = refused_upgrade(server.addr, "/ws?arg=x", "").await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("session.allow_url_args"));

    let mut config = config(&["printf", "[%s]"]);
    config.session.allow_url_args = true;
    let server = TestServer::start(config);
    let mut client =
        Client::connect(&server, "?arg=a%20b&arg=%24(id)&arg=%3Brm%20-rf%20x&arg=").await;
    client.expect_control("exit").await;
    assert_eq!(client.output_text(), "[a b][$(id)][;rm -rf x][]");
}

#[tokio::test]
async fn a_read_only_client_may_not_pass_url_arguments() {
    // Arguments choose what runs (`sh -c ...`): more than typing, which a read-only client may not do either.
    let mut config = config(&["printf", "[%s]"]);
    config.session.allow_url_args = true;
    config.session.writable = false;
    let server = TestServer::start(config);
    let (status, _, body) = refused_upgrade(server.addr, "/ws?arg=-c&arg=id", "").await;
    assert_eq!(status, 403);
    assert!(
        String::from_utf8_lossy(&body).contains("need a client that may type"),
        "{body:?}"
    );
    // Without arguments it still watches its own session, as before.
    let mut client = Client::connect(&server, "").await;
    client.expect_control("exit").await;
    assert_eq!(client.output_text(), "[]");
}

#[tokio::test]
async fn the_program_starts_in_the_configured_directory_with_only_allowed_variables() {
    let dir = std::env::temp_dir().join(format!("webterm-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = config(&["sh", "-c", "pwd; export -p"]);
    config.session.cwd = Some(dir.clone());
    config.session.env_allow = Some(vec!["HOM*".into()]);
    let server = TestServer::start(config);
    let mut client = Client::connect(&server, "").await;
    client.expect_control("exit").await;
    let output = client.output_text();
    assert!(
        output.starts_with(&format!("{}\r\n", dir.display())),
        "{output}"
    );
    let names: Vec<&str> = output
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| l.split('=').next().unwrap())
        .filter(|name| !["PWD", "OLDPWD", "PS1", "PS2", "PS4", "IFS", "OPTIND"].contains(name))
        .collect();
    let mut expected = vec!["COLORTERM", "PATH", "SHELL", "TERM", "WEBTERM_SESSION"];
    if std::env::var_os("HOME").is_some() {
        expected.push("HOME");
    }
    expected.sort();
    assert_eq!(names, expected, "{output}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn one_user_may_hold_only_max_per_user_terminals() {
    let mut config = config(&["sh"]);
    config.session.max_per_user = 1;
    let server = TestServer::start(config);
    let mut first = Client::connect(&server, "").await;
    let (status, _, body) = refused_upgrade(server.addr, "/ws", "").await;
    assert_eq!(status, 503);
    assert!(String::from_utf8_lossy(&body).contains("session.max_per_user"));
    assert_eq!(first.ask("still-mine").await, "still-mine");
}

#[tokio::test]
async fn the_program_runs_as_the_configured_user() {
    let mut config = config(&["sh", "-c", "id -u; echo \"$HOME\"; pwd"]);
    config.session.user = Some("nobody".into());
    if !rustix::process::geteuid().is_root() {
        let error = webterm::server::Server::bind(config)
            .err()
            .expect("refused without root")
            .to_string();
        assert!(error.contains("needs webterm to run as root"), "{error}");
        return;
    }
    let server = TestServer::start(config);
    let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url("/ws"))
        .await
        .unwrap();
    let mut output = String::new();
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Binary(bytes) => output.push_str(&String::from_utf8_lossy(&bytes)),
            Message::Close(_) => break,
            _ => {}
        }
    }
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.first(), Some(&"65534"), "{output}");
    assert!(
        lines.get(1).is_some_and(|home| *home == "/nonexistent"),
        "{output}"
    );
    assert_eq!(
        lines.get(2),
        Some(&"/"),
        "a home that does not exist falls back to /: {output}"
    );
}
