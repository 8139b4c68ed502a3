//! Bursts of logins: parallel wrong passwords from one address are checked no more often than the lockout allows.

use std::collections::BTreeMap;
use std::time::Duration;

use webterm::auth::Role;
use webterm::auth::basic::hash_password;
use webterm::config::{AuthMode, Config, UserConfig};

use super::{basic, get, get_from, header};
use crate::support::{TestServer, config};

/// A shell behind `basic` mode with the one user `ann`, whose password hashes to `hash`.
fn basic_config(hash: String) -> Config {
    let mut config = config(&["sh"]);
    config.auth.mode = AuthMode::Basic;
    config.auth.users = vec![UserConfig {
        name: "ann".into(),
        hash,
        role: Role::Write,
    }];
    config
}

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
