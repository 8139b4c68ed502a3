//! Bursts of logins: parallel wrong passwords from one address are checked no more often than the lockout allows,
//! and a browser's session survives another user's logins and a scraper's requests.

use std::collections::BTreeMap;
use std::time::Duration;

use webterm::auth::basic::hash_password;

use super::{
    READ_TOKEN, TOKEN, basic, basic_config, cheap_hash, get, get_from, header, session_cookie,
    still_serves, token_config,
};
use crate::support::TestServer;

#[tokio::test]
async fn parallel_wrong_passwords_from_one_address_are_checked_only_max_failures_times() {
    let mut config = basic_config(hash_password("ann's password").unwrap());
    config.auth.max_failures = 3;
    config.auth.lockout_secs = 3;
    let server = TestServer::start(config);

    let burst = (0..40).map(|guess| {
        let password = format!("guess number {guess}");
        async move { get(server.addr, "/", &[basic("ann", &password)]).await }
    });
    let answers = futures_util::future::join_all(burst).await;
    let mut statuses = BTreeMap::new();
    for (status, _, _) in &answers {
        *statuses.entry(*status).or_insert(0) += 1;
    }
    assert_eq!(
        statuses,
        [(401, 3), (429, 37)].into(),
        "3 passwords checked (auth.max_failures), the rest refused unchecked"
    );

    // The server is healthy, counted exactly the checked passwords, and serves another address at once.
    assert_eq!(get(server.addr, "/healthz", &[]).await.0, 200);
    let other = [127, 0, 0, 2].into();
    let (status, _, metrics) = get_from(
        other,
        server.addr,
        "/metrics",
        &[basic("ann", "ann's password")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("\nwebterm_auth_failures_total 3\n"),
        "{metrics}"
    );
    assert_eq!(
        get_from(other, server.addr, "/", &[basic("ann", "ann's password")])
            .await
            .0,
        200
    );

    // The locked-out address gets in with the right password once the lockout has passed, not before.
    let (status, headers, _) = get(server.addr, "/", &[basic("ann", "ann's password")]).await;
    assert_eq!(status, 429, "the right password is not looked at meanwhile");
    let retry_after: u64 = header(&headers, "retry-after")
        .expect("429 carries Retry-After")
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry_after), "{retry_after}");
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, headers, _) = get(server.addr, "/", &[basic("ann", "ann's password")]).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "set-cookie").is_some());
}

#[tokio::test]
async fn a_scraper_sending_a_password_with_every_request_leaves_the_browser_signed_in() {
    let server = TestServer::start(basic_config(cheap_hash("ann's password")));
    let (status, headers, _) = get(server.addr, "/", &[basic("ann", "ann's password")]).await;
    assert_eq!(status, 200);
    let browser = session_cookie(&headers);

    // The scraper uses ann's own password: neither sessions of other users nor ann's own may be pushed out.
    for _ in 0..1100 {
        let (status, headers, body) =
            get(server.addr, "/metrics", &[basic("ann", "ann's password")]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            header(&headers, "set-cookie"),
            None,
            "no session for a request that is not a page"
        );
    }

    let (status, _, body) = get(server.addr, "/", &[browser]).await;
    assert_eq!(status, 200, "the browser is still signed in: {body}");
}

#[tokio::test]
async fn the_read_token_logging_in_again_and_again_leaves_the_writers_browser_signed_in() {
    let server = TestServer::start(token_config());
    let (status, headers, _) = get(server.addr, &format!("/?token={TOKEN}"), &[]).await;
    assert_eq!(status, 303);
    let browser = session_cookie(&headers);

    for _ in 0..1100 {
        let (status, headers, _) = get(server.addr, &format!("/?token={READ_TOKEN}"), &[]).await;
        assert_eq!(status, 303);
        assert!(header(&headers, "set-cookie").is_some());
    }

    let (status, _, body) = get(server.addr, "/", &[browser]).await;
    assert_eq!(status, 200, "the writer is still signed in: {body}");
    still_serves(&server).await;
}
