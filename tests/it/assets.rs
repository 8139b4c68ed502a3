//! The embedded frontend: the page, its files, content types, gzip, ETags, and nothing else.

use crate::security::header;
use crate::support::{TestServer, http_get};

#[tokio::test]
async fn the_page_is_served_with_its_content_type_and_loads_only_relative_assets() {
    let server = TestServer::with_command(&["sh"]);
    let (status, headers, body) = http_get(server.addr, "/", "").await;
    assert_eq!(status, 200);
    assert!(
        headers.contains("content-type: text/html; charset=utf-8"),
        "{headers}"
    );
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("./app.js") && html.contains("./app.css"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "no inline script");

    for (path, kind) in [
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
        ("/echo.js", "text/javascript"),
    ] {
        let (status, headers, body) = http_get(server.addr, path, "").await;
        assert_eq!(status, 200, "{path}");
        assert!(
            headers.contains(&format!("content-type: {kind}")),
            "{path}: {headers}"
        );
        assert!(body.len() > 100, "{path} has content");
    }
}

#[tokio::test]
async fn assets_carry_an_etag_and_answer_304_when_unchanged() {
    let server = TestServer::with_command(&["sh"]);
    let (_, headers, _) = http_get(server.addr, "/app.js", "").await;
    let etag = headers
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("an etag")
        .to_string();
    let (status, _, body) = http_get(
        server.addr,
        "/app.js",
        &format!("If-None-Match: {etag}\r\n"),
    )
    .await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    let (status, _, _) = http_get(
        server.addr,
        "/app.js",
        "If-None-Match: \"something-else\"\r\n",
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn unknown_and_traversing_paths_are_not_found() {
    let server = TestServer::with_command(&["sh"]);
    for path in [
        "/nope.js",
        "/index.html",
        "/..%2fCargo.toml",
        "/%2e%2e/Cargo.toml",
        "/../Cargo.toml",
        "/a/b",
    ] {
        let (status, _, _) = http_get(server.addr, path, "").await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_plain_get_of_echo_shows_the_diagnostics_page() {
    let server = TestServer::with_command(&["sh"]);
    let (status, headers, body) = http_get(server.addr, "/echo", "").await;
    assert_eq!(status, 200);
    assert!(headers.contains("text/html"), "{headers}");
    assert!(String::from_utf8_lossy(&body).contains("./echo.js"));
}

#[tokio::test]
async fn with_a_base_path_everything_moves_under_it() {
    let mut config = crate::support::config(&["sh"]);
    config.base_path = "/term".into();
    let server = TestServer::start(config);
    let (status, _, body) = http_get(server.addr, "/term/", "").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("./app.js"));
    assert_eq!(http_get(server.addr, "/term/app.js", "").await.0, 200);
    assert_eq!(http_get(server.addr, "/term/healthz", "").await.0, 200);
    let (status, headers, _) = http_get(server.addr, "/term?x=1", "").await;
    assert_eq!(status, 308);
    assert!(headers.contains("location: /term/?x=1"), "{headers}");
    for outside in ["/", "/app.js", "/ws", "/terminal/"] {
        assert_eq!(http_get(server.addr, outside, "").await.0, 404, "{outside}");
    }
    let mut client = crate::support::Client::connect_path(&server, "/term/ws").await;
    assert_eq!(client.ask("under-a-prefix").await, "under-a-prefix");
}

#[tokio::test]
async fn a_client_that_accepts_gzip_gets_the_files_gzipped_and_any_other_client_the_same_bytes_unzipped()
 {
    use std::io::Read;

    let server = TestServer::with_command(&["sh"]);
    for path in ["/", "/app.js", "/app.css", "/echo"] {
        let (status, plain_headers, plain) = http_get(server.addr, path, "").await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&plain_headers, "content-encoding"), None, "{path}");
        assert_eq!(
            header(&plain_headers, "vary"),
            Some("accept-encoding"),
            "{path}"
        );

        let (status, headers, zipped) = http_get(
            server.addr,
            path,
            "Accept-Encoding: gzip, deflate, br, zstd\r\n",
        )
        .await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"), "{path}");
        assert_eq!(header(&headers, "vary"), Some("accept-encoding"), "{path}");
        assert_eq!(
            header(&headers, "content-type"),
            header(&plain_headers, "content-type"),
            "{path}"
        );
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain, "{path}: the same file either way");
        if path == "/app.js" {
            assert!(
                zipped.len() * 2 < plain.len(),
                "{path}: {} of {} bytes",
                zipped.len(),
                plain.len()
            );
        }

        // Refusing gzip, asking only for what is not offered, or a header that does not parse, gets the file as it is.
        for refusal in [
            "gzip;q=0, identity",
            "identity",
            "br",
            ";;;",
            "gzip;q=2",
            "gzip;q=x",
        ] {
            let (status, headers, body) = http_get(
                server.addr,
                path,
                &format!("Accept-Encoding: {refusal}\r\n"),
            )
            .await;
            assert_eq!(status, 200, "{path} {refusal}");
            assert_eq!(
                header(&headers, "content-encoding"),
                None,
                "{path} {refusal}"
            );
            assert_eq!(body, plain, "{path} {refusal}");
        }
    }
}

#[tokio::test]
async fn each_encoding_has_its_own_etag_and_a_304_only_for_its_own() {
    let server = TestServer::with_command(&["sh"]);
    let gzip = "Accept-Encoding: gzip\r\n";
    let (_, headers, _) = http_get(server.addr, "/app.js", "").await;
    let plain_tag = header(&headers, "etag").expect("an etag").to_string();
    let (_, headers, _) = http_get(server.addr, "/app.js", gzip).await;
    let gzip_tag = header(&headers, "etag").expect("an etag").to_string();
    assert_ne!(plain_tag, gzip_tag);

    let if_none = |tag: &str| format!("If-None-Match: {tag}\r\n");
    let (status, headers, body) = http_get(
        server.addr,
        "/app.js",
        &format!("{gzip}{}", if_none(&gzip_tag)),
    )
    .await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(header(&headers, "etag"), Some(gzip_tag.as_str()));
    // A cache that holds the gzipped file does not get a 304 for a request that wants it unzipped, nor the reverse.
    let (status, _, body) = http_get(server.addr, "/app.js", &if_none(&gzip_tag)).await;
    assert_eq!(status, 200);
    assert!(!body.is_empty());
    let (status, _, _) = http_get(
        server.addr,
        "/app.js",
        &format!("{gzip}{}", if_none(&plain_tag)),
    )
    .await;
    assert_eq!(status, 200);
}
