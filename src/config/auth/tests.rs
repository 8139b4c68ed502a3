//! The tests of the `[auth]` table: good tables of every mode, and each refusal with its reason.

use crate::config::{assert_refused, parse_text as parse};
/// An argon2id PHC string; the config only checks the form, so no password matches it here.
const HASH: &str = "$argon2id$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$yQ5RzRb0vU0k2t1D3GB0Hw";

/// A basic-mode `[auth]` table with one `[[auth.users]]` per (name, hash), each put in quotes as it is.
fn basic(users: &[(&str, &str)]) -> String {
    let mut text = String::from("[auth]\nmode = \"basic\"\n");
    for (name, hash) in users {
        text.push_str(&format!(
            "[[auth.users]]\nname = \"{name}\"\nhash = \"{hash}\"\n"
        ));
    }
    text
}

#[test]
fn good_auth_tables_of_every_mode_are_accepted() {
    let token = "[auth]\ntoken = \"0123456789abcdef\"\nread_token = \"-._~ABCDEFGHIJKLM\"\n\
                 max_failures = 1\nlockout_secs = 86400\n";
    assert_eq!(parse(token).unwrap().auth.max_failures, 1);
    let users = parse(&basic(&[("ann", HASH), ("bob", HASH)])).unwrap();
    assert_eq!(users.auth.users.len(), 2);
    let proxy =
        "[auth]\nmode = \"proxy\"\ntrusted_proxies = [\"127.0.0.1\"]\nuser_header = \"X-User\"\n";
    assert_eq!(parse(proxy).unwrap().auth.user_header, "X-User");
    // On a Unix socket the proxy is whoever may open it: no addresses needed.
    let unix = "listen = \"unix:/run/webterm.sock\"\n[auth]\nmode = \"proxy\"\n";
    assert_eq!(
        parse(unix).unwrap().auth.mode,
        crate::config::AuthMode::Proxy
    );
}

#[test]
fn a_refused_token_is_not_shown_in_the_error() {
    for key in ["token", "read_token"] {
        let error = parse(&format!("[auth]\n{key} = \"almost the secret\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("auth.{key}: a token must be")),
            "{error}"
        );
        assert!(
            !error.contains("almost"),
            "the refused token is shown: {error}"
        );
    }
}

#[test]
fn bad_auth_tables_are_refused_with_the_reason() {
    let proxy = "[auth]\nmode = \"proxy\"\ntrusted_proxies = [\"127.0.0.1\"]\n";
    for (text, expected) in [
        (
            "[auth]\ntoken = \"0123456789abcde\"\n".to_owned(),
            "a token must be at least 16 characters",
        ),
        (
            "[auth]\ntoken = \"0123456789abcdef&x=1\"\n".to_owned(),
            "a token must be at least 16 characters of A-Z a-z 0-9 - . _ ~",
        ),
        (
            "[auth]\nread_token = \"0123456789abcdef 1\"\n".to_owned(),
            "auth.read_token: a token must be at least 16 characters of A-Z a-z 0-9 - . _ ~",
        ),
        (
            "[auth]\ntoken = \"0123456789abcdef\"\nread_token = \"0123456789abcdef\"\n".to_owned(),
            "auth.read_token must differ from auth.token",
        ),
        (
            "[auth]\nmax_failures = 0\n".to_owned(),
            "auth.max_failures must be at least 1",
        ),
        (
            "[auth]\nlockout_secs = 0\n".to_owned(),
            "auth.lockout_secs must be between 1 and 86400, got 0",
        ),
        (
            "[auth]\nlockout_secs = 86401\n".to_owned(),
            "auth.lockout_secs must be between 1 and 86400, got 86401",
        ),
        (
            basic(&[]),
            "auth.mode = \"basic\" needs at least one [[auth.users]]",
        ),
        (basic(&[("", HASH)]), "auth.users[0].name must be non-empty"),
        (
            basic(&[("ann", HASH), ("b:c", HASH)]),
            "auth.users[1].name must be non-empty, without ':'",
        ),
        (
            basic(&[("a\\u0007b", HASH)]),
            "auth.users[0].name must be non-empty, without ':' or control characters",
        ),
        (
            basic(&[("ann", HASH), ("ann", HASH)]),
            "auth.users: the name \"ann\" appears twice",
        ),
        (
            basic(&[(
                "ann",
                "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$yQ5RzRb0vU0k2t1D3GB0Hw",
            )]),
            "auth.users[0].hash (user \"ann\") is not an argon2id hash",
        ),
        (
            basic(&[("ann", HASH), ("bob", "hunter2")]),
            "auth.users[1].hash (user \"bob\") is not an argon2id hash",
        ),
        (
            "[auth]\nmode = \"proxy\"\n".to_owned(),
            "auth.mode = \"proxy\" needs auth.trusted_proxies",
        ),
        (
            format!("{proxy}user_header = \"X User\"\n"),
            "auth.user_header \"X User\" is not a valid header name",
        ),
        (
            format!("{proxy}user_header = \"\"\n"),
            "auth.user_header \"\" is not a valid header name",
        ),
        (
            format!("{proxy}user_header = \"X-User:\"\n"),
            "auth.user_header \"X-User:\" is not a valid header name",
        ),
    ] {
        let error = parse(&text).unwrap_err();
        assert!(error.contains(expected), "{text}: {error}");
    }
}

/// An argon2id hash with the parameters `params` (like `m=16,t=2,p=1`).
fn hash_with(params: &str) -> String {
    HASH.replace("m=16,t=2,p=1", params)
}

#[test]
fn password_hashes_up_to_the_cost_limits_are_accepted() {
    for params in [
        "m=19456,t=2,p=1",
        "m=262144,t=4,p=1",
        "m=65536,t=16,p=4",
        "m=1024,t=1024,p=16",
    ] {
        let config = parse(&basic(&[("ann", &hash_with(params))]));
        assert!(config.is_ok(), "{params}: {config:?}");
    }
}

#[test]
fn password_hashes_that_would_make_every_login_costly_are_refused_with_the_limit() {
    let refused = |params: &str, expected: &str| {
        let text = basic(&[("ann", HASH), ("bob", &hash_with(params))]);
        let lines = text.strip_prefix("[auth]\n").unwrap().to_owned();
        (
            lines,
            format!("auth.users[1].hash (user \"bob\") {expected}"),
        )
    };
    let cases = [
        refused(
            "m=262145,t=1,p=1",
            "asks for m=262145 KiB of memory per login; at most m=262144 (256 MiB) is allowed: make a new \
             one with `webterm hash-password`",
        ),
        refused("m=4194304,t=1,p=1", "asks for m=4194304 KiB"),
        refused(
            "m=262144,t=5,p=1",
            "asks for t=5 passes over m=262144 KiB, 1310720 KiB of work per login; at most m × t = 1048576 \
             (1 GiB, about a second) is allowed",
        ),
        refused("m=1024,t=4294967295,p=1", "asks for t=4294967295 passes"),
        refused(
            "m=1024,t=1,p=17",
            "asks for p=17 lanes; at most p=16 is allowed",
        ),
        refused("m=8,t=1,p=2", "is not an argon2id hash"),
    ];
    assert_refused(
        "[auth]",
        cases
            .iter()
            .map(|(lines, expected)| (&lines[..], &expected[..])),
    );
}

#[test]
fn a_refused_password_hash_is_not_shown() {
    let error = parse(&basic(&[("ann", "hunter2")])).unwrap_err();
    assert!(!error.contains("hunter2"), "{error}");
}
