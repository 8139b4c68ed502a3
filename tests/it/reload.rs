//! Reloading the configuration (SIGHUP): routes and credentials change for new requests, live sessions go on, and
//! a bad new configuration is refused with the old one kept. The client CA's reload is here, the TLS
//! certificate's in `security/tls.rs`.

use std::io::{BufRead, BufReader};

use rustls::HandshakeKind;
use serde_json::Value;
use webterm::config::{AuthMode, Config};
use webterm::reload::ReloadError;

use crate::security::tls_support::{
    ClientCa, Pems, client_config, server_cert, tls_connect, tls_get, tls_get_over,
};
use crate::security::{
    TOKEN, basic_config, bearer, cheap_hash, get, session_cookie, token_config, upgrade,
};
use crate::support::{Binary, Client, PATIENCE, TestServer, config, http_get};
use crate::terminals::terminal;

/// A shell at `/` and one `[[terminal]]` per path, each printing its path first.
fn with_terminals(paths: &[&str]) -> Config {
    let mut config = config(&["sh"]);
    config.session.linger_secs = 60;
    config.terminals = paths
        .iter()
        .map(|path| {
            terminal(
                path,
                &["sh", "-c", &format!("echo at-{}; exec sh", &path[1..])],
            )
        })
        .collect();
    config
}

#[tokio::test]
async fn a_reload_adds_and_removes_terminals_and_live_sessions_go_on() {
    let server = TestServer::start(with_terminals(&["/old"]));
    let mut main = Client::connect(&server, "").await;
    let shell = main.ask_number("$$").await;
    let mut old = Client::connect_path(&server, "/old/ws").await;
    old.expect_output("at-old").await;
    assert_eq!(http_get(server.addr, "/new/", "").await.0, 404);
    assert_eq!(http_get(server.addr, "/old/app.js", "").await.0, 200);

    server
        .reloader
        .apply(with_terminals(&["/new"]))
        .expect("reloaded");

    assert_eq!(http_get(server.addr, "/new/", "").await.0, 200);
    let (status, headers, _) = http_get(server.addr, "/new", "").await;
    assert_eq!(status, 308);
    assert!(headers.contains("location: /new/"), "{headers}");
    let mut new = Client::connect_path(&server, "/new/ws").await;
    new.expect_output("at-new").await;
    for gone in ["/old/", "/old", "/old/ws", "/old/app.js"] {
        assert_eq!(http_get(server.addr, gone, "").await.0, 404, "{gone}");
    }
    // The sessions started before the reload, including the one at the path that went, are untouched.
    assert_eq!(main.ask_number("$$").await, shell);
    assert_eq!(old.ask("$((6*7))").await, "42");
    // The main terminal's files are still there beside the terminal routes.
    assert_eq!(http_get(server.addr, "/app.js", "").await.0, 200);
}

#[tokio::test]
async fn a_bad_new_configuration_is_refused_and_the_old_one_stays() {
    let server = TestServer::start(with_terminals(&["/kept"]));
    let mut client = Client::connect(&server, "").await;

    let mut moved = with_terminals(&["/other"]);
    moved.listen = "127.0.0.1:1".parse().unwrap();
    moved.workers = 3;
    let error = server.reloader.apply(moved).unwrap_err();
    assert!(matches!(error, ReloadError::RestartOnly(_)), "{error}");
    assert_eq!(
        error.to_string(),
        "these settings only change with a restart: listen, workers"
    );

    let mut invalid = with_terminals(&["/api"]);
    invalid.terminals.push(terminal("/other", &["sh"]));
    let error = server.reloader.apply(invalid).unwrap_err().to_string();
    assert!(
        error.contains("collides with webterm's own /api"),
        "{error}"
    );

    let mut bad_cert = with_terminals(&["/other"]);
    bad_cert.tls.cert = Some("/nonexistent/cert.pem".into());
    bad_cert.tls.key = Some("/nonexistent/key.pem".into());
    assert!(server.reloader.apply(bad_cert).is_err());

    assert_eq!(http_get(server.addr, "/kept/", "").await.0, 200);
    assert_eq!(http_get(server.addr, "/other/", "").await.0, 404);
    assert_eq!(client.ask("$((1+2))").await, "3");
}

