//! The `[session]` table: what runs in each terminal, as whom, where, and how it ends.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, at_most_a_minute, non_empty_string};
use crate::protocol::InputPolicy;
use crate::pty::Account;

/// The `[session]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// The program and its arguments; empty means `$SHELL` (the user's shell with `user`), else `/bin/sh`.
    pub command: Vec<String>,
    /// The `TERM` value the program sees.
    #[serde(deserialize_with = "non_empty_string")]
    pub term: String,
    /// Milliseconds between SIGHUP and SIGKILL when a client goes away.
    #[serde(deserialize_with = "at_most_a_minute")]
    pub kill_grace_ms: u64,
    /// Whether anyone's input reaches the program; `false` makes every client read-only.
    pub writable: bool,
    /// Terminals open at once; one more is answered 503.
    pub max_clients: usize,
    /// Terminals one user may have open at once; 0 for no limit of its own.
    pub max_per_user: usize,
    /// When set, every session is recorded there as an asciicast v2 file named after the session id.
    pub record_dir: Option<PathBuf>,
    /// Whether recordings include what clients typed (passwords typed at prompts included).
    pub record_input: bool,
    /// The directory the program starts in; unset means webterm's own (the user's home with `user`).
    pub cwd: Option<PathBuf>,
    /// Only these of webterm's environment variables reach the program: names, or prefixes ending in `*`.
    /// Unset passes them all. `TERM`, `COLORTERM`, `SHELL` and `WEBTERM_SESSION` are always set, and `PATH`
    /// gets the standard system value when it is not let through.
    pub env_allow: Option<Vec<String>>,
    /// Run the program as this user; webterm must run as root. Unset runs it as webterm's own user.
    pub user: Option<String>,
    /// The group for `user`; unset means the user's primary group.
    pub group: Option<String>,
    /// Let `/ws?arg=A&arg=B` add arguments to the command, each one argv entry (never through a shell).
    pub allow_url_args: bool,
    /// Seconds a session outlives its last client, waiting to be reattached; 0 ends it with its last client.
    pub linger_secs: u64,
    /// Bytes of memory for each session's replayable scrollback (the screen itself is always kept).
    pub scrollback: usize,
    /// Sessions alive at once, lingering ones included; one more gets 503. 0: no limit of its own.
    pub max_sessions: usize,
    /// Who types when several clients share a session: `shared` (every writer) or `single` (one at a time).
    pub input: InputPolicy,
    /// Stop webterm once the first session has ended.
    pub once: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            command: Vec::new(),
            term: "xterm-256color".into(),
            kill_grace_ms: 2000,
            writable: true,
            max_clients: 16,
            max_per_user: 0,
            record_dir: None,
            record_input: false,
            cwd: None,
            env_allow: None,
            user: None,
            group: None,
            allow_url_args: false,
            linger_secs: 300,
            scrollback: 1 << 20,
            max_sessions: 64,
            input: InputPolicy::Shared,
            once: false,
        }
    }
}

impl SessionConfig {
    /// How long a session outlives its last client.
    pub fn linger(&self) -> Duration {
        Duration::from_secs(self.linger_secs)
    }

    /// The grace period between SIGHUP and SIGKILL.
    pub fn kill_grace(&self) -> Duration {
        Duration::from_millis(self.kill_grace_ms)
    }

