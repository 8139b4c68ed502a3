use actix_web::http::header;
use actix_web::test::TestRequest;
use base64::Engine;

use super::*;
use crate::config::{AuthMode, UserConfig};

/// A `basic` server whose users are `names`, each with the password "pw".
fn users(names: &[&str]) -> Config {
    let hash = basic::hash_password("pw").unwrap();
    let mut config = Config::default();
    config.auth.mode = AuthMode::Basic;
    config.auth.users = names
        .iter()
        .map(|name| UserConfig {
            name: (*name).into(),
            hash: hash.clone(),
            role: Role::Write,
        })
        .collect();
    config
}

#[tokio::test]
async fn a_login_whose_check_a_reload_overtook_starts_no_session() {
    let auth = Authenticator::new(&users(&["ann", "bob"]), 7681);
    let credentials = base64::engine::general_purpose::STANDARD.encode("ann:pw");
    let req = TestRequest::get()
        .uri("/")
        .peer_addr("192.0.2.1:5000".parse().unwrap())
        .insert_header((header::AUTHORIZATION, format!("Basic {credentials}")))
        .to_http_request();
    let client = auth.client(&req);
    let mut login = Box::pin(auth.authenticate(&req, client, true));
    assert!(
        futures_util::poll!(&mut login).is_pending(),
        "the password is checked on another thread"
    );
    // ann is removed while her password is being checked.
    assert!(auth.reload(&users(&["bob"]).auth));
    let accepted = login.await.expect("checked against the users of its start");
    assert_eq!(accepted.identity.user, "ann");
    assert_eq!(auth.start_session(accepted, &client), None);

    // A login after the reload starts its session as usual.
    let bob = base64::engine::general_purpose::STANDARD.encode("bob:pw");
    let req = TestRequest::get()
        .uri("/")
        .peer_addr("192.0.2.1:5000".parse().unwrap())
        .insert_header((header::AUTHORIZATION, format!("Basic {bob}")))
        .to_http_request();
    let accepted = auth.authenticate(&req, client, true).await.unwrap();
    assert!(auth.start_session(accepted, &client).is_some());
}
