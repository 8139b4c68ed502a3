//! Authentication: the token and its session cookie, basic and proxy modes, failed attempts, `--no-auth`.

use webterm::auth::Role;
use webterm::auth::basic::hash_password;
use webterm::config::{AuthMode, UserConfig};
use webterm::server::Server;

use super::{
    READ_TOKEN, TOKEN, basic, bearer, get, get_from, header, session_cookie, still_serves,
    still_serves_from, token_config, upgrade, upgrade_from,
};
use crate::support::{TestServer, config};

#[tokio::test]
async fn without_credentials_the_page_and_both_sockets_are_refused_but_the_bundle_is_public() {
    let server = TestServer::start(token_config());
    let (status, headers, body) = get(server.addr, "/", &[]).await;
    assert_eq!(status, 401);
    assert_eq!(
        header(&headers, "www-authenticate"),
        Some("bearer realm=\"webterm\"")
    );
    assert!(body.contains("?token="), "the page says what to do: {body}");
    assert_eq!(get(server.addr, "/echo", &[]).await.0, 401);
    assert_eq!(upgrade(&server, "/ws", &[]).await.err(), Some(401));
    assert_eq!(upgrade(&server, "/echo", &[]).await.err(), Some(401));
    assert_eq!(get(server.addr, "/app.js", &[]).await.0, 200);
    still_serves(&server).await;
}

