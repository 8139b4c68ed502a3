//! The tests of `config.toml` as a whole: the shipped file, the top-level keys, values that do not fit together,
//! and what the errors name.

use std::path::{Path, PathBuf};

use super::*;
use crate::cli::Cli;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

#[test]
fn the_shipped_config_toml_parses_to_the_defaults() {
    let text = include_str!("../../config.toml");
    assert_eq!(parse(text).unwrap(), Config::default());
}

#[test]
fn an_empty_file_means_the_defaults() {
    assert_eq!(parse("").unwrap(), Config::default());
}

#[test]
fn an_unknown_key_is_named_with_file_and_line() {
    let error = parse("listen = \"127.0.0.1:1\"\n\n[session]\nshell = \"bash\"\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("test.toml"), "{error}");
    assert!(error.contains("line 4"), "{error}");
    assert!(error.contains("shell"), "{error}");
}

#[test]
fn a_bad_value_is_named_with_file_line_and_reason() {
    let error = parse("[websocket]\nmax_message_size = 10\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("line 2"), "{error}");
    assert!(error.contains("max_message_size"), "{error}");
    assert!(error.contains("between 65536"), "{error}");

    let error = parse("listen = \"nowhere\"\n").unwrap_err().to_string();
    assert!(
        error.contains("line 1") && error.contains("listen"),
        "{error}"
    );
}

#[test]
fn a_unix_socket_and_its_mode_are_read_from_the_file() {
    let config =
        parse("listen = \"unix:/run/webterm.sock\"\nunix_socket_mode = \"0660\"\n").unwrap();
    assert_eq!(config.listen, Listen::Unix("/run/webterm.sock".into()));
    assert_eq!(config.unix_socket_mode(), 0o660);
    for bad in ["999", "0x1ff", "07777", ""] {
        let error = parse(&format!("unix_socket_mode = {bad:?}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("unix_socket_mode") && error.contains("octal"),
            "{bad}: {error}"
        );
    }
    let error = parse("listen = \"unix:\"\n").unwrap_err().to_string();
    assert!(error.contains("needs a path"), "{error}");
}

#[test]
fn base_paths_must_be_clean_absolute_prefixes() {
    for good in ["/", "/terminal", "/a/b-c_d.e~"] {
        assert_eq!(
            parse(&format!("base_path = {good:?}\n")).unwrap().base_path,
            good
        );
    }
    for bad in [
        "",
        "terminal",
        "/terminal/",
        "/../etc",
        "/a/./b",
        "/a b",
        "/%2e%2e",
        "//x",
    ] {
        let error = parse(&format!("base_path = {bad:?}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("base_path") && error.contains("line 1"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn durable_session_keys_are_read_and_bad_values_named() {
    let config = parse(
        "[session]\nlinger_secs = 0\nscrollback = 4096\nmax_sessions = 3\ninput = \"single\"\nonce = true\n\
         [auth]\nadmins = [\"ann\"]\n",
    )
    .unwrap();
    assert_eq!(config.session.linger(), std::time::Duration::ZERO);
    assert_eq!(config.session.scrollback, 4096);
    assert_eq!(config.session.max_sessions, 3);
    assert_eq!(config.session.input, crate::protocol::InputPolicy::Single);
    assert!(config.session.once);
    assert_eq!(config.auth.admins, ["ann"]);
    for (bad, named) in [
        ("linger_secs = 604801", "at most 604800"),
        ("linger_secs = -1", "linger_secs"),
        ("scrollback = 1073741825", "at most 1073741824"),
        ("input = \"everyone\"", "input"),
        ("once = \"yes\"", "once"),
    ] {
        let error = parse(&format!("[session]\n{bad}\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains(named), "{bad}: {error}");
    }
}

#[test]
fn top_level_numbers_out_of_range_are_refused_with_the_key_and_the_value() {
    assert_eq!(parse("workers = 1024\n").unwrap().workers, MAX_WORKERS);
    assert_eq!(
        parse("shutdown_grace_ms = 600000\n")
            .unwrap()
            .shutdown_grace_ms,
        600_000
    );
    for (text, expected) in [
        ("workers = 1025", "must be between 0 and 1024, got 1025"),
        ("workers = 1000000", "got 1000000"),
        ("workers = -1", "invalid value"),
        (
            "shutdown_grace_ms = 600001",
            "must be between 0 and 600000, got 600001",
        ),
        ("shutdown_grace_ms = -1", "invalid value"),
    ] {
        let error = parse(&format!("{text}\n")).unwrap_err().to_string();
        let key = text.split(' ').next().unwrap();
        assert!(
            error.contains("line 1") && error.contains(key) && error.contains(expected),
            "{text}: {error}"
        );
    }
}

#[test]
fn websocket_origins_must_be_origins() {
    let good = "[websocket]\nallowed_origins = [\"https://example.com:8443\"]\n";
    assert_eq!(parse(good).unwrap().websocket.allowed_origins.len(), 1);
    for bad in ["example.com", "https://example.com/", "*", ""] {
        let error = parse(&format!("[websocket]\nallowed_origins = [{bad:?}]\n"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!(
                "websocket.allowed_origins entry {bad:?} is not an origin"
            )),
            "{bad}: {error}"
        );
    }
}

/// Writes `text` to a fresh file named `name` in a directory of its own; returns its path.
fn write_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webterm-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn errors_found_after_parsing_name_the_file() {
    let file = write_file(
        "after-parsing.toml",
        "[session]\nmax_clients = 0\n[auth]\nmode = \"proxy\"\n",
    );
    let error = Config::from_file(&file).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "invalid config file {}: session.max_clients must be at least 1",
            file.display()
        )
    );
    std::fs::write(&file, "[auth]\nmode = \"proxy\"\n").unwrap();
    let cli = Cli {
        config: Some(file.clone()),
        ..Cli::default()
    };
    let error = Config::load(&cli).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("invalid config file {}: ", file.display()))
            && error.contains("auth.trusted_proxies"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[test]
fn errors_from_flags_on_top_of_a_file_name_the_file_and_the_flags() {
    let file = write_file("flags-on-top.toml", "listen = \"0.0.0.0:7681\"\n");
    let cli = Cli {
        config: Some(file.clone()),
        no_auth: true,
        ..Cli::default()
    };
    let error = Config::load(&cli).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "invalid configuration: config file {} with the command-line flags and WEBTERM_* variables on \
             top: refusing to listen on 0.0.0.0:7681 without authentication",
            file.display()
        )),
        "{error}"
    );
    // Without a file, there is none to name.
    let cli = Cli {
        listen: Some("0.0.0.0:7681".parse().unwrap()),
        no_auth: true,
        ..Cli::default()
    };
    let error = Config::load(&cli).unwrap_err().to_string();
    assert!(
        error.starts_with("invalid configuration: refusing to listen"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[test]
fn values_that_do_not_fit_together_are_refused() {
    let error =
        parse("[websocket]\nping_interval_secs = 30\nping_timeout_secs = 10\n").unwrap_err();
    assert!(error.to_string().contains("ping_timeout_secs"), "{error}");
}

#[test]
fn flags_that_complete_a_file_are_applied_before_the_whole_is_checked() {
    let file = write_file("flags-complete.toml", "");
    let load = |text: &str, cli: Cli| {
        std::fs::write(&file, text).unwrap();
        Config::load(&Cli {
            config: Some(file.clone()),
            ..cli
        })
    };
    // A proxy-mode file meant for a Unix socket that the command line names.
    let config = load(
        "[auth]\nmode = \"proxy\"\n",
        Cli {
            listen: Some("unix:/tmp/w.sock".parse().unwrap()),
            ..Cli::default()
        },
    )
    .unwrap();
    assert_eq!(config.listen, Listen::Unix("/tmp/w.sock".into()));
    assert_eq!(config.auth.mode, AuthMode::Proxy);
    // A file without authentication on every address, moved to loopback by the command line.
    let config = load(
        "listen = \"0.0.0.0:7681\"\n[auth]\nmode = \"none\"\n",
        Cli {
            listen: Some("127.0.0.1:7681".parse().unwrap()),
            ..Cli::default()
        },
    )
    .unwrap();
    assert_eq!(config.listen, "127.0.0.1:7681".parse().unwrap());
    // A basic-mode file without users yet, run with --no-auth (on loopback, the default).
    let config = load(
        "[auth]\nmode = \"basic\"\n",
        Cli {
            no_auth: true,
            ..Cli::default()
        },
    )
    .unwrap();
    assert_eq!(config.auth.mode, AuthMode::None);
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[test]
fn an_error_of_the_file_alone_names_the_file_even_with_flags_on_top() {
    let file = write_file("file-alone.toml", "[session]\nmax_clients = 0\n");
    let cli = Cli {
        config: Some(file.clone()),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        ..Cli::default()
    };
    let error = Config::load(&cli).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "invalid config file {}: session.max_clients must be at least 1",
            file.display()
        )
    );
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}