#[tokio::test]
async fn a_new_token_ends_logins_and_the_old_token_while_open_terminals_go_on() {
    let mut config = token_config();
    config.session.linger_secs = 60;
    let server = TestServer::start(config.clone());
    let (status, headers, _) = get(server.addr, &format!("/?token={TOKEN}"), &[]).await;
    assert_eq!(status, 303);
    let cookie = session_cookie(&headers);
    assert_eq!(
        get(server.addr, "/", std::slice::from_ref(&cookie)).await.0,
        200
    );
    let mut open = upgrade(&server, "/ws", &[bearer(TOKEN)]).await.unwrap();

    let new_token = "rotated-token-0123456789";
    config.auth.token = Some(new_token.into());
    server.reloader.apply(config.clone()).expect("reloaded");

    assert_eq!(
        get(server.addr, "/", &[bearer(TOKEN)]).await.0,
        401,
        "the old token"
    );
    assert_eq!(
        get(server.addr, "/", std::slice::from_ref(&cookie)).await.0,
        401,
        "a login with the old token"
    );
    assert_eq!(get(server.addr, "/", &[bearer(new_token)]).await.0, 200);
    assert_eq!(
        open.ask("$((2*21))").await,
        "42",
        "the open terminal goes on"
    );

    // Reloading the same [auth] again keeps logins.
    let (_, headers, _) = get(server.addr, &format!("/?token={new_token}"), &[]).await;
    let cookie = session_cookie(&headers);
    server.reloader.apply(config).expect("reloaded");
    assert_eq!(get(server.addr, "/", &[cookie]).await.0, 200);
}