#[tokio::test]
async fn the_printed_token_is_traded_for_a_session_cookie_and_a_redirect_without_it() {
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Token;
    let server = TestServer::start(config);
    let token = server
        .url
        .split_once("/?token=")
        .map(|(_, t)| t.to_owned())
        .expect("the URL carries a token");
    assert_eq!(server.url, format!("http://{}/?token={token}", server.addr));
    assert!(
        token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "128 bits in hex: {token}"
    );

    let (status, headers, _) = get(server.addr, &format!("/?token={token}"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(header(&headers, "location"), Some("./"));
    let cookie = header(&headers, "set-cookie").expect("a session cookie");
    assert!(
        cookie.contains("; httponly") && cookie.contains("; samesite=strict"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("secure"),
        "no Secure flag over plain HTTP: {cookie}"
    );
    assert!(
        !cookie.contains(&token),
        "the cookie is a session id, not the token: {cookie}"
    );
    let session = ("Cookie", cookie.split(';').next().unwrap().to_owned());

    let (status, headers, body) = get(server.addr, "/", std::slice::from_ref(&session)).await;
    assert_eq!(status, 200);
    assert!(body.contains("app.js"), "the terminal page: {body}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    let origin = ("Origin", format!("http://{}", server.addr));
    let mut client = upgrade(&server, "/ws", &[session, origin])
        .await
        .expect("the cookie opens the terminal");
    assert_eq!(client.hello["writable"], true);
    assert_eq!(client.ask("$((6*7))").await, "42");
}

#[tokio::test]
async fn other_query_parameters_survive_the_redirect() {
    let server = TestServer::start(token_config());
    let (status, headers, _) = get(server.addr, &format!("/echo?a=1&token={TOKEN}&b=2"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(header(&headers, "location"), Some("echo?a=1&b=2"));
}

#[tokio::test]
async fn a_wrong_token_is_refused_wherever_it_comes() {
    let server = TestServer::start(token_config());
    let wrong = "wrong-token-0123456789";
    assert_eq!(
        get(server.addr, &format!("/?token={wrong}"), &[]).await.0,
        401
    );
    assert_eq!(
        get(server.addr, &format!("/?token={TOKEN}&token={wrong}"), &[])
            .await
            .0,
        401
    );
    assert_eq!(get(server.addr, "/", &[bearer(wrong)]).await.0, 401);
    assert_eq!(get(server.addr, "/", &[bearer("")]).await.0, 401);
    let forged = (
        "Cookie",
        format!("webterm_session_{}={TOKEN}", server.addr.port()),
    );
    assert_eq!(
        get(server.addr, "/", std::slice::from_ref(&forged)).await.0,
        401,
        "the token is not a session id"
    );
    assert_eq!(
        upgrade(&server, "/ws", &[bearer(wrong)]).await.err(),
        Some(401)
    );
    assert_eq!(upgrade(&server, "/ws", &[forged]).await.err(), Some(401));
    // A token in the socket's URL is not read (it would end up in proxy logs); the cookie or header is.
    assert_eq!(
        upgrade(&server, &format!("/ws?token={TOKEN}"), &[])
            .await
            .err(),
        Some(401)
    );
    still_serves(&server).await;
}

#[tokio::test]
async fn a_thousand_failed_logins_get_429_with_retry_after_and_other_clients_are_served() {
    let server = TestServer::start(token_config());
    // A browser that signed in before the attack keeps its session.
    let (_, headers, _) = get(server.addr, &format!("/?token={TOKEN}"), &[]).await;
    let session = session_cookie(&headers);

    let mut statuses = std::collections::BTreeMap::new();
    let mut retry_after = None;
    for attempt in 0..1000 {
        let (status, headers, body) = get(
            server.addr,
            &format!("/?token=guess-number-{attempt:06}"),
            &[],
        )
        .await;
        *statuses.entry(status).or_insert(0) += 1;
        if status == 429 {
            retry_after = header(&headers, "retry-after").map(|s| s.parse::<u64>().unwrap());
            assert!(body.contains("try again"), "{body}");
        }
    }
    assert_eq!(
        statuses,
        [(401, 10), (429, 990)].into(),
        "10 tries (auth.max_failures), then 429"
    );
    let retry_after = retry_after.expect("429 carries Retry-After");
    assert!(
        (1..=60).contains(&retry_after),
        "within auth.lockout_secs: {retry_after}"
    );
    // While held back, even the right token is not looked at: guessing goes no faster.
    assert_eq!(get(server.addr, "/", &[bearer(TOKEN)]).await.0, 429);

    assert_eq!(get(server.addr, "/", &[session]).await.0, 200);
    still_serves_from([127, 0, 0, 2].into(), &server).await;
}

#[tokio::test]
async fn the_read_token_opens_a_read_only_terminal() {
    let server = TestServer::start(token_config());
    let client = upgrade(&server, "/ws", &[bearer(READ_TOKEN)])
        .await
        .unwrap();
    assert_eq!(client.hello["writable"], false);
}

#[tokio::test]
async fn basic_mode_checks_argon2id_passwords_and_gives_the_browser_a_session() {
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Basic;
    config.auth.users = vec![
        UserConfig {
            name: "ann".into(),
            hash: hash_password("ann's password").unwrap(),
            role: Role::Write,
        },
        UserConfig {
            name: "bob".into(),
            hash: hash_password("bob's password").unwrap(),
            role: Role::Read,
        },
    ];
    let server = TestServer::start(config);
    assert!(
        server.url.ends_with('/'),
        "no token in basic mode: {}",
        server.url
    );

    let (status, headers, _) = get(server.addr, "/", &[]).await;
    assert_eq!(status, 401);
    assert!(
        header(&headers, "www-authenticate")
            .is_some_and(|c| c.starts_with("basic realm=\"webterm\""))
    );
    assert_eq!(
        get(server.addr, "/", &[basic("ann", "bob's password")])
            .await
            .0,
        401
    );
    assert_eq!(
        get(server.addr, "/", &[basic("nobody", "ann's password")])
            .await
            .0,
        401
    );

    let (status, headers, _) = get(server.addr, "/", &[basic("ann", "ann's password")]).await;
    assert_eq!(status, 200);
    let session = session_cookie(&headers);
    let mut ann = upgrade(&server, "/ws", &[session])
        .await
        .expect("the session opens the terminal");
    assert_eq!(ann.hello["writable"], true);
    assert_eq!(ann.ask("$((6*7))").await, "42");

    let bob = upgrade(&server, "/ws", &[basic("bob", "bob's password")])
        .await
        .unwrap();
    assert_eq!(bob.hello["writable"], false, "bob's role is read");
}

#[tokio::test]
async fn proxy_mode_believes_the_user_header_only_from_a_trusted_proxy() {
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Proxy;
    config.auth.trusted_proxies = vec!["127.0.0.2".parse().unwrap()];
    config.auth.read_only_users = vec!["eve".into()];
    let server = TestServer::start(config);
    let (proxy, stranger) = ([127, 0, 0, 2].into(), [127, 0, 0, 1].into());
    let user = |name: &str| ("X-Forwarded-User", name.to_owned());

    let (status, _, body) = get_from(stranger, server.addr, "/", &[user("ann")]).await;
    assert_eq!(status, 403, "a forged header from a stranger: {body}");
    assert_eq!(
        upgrade_from(stranger, &server, "/ws", &[user("ann")])
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        get_from(proxy, server.addr, "/", &[]).await.0,
        401,
        "the proxy named nobody"
    );
    assert_eq!(
        get_from(proxy, server.addr, "/", &[user("ann"), user("root")])
            .await
            .0,
        401
    );

    assert_eq!(
        get_from(proxy, server.addr, "/", &[user("ann")]).await.0,
        200
    );
    let mut ann = upgrade_from(proxy, &server, "/ws", &[user("ann")])
        .await
        .unwrap();
    assert_eq!(ann.hello["writable"], true);
    assert_eq!(ann.ask("$((6*7))").await, "42");
    let eve = upgrade_from(proxy, &server, "/ws", &[user("eve")])
        .await
        .unwrap();
    assert_eq!(eve.hello["writable"], false);
}

#[test]
fn no_authentication_is_refused_on_a_non_loopback_address_naming_the_safe_options() {
    let mut config = config(&["sh"]);
    config.listen = "0.0.0.0:0".parse().unwrap();
    let error = Server::bind(config).err().expect("refused").to_string();
    for option in ["\"token\"", "\"basic\"", "\"proxy\"", "127.0.0.1"] {
        assert!(error.contains(option), "{option} missing from: {error}");
    }
}

#[tokio::test]
async fn without_authentication_only_loopback_host_names_are_answered() {
    let server = TestServer::with_command(&["sh"]);
    // A page on a DNS name rebound to 127.0.0.1 sends its own name as Host, and as Origin.
    let rebound = [
        ("Host", "evil.example:80".to_owned()),
        ("Origin", "http://evil.example".to_owned()),
    ];
    assert_eq!(upgrade(&server, "/ws", &rebound).await.err(), Some(403));
    let mut client = upgrade(&server, "/ws", &[])
        .await
        .expect("127.0.0.1 is answered");
    assert_eq!(client.ask("$((6*7))").await, "42");
}
