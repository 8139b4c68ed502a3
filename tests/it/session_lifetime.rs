//! When durable sessions end and how many there may be: after `session.linger_secs` without clients, when an admin
//! deletes one through the session API (`/api/sessions`, which lists a user who is not an admin their own sessions),
//! with `session.once`; `session.max_sessions`.

use std::time::Duration;

use serde_json::Value;

use crate::durable::{attach_path, lingering, refused_attach, session_id};
use crate::security::{READ_TOKEN, TOKEN, basic, basic_users, bearer, token_config, upgrade};
use crate::support::{
    Binary, Client, PATIENCE, TestServer, config, http_request, process_exists, wait_for_child,
    wait_until_gone,
};

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
async fn a_user_who_is_not_an_admin_lists_only_their_own_sessions_and_ends_none() {
    let mut config = basic_users(config(&["sh"]), &["ann", "bob", "root"], &["root"]);
    config.session.linger_secs = 60;
    let server = TestServer::start(config);
    let ann = upgrade(&server, "/ws", &[basic("ann", "pw")])
        .await
        .unwrap();
    let bob = upgrade(&server, "/ws", &[basic("bob", "pw")])
        .await
        .unwrap();
    let (ann_id, bob_id) = (session_id(&ann), session_id(&bob));
    let header = |user: &str| {
        let (name, value) = basic(user, "pw");
        format!("{name}: {value}\r\n")
    };
    let listed = |body: String| -> Vec<(String, String)> {
        let sessions: Value = serde_json::from_str(&body).unwrap();
        let pairs = sessions.as_array().unwrap().iter();
        let pair = |s: &Value| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["owner"].as_str().unwrap().to_owned(),
            )
        };
        pairs.map(pair).collect()
    };

    let (status, body) = api(&server, "GET", "/api/sessions", &header("ann")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(listed(body), [(ann_id.clone(), "ann".to_owned())]);
    let (status, body) = api(&server, "GET", "/api/sessions", &header("bob")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(listed(body), [(bob_id.clone(), "bob".to_owned())]);
    let (status, body) = api(&server, "GET", "/api/sessions", &header("root")).await;
    assert_eq!(status, 200, "{body}");
    let mut all = listed(body);
    all.sort();
    let mut expected = [
        (ann_id.clone(), "ann".to_owned()),
        (bob_id.clone(), "bob".to_owned()),
    ];
    expected.sort();
    assert_eq!(all, expected);

    // Ending a session stays an admin's: not even its owner's through the API (the shell's `exit` is theirs).
    for (user, id) in [("bob", &ann_id), ("ann", &ann_id)] {
        let (status, body) = api(
            &server,
            "DELETE",
            &format!("/api/sessions/{id}"),
            &header(user),
        )
        .await;
        assert_eq!(status, 403, "{user} deleting {id}: {body}");
    }
    let (_, body) = api(&server, "GET", "/api/sessions", &header("root")).await;
    assert_eq!(listed(body).len(), 2, "both sessions live on");
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
