//! Settings: the shape of `config.toml`, its defaults, and how the file, env vars and flags combine.
//!
//! Precedence: CLI flag > `WEBTERM_*` env var (both via clap) > config file > built-in default.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

mod auth;
mod check;
mod client;
mod error;
mod http;
mod listen;
mod load;
mod session;
mod terminal;
mod tls;
mod values;

pub use auth::{AuthConfig, AuthMode, UserConfig};
pub use check::REDACTED;
pub use client::{ClientConfig, ThemeConfig};
pub use error::ConfigError;
pub use http::HttpConfig;
pub use listen::Listen;
pub use session::SessionConfig;
pub use terminal::TerminalConfig;
pub use tls::TlsConfig;
pub use values::{MAX_WORKERS, MIN_MESSAGE_SIZE};
use values::{
    at_most_a_minute, at_most_ten_minutes, base_path, file_mode, message_size, non_empty_string,
    positive_seconds, worker_count,
};

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

impl Config {
    /// How long a graceful shutdown may take.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    /// The `[[terminal]]` at `path` (like `/htop`), if there is one.
    pub fn terminal(&self, path: &str) -> Option<&TerminalConfig> {
        self.terminals.iter().find(|terminal| terminal.path == path)
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
        self.auth.validate(matches!(self.listen, Listen::Unix(_)))?;
        self.http.validate()?;
        self.tls.validate()?;
        self.client.validate()?;
        Ok(())
    }
}

impl Config {
    /// The Unix socket's permissions as a number.
    pub fn unix_socket_mode(&self) -> u32 {
        u32::from_str_radix(&self.unix_socket_mode, 8).expect("checked when parsed")
    }
}

/// For the tests of each table: parses `text` as a config file named `t.toml`; the error as its message.
#[cfg(test)]
pub(crate) fn parse_text(text: &str) -> Result<Config, String> {
    Config::parse(text, std::path::Path::new("t.toml")).map_err(|e| e.to_string())
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
mod tests;
