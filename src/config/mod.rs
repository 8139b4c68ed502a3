//! Settings: the shape of `config.toml`, its defaults, and how the file, env vars and flags combine.
//!
//! Precedence: CLI flag > `WEBTERM_*` env var (both via clap) > config file > built-in default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::cli::Cli;

mod auth;
mod check;
mod client;
mod http;
mod listen;
mod session;
mod terminal;
mod tls;

pub use auth::{AuthConfig, AuthMode, UserConfig};
pub use check::REDACTED;
pub use client::{ClientConfig, ThemeConfig};
pub use http::HttpConfig;
pub use listen::Listen;
pub use session::SessionConfig;
pub use terminal::TerminalConfig;
pub use tls::TlsConfig;

/// The whole configuration. Every key is documented, with its default, in the shipped `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on (port 0 picks a free port), or `unix:PATH`.
    pub listen: Listen,
    /// The permissions of the Unix socket when `listen` is `unix:PATH`, in octal.
    #[serde(deserialize_with = "file_mode")]
    pub unix_socket_mode: String,
    /// HTTP worker threads; 0 means one per CPU core. At most [`MAX_WORKERS`].
    #[serde(deserialize_with = "worker_count")]
    pub workers: usize,
    /// The path prefix everything is served under, for reverse proxies that do not strip it; `/` for none.
    #[serde(deserialize_with = "base_path")]
    pub base_path: String,
    /// On SIGTERM/SIGINT, how long connections get to end their sessions before the server stops anyway.
    #[serde(deserialize_with = "at_most_ten_minutes")]
    pub shutdown_grace_ms: u64,
    /// What runs in each terminal.
    pub session: SessionConfig,
    /// WebSocket limits and keep-alive.
    pub websocket: WebSocketConfig,
    /// Who may connect, and how they prove it.
    pub auth: AuthConfig,
    /// HTTP timeouts and browser policy.
    pub http: HttpConfig,
    /// TLS; off unless a certificate and key are given.
    pub tls: TlsConfig,
    /// How the page sets up its terminal; sent to the page in `hello`.
    pub client: ClientConfig,
    /// More terminals, each at its own path (`[[terminal]]` tables).
    #[serde(rename = "terminal")]
    pub terminals: Vec<TerminalConfig>,
}

/// The `[websocket]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSocketConfig {
    /// The largest message a client may send, in bytes (at least [`MIN_MESSAGE_SIZE`]); bigger ones get close
    /// code 1009.
    #[serde(deserialize_with = "message_size")]
    pub max_message_size: usize,
    /// Seconds between the server's pings; also the page's heartbeat (`hello`'s `heartbeat`).
    #[serde(deserialize_with = "positive_seconds")]
    pub ping_interval_secs: u64,
    /// Seconds of silence after which a client is dropped.
    #[serde(deserialize_with = "positive_seconds")]
    pub ping_timeout_secs: u64,
    /// Origins besides the page's own that may open WebSockets (like `https://example.com`).
    pub allowed_origins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: Listen::Tcp(SocketAddr::from(([127, 0, 0, 1], 7681))),
            unix_socket_mode: "0600".into(),
            workers: 0,
            base_path: "/".into(),
            shutdown_grace_ms: 10_000,
            session: SessionConfig::default(),
            websocket: WebSocketConfig::default(),
            auth: AuthConfig::default(),
            http: HttpConfig::default(),
            tls: TlsConfig::default(),
            client: ClientConfig::default(),
            terminals: Vec::new(),
        }
    }
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            max_message_size: 1 << 20,
            ping_interval_secs: 20,
            ping_timeout_secs: 60,
            allowed_origins: Vec::new(),
        }
    }
}

impl WebSocketConfig {
    /// How often the server pings.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs)
    }

    /// How long a silent client is kept.
    pub fn ping_timeout(&self) -> Duration {
        Duration::from_secs(self.ping_timeout_secs)
    }
}

