//! What protects a browser user: the `Origin` check on upgrades and the security headers on every response.

use super::{TOKEN, bearer, get, header, still_serves, token_config, upgrade};
use crate::support::TestServer;

#[tokio::test]
async fn a_cross_origin_upgrade_is_refused_even_with_a_valid_token() {
    let server = TestServer::start(token_config());
    let evil = ("Origin", "http://evil.example".to_owned());
    assert_eq!(
        upgrade(&server, "/ws", &[bearer(TOKEN), evil.clone()])
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        upgrade(&server, "/echo", &[bearer(TOKEN), evil])
            .await
            .err(),
        Some(403)
    );
    // Another port on the same host is another origin.
    let other_port = (
        "Origin",
        format!("http://127.0.0.1:{}", server.addr.port() + 1),
    );
    assert_eq!(
        upgrade(&server, "/ws", &[bearer(TOKEN), other_port])
            .await
            .err(),
        Some(403)
    );
    let null = ("Origin", "null".to_owned());
    assert_eq!(
        upgrade(&server, "/ws", &[bearer(TOKEN), null]).await.err(),
        Some(403)
    );
    // The page's own origin passes; so does no Origin at all (a tool), with credentials.
    let own = ("Origin", format!("http://{}", server.addr));
    assert!(upgrade(&server, "/ws", &[bearer(TOKEN), own]).await.is_ok());
    assert_eq!(
        upgrade(&server, "/ws", &[]).await.err(),
        Some(401),
        "no Origin still needs credentials"
    );
    still_serves(&server).await;
}

#[tokio::test]
async fn an_allowed_origin_may_open_the_terminal() {
    let mut config = token_config();
    config.websocket.allowed_origins = vec!["https://dashboard.example.com".into()];
    let server = TestServer::start(config);
    let allowed = ("Origin", "https://dashboard.example.com".to_owned());
    let mut client = upgrade(&server, "/ws", &[bearer(TOKEN), allowed])
        .await
        .expect("allowed");
    assert_eq!(client.ask("$((6*7))").await, "42");
    let lookalike = (
        "Origin",
        "https://dashboard.example.com.evil.example".to_owned(),
    );
    assert_eq!(
        upgrade(&server, "/ws", &[bearer(TOKEN), lookalike])
            .await
            .err(),
        Some(403)
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::start(token_config());
    for (path, status) in [
        ("/", 200),
        ("/", 401),
        ("/app.js", 200),
        ("/no-such-file", 404),
    ] {
        let credentials = if status == 401 {
            vec![]
        } else {
            vec![bearer(TOKEN)]
        };
        let (got, headers, _) = get(server.addr, path, &credentials).await;
        assert_eq!(got, status, "{path}");
        let csp =
            header(&headers, "content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        for directive in [
            "default-src 'none'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: {directive} missing from {csp}"
            );
        }
        // Scripts only from our own files, never inline or `eval`; WebAssembly for the image addon's decoder.
        let scripts = csp
            .split(';')
            .map(str::trim)
            .find(|directive| directive.starts_with("script-src "))
            .unwrap_or_else(|| panic!("{path}: no script-src in {csp}"));
        assert_eq!(scripts, "script-src 'self' 'wasm-unsafe-eval'", "{path}");
        assert_eq!(
            header(&headers, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header(&headers, "referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        assert_eq!(header(&headers, "x-frame-options"), Some("deny"), "{path}");
        assert_eq!(
            header(&headers, "strict-transport-security"),
            None,
            "{path}: no HSTS over plain HTTP"
        );
    }
    let (_, headers, _) = get(server.addr, "/", &[bearer(TOKEN)]).await;
    assert_eq!(
        header(&headers, "cache-control"),
        Some("no-store"),
        "the authenticated page is not cached"
    );
}

#[tokio::test]
async fn frame_ancestors_can_be_configured() {
    let mut config = token_config();
    config.http.frame_ancestors = vec!["'self'".into(), "https://dashboard.example.com".into()];
    let server = TestServer::start(config);
    let (_, headers, _) = get(server.addr, "/", &[bearer(TOKEN)]).await;
    let csp = header(&headers, "content-security-policy").unwrap();
    assert!(
        csp.ends_with("frame-ancestors 'self' https://dashboard.example.com"),
        "{csp}"
    );
    assert_eq!(
        header(&headers, "x-frame-options"),
        None,
        "X-Frame-Options: DENY would override it"
    );
}