    /// The account to run programs as, when `user` is set.
    pub fn account(&self) -> Result<Option<Account>, ConfigError> {
        let Some(user) = &self.user else {
            if self.group.is_some() {
                return Err(ConfigError::Invalid(
                    "session.group needs session.user".into(),
                ));
            }
            return Ok(None);
        };
        if !rustix::process::geteuid().is_root() {
            return Err(ConfigError::Invalid(format!(
                "session.user = {user:?} needs webterm to run as root (it switches to that user for each program); \
                 run webterm as {user:?} itself instead and drop session.user"
            )));
        }
        Account::lookup(user, self.group.as_deref())
            .map(Some)
            .map_err(ConfigError::Invalid)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self
            .command
            .first()
            .is_some_and(|program| program.is_empty())
        {
            return Err(ConfigError::Invalid(
                "session.command must not start with an empty string".into(),
            ));
        }
        // exec takes NUL-terminated strings: a NUL would fail every session at its start, so it is refused here.
        if let Some(bad) = self.command.iter().find(|arg| arg.contains('\0')) {
            return Err(ConfigError::Invalid(format!(
                "session.command entry {bad:?} contains a NUL byte, which no program argument can hold"
            )));
        }
        if self.scrollback > 1 << 30 {
            return Err(ConfigError::Invalid(
                "session.scrollback must be at most 1073741824 bytes (1 GiB)".into(),
            ));
        }
        if self.linger_secs > 7 * 24 * 3600 {
            return Err(ConfigError::Invalid(
                "session.linger_secs must be at most 604800 (a week)".into(),
            ));
        }
        if self.max_clients == 0 {
            return Err(ConfigError::Invalid(
                "session.max_clients must be at least 1".into(),
            ));
        }
        if let Some(bad) = self
            .env_allow
            .iter()
            .flatten()
            .find(|name| !valid_env_pattern(name))
        {
            return Err(ConfigError::Invalid(format!(
                "session.env_allow entry {bad:?} is not a variable name or a prefix ending in *"
            )));
        }
        if let Some(cwd) = &self.cwd {
            // A NUL would only read as "not a directory", and print as a raw NUL byte.
            if cwd.as_os_str().as_encoded_bytes().contains(&0) {
                return Err(ConfigError::Invalid(format!(
                    "session.cwd {cwd:?} contains a NUL byte"
                )));
            }
            if !cwd.is_dir() {
                return Err(ConfigError::Invalid(format!(
                    "session.cwd {} is not a directory",
                    cwd.display()
                )));
            }
        }
        self.account()?;
        Ok(())
    }

    /// Whether the environment variable `name` may reach the program.
    pub fn env_allowed(&self, name: &str) -> bool {
        self.env_allow.as_ref().is_none_or(|allowed| {
            allowed
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => name == pattern,
                })
        })
    }
}

fn valid_env_pattern(pattern: &str) -> bool {
    let name = pattern.strip_suffix('*').unwrap_or(pattern);
    !pattern.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_allow_list_takes_names_and_prefixes() {
        let session = SessionConfig {
            env_allow: Some(vec!["LANG".into(), "LC_*".into()]),
            ..Default::default()
        };
        assert!(session.env_allowed("LANG") && session.env_allowed("LC_ALL"));
        assert!(!session.env_allowed("LANGUAGE") && !session.env_allowed("AWS_SECRET_ACCESS_KEY"));
        assert!(SessionConfig::default().env_allowed("ANYTHING"));
        let bad = SessionConfig {
            env_allow: Some(vec!["A-B".into()]),
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("env_allow")
        );
    }

    #[test]
    fn bad_session_values_are_refused_with_the_key() {
        let parse = crate::config::parse_text;
        let good =
            "[session]\nkill_grace_ms = 60000\nmax_clients = 1\ncwd = \"/\"\ncommand = [\"sh\"]\n";
        assert_eq!(parse(good).unwrap().session.kill_grace_ms, 60_000);
        crate::config::assert_refused(
            "[session]",
            [
                ("kill_grace_ms = 60001", "between 0 and 60000, got 60001"),
                ("kill_grace_ms = -1", "kill_grace_ms"),
                (
                    "command = [\"\", \"x\"]",
                    "session.command must not start with an empty string",
                ),
                (
                    "command = [\"sh\", \"-c\", \"a\\u0000b\"]",
                    "session.command entry \"a\\0b\" contains a NUL byte",
                ),
                ("max_clients = 0", "session.max_clients must be at least 1"),
                (
                    "cwd = \"/nonexistent/webterm-test\"",
                    "session.cwd /nonexistent/webterm-test is not a directory",
                ),
                (
                    concat!("cwd = \"", env!("CARGO_MANIFEST_DIR"), "/Cargo.toml\""),
                    "Cargo.toml is not a directory",
                ),
                (
                    "cwd = \"/tmp\\u0000\"",
                    "session.cwd \"/tmp\\0\" contains a NUL byte",
                ),
                ("term = \"\"", "must be a non-empty string"),
                ("term = \"xterm\\u0000\"", "without NUL bytes"),
            ],
        );
    }

    #[test]
    fn a_group_without_a_user_is_refused() {
        let session = SessionConfig {
            group: Some("staff".into()),
            ..Default::default()
        };
        assert!(
            session
                .validate()
                .unwrap_err()
                .to_string()
                .contains("session.group needs session.user")
        );
    }
}