/// Why the configuration could not be loaded. The messages name the file, line and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key, or a bad value.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, with the line, column and key.
        message: String,
    },
    /// The values are each fine but do not fit together.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// How long a graceful shutdown may take.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    /// The `[[terminal]]` at `path` (like `/htop`), if there is one.
    pub fn terminal(&self, path: &str) -> Option<&TerminalConfig> {
        self.terminals.iter().find(|terminal| terminal.path == path)
    }

    /// Parses config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a config file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// The settings that differ between `self` and `new` but only take effect at a start; a reload (SIGHUP)
    /// refuses a new config that changes any of them.
    pub fn restart_only_changes(&self, new: &Config) -> Vec<&'static str> {
        let session = (&self.session, &new.session);
        [
            ("listen", self.listen != new.listen),
            (
                "unix_socket_mode",
                self.unix_socket_mode != new.unix_socket_mode,
            ),
            ("workers", self.workers != new.workers),
            ("base_path", self.base_path != new.base_path),
            (
                "shutdown_grace_ms",
                self.shutdown_grace_ms != new.shutdown_grace_ms,
            ),
            ("[http]", self.http != new.http),
            ("TLS on or off", self.tls.enabled() != new.tls.enabled()),
            (
                "session.max_clients",
                session.0.max_clients != session.1.max_clients,
            ),
            (
                "session.max_sessions",
                session.0.max_sessions != session.1.max_sessions,
            ),
            (
                "session.max_per_user",
                session.0.max_per_user != session.1.max_per_user,
            ),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
    }

    /// The effective configuration: the file named by `--config`/`WEBTERM_CONFIG` (or defaults), with the
    /// flags and env vars on top.
    pub fn load(cli: &Cli) -> Result<Config, ConfigError> {
        let mut config = match &cli.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(listen) = &cli.listen {
            config.listen = listen.clone();
        }
        if !cli.command.is_empty() {
            config.session.command = cli.command.clone();
        }
        if cli.no_auth {
            config.auth.mode = AuthMode::None;
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks what the field types cannot check alone. [`crate::server::Server::bind`] calls it too, so a
    /// configuration built in code gets the same refusals as one read from a file.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let ws = &self.websocket;
        if ws.ping_timeout_secs <= ws.ping_interval_secs {
            return Err(ConfigError::Invalid(format!(
                "websocket.ping_timeout_secs ({}) must be larger than websocket.ping_interval_secs ({})",
                ws.ping_timeout_secs, ws.ping_interval_secs
            )));
        }
        self.session.validate()?;
        TerminalConfig::validate(&self.terminals)?;
        // SECURITY: a terminal without authentication is a shell for anyone who can reach the port. Only the
        // machine itself may, so only loopback is allowed.
        if self.auth.mode == AuthMode::None && !self.listen.is_local() {
            return Err(ConfigError::Invalid(format!(
                "refusing to listen on {} without authentication: anyone who can reach it gets a shell. Use \
                 auth.mode = \"token\" (the default, drop --no-auth), \"basic\" or \"proxy\", or listen \
                 on 127.0.0.1",
                self.listen
            )));
        }
        if let Some(bad) = self
            .websocket
            .allowed_origins
            .iter()
            .find(|o| !crate::origin::is_origin(o))
        {
            return Err(ConfigError::Invalid(format!(
                "websocket.allowed_origins entry {bad:?} is not an origin like \"https://example.com:8443\" \
                 (scheme, host and optional port; no path)"
            )));
        }
        self.auth.validate()?;
        self.http.validate()?;
        self.tls.validate()?;
        self.client.validate()?;
        Ok(())
    }
}

fn bounded<'de, D: Deserializer<'de>>(
    d: D,
    min: u64,
    max: u64,
    what: &str,
) -> Result<u64, D::Error> {
    let value = u64::deserialize(d)?;
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{what} must be between {min} and {max}, got {value}"
        )))
    }
}

/// The most HTTP worker threads `workers` may ask for. Each worker is an OS thread with its own event loop, and
/// all are started at once: past the number of cores they only add memory and context switches, and a slip like
/// `workers = 1000000` would try to start a million threads. 1024 is more cores than webterm is likely to meet.
pub const MAX_WORKERS: usize = 1024;

fn worker_count<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    bounded(
        d,
        0,
        MAX_WORKERS as u64,
        "workers (0 means one per CPU core)",
    )
    .map(|v| v as usize)
}

fn positive_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    bounded(d, 1, 86_400, "seconds")
}

fn at_most_a_minute<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    bounded(d, 0, 60_000, "milliseconds")
}

fn base_path<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    let clean = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    };
    if value == "/"
        || value
            .strip_prefix('/')
            .is_some_and(|rest| rest.split('/').all(clean))
    {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "must be \"/\" or a path like \"/terminal\" (no trailing slash, letters, digits and -._~ only), got {value:?}"
        )))
    }
}

fn file_mode<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    match u32::from_str_radix(&value, 8) {
        Ok(mode) if mode <= 0o777 && value.len() <= 4 => Ok(value),
        _ => Err(serde::de::Error::custom(format!(
            "must be an octal file mode like \"0660\", got {value:?}"
        ))),
    }
}

impl Config {
    /// The Unix socket's permissions as a number.
    pub fn unix_socket_mode(&self) -> u32 {
        u32::from_str_radix(&self.unix_socket_mode, 8).expect("checked when parsed")
    }
}

fn at_most_ten_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    bounded(d, 0, 600_000, "milliseconds")
}

/// The smallest `websocket.max_message_size`: the page sends input (a paste) in frames of up to 64 KiB
/// (`frontend/src/connection.ts`), which a smaller limit would refuse with 1009.
pub const MIN_MESSAGE_SIZE: u64 = 64 * 1024;

fn message_size<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    bounded(d, MIN_MESSAGE_SIZE, 1 << 30, "bytes").map(|v| v as usize)
}

fn non_empty_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    if value.is_empty() || value.contains('\0') {
        Err(serde::de::Error::custom(
            "must be a non-empty string without NUL bytes",
        ))
    } else {
        Ok(value)
    }
}

/// For the tests of each table: parses `text` as a config file named `t.toml`; the error as its message.
#[cfg(test)]
pub(crate) fn parse_text(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("t.toml")).map_err(|e| e.to_string())
}

/// For the tests of each table: each `(lines, expected)` case, under the `table` header, is refused with an error
/// that contains `expected`.
#[cfg(test)]
pub(crate) fn assert_refused<'a>(table: &str, cases: impl IntoIterator<Item = (&'a str, &'a str)>) {
    for (lines, expected) in cases {
        let error = parse_text(&format!("{table}\n{lines}\n")).unwrap_err();
        assert!(error.contains(expected), "{lines}: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn values_that_do_not_fit_together_are_refused() {
        let error =
            parse("[websocket]\nping_interval_secs = 30\nping_timeout_secs = 10\n").unwrap_err();
        assert!(error.to_string().contains("ping_timeout_secs"), "{error}");
    }
}