#[tokio::test]
async fn a_generated_token_survives_a_reload_that_leaves_auth_token_unset() {
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Token;
    let server = TestServer::start(config.clone());
    let token = server.url.split_once("?token=").unwrap().1.to_owned();
    config.auth.read_token = Some("a-read-token-0123456789".into());
    server.reloader.apply(config).expect("reloaded");
    assert_eq!(get(server.addr, "/", &[bearer(&token)]).await.0, 200);
    assert_eq!(
        get(server.addr, "/", &[bearer("a-read-token-0123456789")])
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn a_reload_that_would_need_a_new_generated_token_is_refused_and_the_running_credentials_stay()
 {
    let expected = "auth.token is unset, so webterm would generate a new token, but a generated token is only \
                    printed at start";
    // Started with a fixed token: no token was generated, and no URL with one was printed.
    let mut fixed = token_config();
    let server = TestServer::start(fixed.clone());
    assert!(!server.url.contains("?token="), "{}", server.url);
    fixed.auth.token = None;
    let error = server.reloader.apply(fixed).unwrap_err().to_string();
    assert!(error.starts_with(expected), "{error}");
    assert_eq!(
        get(server.addr, "/", &[bearer(TOKEN)]).await.0,
        200,
        "the configured token still works"
    );

    // Started with a generated token, then basic, then token again without auth.token: the printed token is gone,
    // and another generated now would be shown to nobody.
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Token;
    let server = TestServer::start(config.clone());
    let printed = server.url.split_once("?token=").unwrap().1.to_owned();
    let basic = basic_config(cheap_hash("ann's password"));
    server.reloader.apply(basic).expect("reloaded to basic");
    let error = server.reloader.apply(config).unwrap_err().to_string();
    assert!(error.starts_with(expected), "{error}");
    let (status, headers, _) = get(server.addr, "/", &[bearer(&printed)]).await;
    assert_eq!(status, 401, "basic mode stays");
    assert!(headers.contains("www-authenticate: basic"), "{headers}");
}

/// The JSON log of a running binary, line by line on a channel.
fn log_lines(stderr: std::process::ChildStderr) -> std::sync::mpsc::Receiver<Value> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(event) = serde_json::from_str(&line) {
                if tx.send(event).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

/// Waits for the audit event `name`; returns it.
fn wait_for_event(logs: &std::sync::mpsc::Receiver<Value>, name: &str) -> Value {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let event = logs
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {name} event in the log"));
        if event["fields"]["event"] == name {
            return event;
        }
    }
}

fn hangup(binary: &Binary) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &binary.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn sighup_rereads_the_config_file_and_refuses_a_broken_one() {
    let dir = std::env::temp_dir().join(format!("webterm-sighup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("webterm.toml");
    std::fs::write(&file, "[session]\nlinger_secs = 60\n").unwrap();
    let (binary, stderr) = Binary::start_with_json_logs(&[
        "--no-auth",
        "--listen",
        "127.0.0.1:0",
        "--config",
        file.to_str().unwrap(),
        "--",
        "sh",
    ]);
    let logs = log_lines(stderr);
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", binary.addr))
        .await
        .unwrap();
    let mut client = Client::from_ws(ws);
    client.next().await;
    let shell = client.ask_number("$$").await;
    assert_eq!(http_get(binary.addr, "/top/", "").await.0, 404);

    std::fs::write(
        &file,
        "[session]\nlinger_secs = 60\n\n[[terminal]]\npath = \"/top\"\ncommand = [\"sh\"]\n",
    )
    .unwrap();
    hangup(&binary);
    let reloaded = wait_for_event(&logs, "config.reload");
    assert_eq!(
        reloaded["fields"]["terminals_added"], "[\"/top\"]",
        "{reloaded}"
    );
    assert_eq!(http_get(binary.addr, "/top/", "").await.0, 200);

    std::fs::write(&file, "[session]\nlinger_secs = 60\nshell = \"bash\"\n").unwrap();
    hangup(&binary);
    let refused = wait_for_event(&logs, "config.reload_refused");
    let message = refused["fields"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("webterm.toml") && message.contains("shell"),
        "the refusal names the file and the key: {refused}"
    );
    assert_eq!(
        http_get(binary.addr, "/top/", "").await.0,
        200,
        "the old config stays"
    );
    assert_eq!(
        client.ask_number("$$").await,
        shell,
        "the session went on through both"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_reload_reads_the_client_ca_file_again_and_a_removed_ca_admits_no_new_connection() {
    let pems = Pems::new("client-ca-reload");
    let (cert, key, trust) = server_cert(&pems);
    let (old_ca, new_ca) = (ClientCa::new(), ClientCa::new());
    let ca_file = pems.write("ca.pem", &old_ca.pem());
    let (old_cert, old_key) = old_ca.issue(&pems, "old-client");
    let (new_cert, new_key) = new_ca.issue(&pems, "new-client");
    let mut config = token_config();
    config.tls.cert = Some(cert);
    config.tls.key = Some(key);
    config.tls.client_ca = Some(ca_file);
    let server = TestServer::start(config.clone());
    // One client config throughout: it keeps the TLS sessions it was given, and offers them again.
    let old_client = client_config(trust.clone(), Some((&old_cert, &old_key)));
    let open = tls_connect(&server, old_client.clone()).await.unwrap();
    let (status, _, _) = tls_get(&server, old_client.clone(), "/healthz")
        .await
        .expect("a certificate from the CA in the file");
    assert_eq!(status, 200);

    // A file that holds no CA is refused, and the one in use stays.
    pems.write("ca.pem", "not a certificate\n");
    let error = server.reloader.apply(config.clone()).unwrap_err();
    assert!(matches!(error, ReloadError::Tls(_)), "{error}");
    assert!(error.to_string().contains("ca.pem"), "{error}");
    let resumed = tls_connect(&server, old_client.clone()).await.unwrap();
    assert_eq!(
        resumed.get_ref().1.handshake_kind(),
        Some(HandshakeKind::Resumed),
        "the client resumes its TLS session"
    );
    let (status, _, _) = tls_get_over(resumed, &server, "/healthz")
        .await
        .expect("the old CA still admits it");
    assert_eq!(status, 200);

    // The file edited in place, the old CA replaced by another, then the reload.
    pems.write("ca.pem", &new_ca.pem());
    server.reloader.apply(config).expect("reloaded");
    let refused = tls_get(&server, old_client, "/healthz").await;
    assert!(
        refused.is_err(),
        "a certificate from the removed CA, on a new connection that offers its old TLS session: {refused:?}"
    );
    let new_client = client_config(trust, Some((&new_cert, &new_key)));
    let (status, _, _) = tls_get(&server, new_client, "/healthz")
        .await
        .expect("a certificate from the new CA");
    assert_eq!(status, 200);

    // The connection made before the reload goes on.
    let (status, _, _) = tls_get_over(open, &server, "/healthz")
        .await
        .expect("the open connection answers");
    assert_eq!(status, 200);
}
