//! `[[terminal]]` tables: more terminals in one server, each at its own path with its own program and rules.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::protocol::InputPolicy;
use crate::server::OWN_PATHS;

/// One `[[terminal]]` table. Its page is at `PATH/` and its socket at `PATH/ws`, under `base_path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalConfig {
    /// Where it is served, like `/htop`.
    pub path: String,
    /// The program and its arguments.
    pub command: Vec<String>,
    /// The directory it starts in; unset means `session.cwd`.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// Environment variables set for it, on top of what `session.env_allow` lets through.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The tab title until the program sets one.
    #[serde(default)]
    pub title: Option<String>,
    /// Whether anyone's input reaches it (still only for clients with the write role).
    #[serde(default = "writable_by_default")]
    pub writable: bool,
    /// The users who may open it; empty means everyone who may open the main terminal.
    #[serde(default)]
    pub users: Vec<String>,
    /// Who types when several clients share one of its sessions; unset means `session.input`.
    #[serde(default)]
    pub input: Option<InputPolicy>,
}

fn writable_by_default() -> bool {
    true
}

impl TerminalConfig {
    /// Whether `user` may open this terminal.
    pub fn allows(&self, user: &str) -> bool {
        self.users.is_empty() || self.users.iter().any(|allowed| allowed == user)
    }

    pub(super) fn validate(terminals: &[TerminalConfig]) -> Result<(), ConfigError> {
        let invalid = |message: String| Err(ConfigError::Invalid(message));
        for (index, terminal) in terminals.iter().enumerate() {
            let path = &terminal.path;
            let segments: Vec<&str> = path
                .strip_prefix('/')
                .unwrap_or_default()
                .split('/')
                .collect();
            let clean = path.starts_with('/')
                && segments.iter().all(|s| {
                    !s.is_empty()
                        && *s != "."
                        && *s != ".."
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_~".contains(c))
                });
            if !clean {
                return invalid(format!(
                    "terminal.path {path:?} must be a path like \"/htop\": no trailing slash; letters, digits, - _ ~"
                ));
            }
            // The server's own routes are matched before a terminal's: a terminal there could never be reached.
            if let Some(own) = OWN_PATHS
                .iter()
                .find(|own| own.strip_prefix('/') == Some(segments[0]))
            {
                return invalid(format!(
                    "terminal.path {path:?} collides with webterm's own {own}: pick another path"
                ));
            }
            if terminal
                .command
                .first()
                .is_none_or(|program| program.is_empty())
            {
                return invalid(format!(
                    "the [[terminal]] at {path:?} needs a command, like [\"htop\"]"
                ));
            }
            // exec takes NUL-terminated strings: a NUL would fail every session of this terminal at its start.
            if let Some(bad) = terminal.command.iter().find(|arg| arg.contains('\0')) {
                return invalid(format!(
                    "terminal {path:?}: command entry {bad:?} contains a NUL byte, which no program argument can hold"
                ));
            }
            // Each variable reaches the program as one `NAME=VALUE` string. A name with `=` would set another
            // variable than the one written (`A=B` becomes `A`, its value starting with `B=`), and a NUL would fail
            // every session of this terminal at its start.
            for (name, value) in &terminal.env {
                if name.is_empty() || name.contains(['=', '\0']) {
                    return invalid(format!(
                        "terminal {path:?}: env name {name:?} must be non-empty, without '=' or NUL bytes"
                    ));
                }
                // SECURITY: the value is not shown: it may be a secret, and a refused reload is logged.
                if value.contains('\0') {
                    return invalid(format!(
                        "terminal {path:?}: the value of env {name:?} contains a NUL byte"
                    ));
                }
            }
            if terminals[..index].iter().any(|other| &other.path == path) {
                return invalid(format!("two [[terminal]] tables have the path {path:?}"));
            }
            // A NUL would only read as "not a directory", and print as a raw NUL byte.
            if let Some(cwd) = terminal
                .cwd
                .as_ref()
                .filter(|cwd| cwd.as_os_str().as_encoded_bytes().contains(&0))
            {
                return invalid(format!(
                    "terminal {path:?}: cwd {cwd:?} contains a NUL byte"
                ));
            }
            if let Some(cwd) = terminal.cwd.as_ref().filter(|cwd| !cwd.is_dir()) {
                return invalid(format!(
                    "terminal {path:?}: cwd {} is not a directory",
                    cwd.display()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse_text as parse;

    #[test]
    fn terminals_are_read_with_their_defaults() {
        let config = parse("[[terminal]]\npath = \"/top\"\ncommand = [\"top\"]\n\n[[terminal]]\npath = \"/logs/app\"\ncommand = [\"tail\", \"-f\", \"x\"]\nwritable = false\nusers = [\"alice\"]\n").unwrap();
        assert_eq!(config.terminals.len(), 2);
        assert!(config.terminals[0].writable && config.terminals[0].allows("anyone"));
        assert!(!config.terminals[1].writable);
        assert!(config.terminals[1].allows("alice") && !config.terminals[1].allows("bob"));
        let config = parse("[[terminal]]\npath = \"/top\"\ncommand = [\"top\"]\ncwd = \"/\"\nenv = { A_1 = \"x=y\", \"a.b\" = \"\" }\n").unwrap();
        assert_eq!(config.terminals[0].env["A_1"], "x=y");
    }

    #[test]
    fn bad_terminals_are_refused_with_the_reason() {
        crate::config::assert_refused(
            "[[terminal]]",
            [
                ("path = \"top\"\ncommand = [\"top\"]", "must be a path"),
                ("path = \"/top/\"\ncommand = [\"top\"]", "must be a path"),
                ("path = \"/top\"\ncommand = []", "needs a command"),
                (
                    "path = \"/top\"\ncommand = [\"top\"]\nshell = true",
                    "unknown field",
                ),
                (
                    "path = \"/top\"\ncommand = [\"top\", \"a\\u0000b\"]",
                    "terminal \"/top\": command entry \"a\\0b\" contains a NUL byte",
                ),
                (
                    "path = \"/top\"\ncommand = [\"top\"]\ncwd = \"/nonexistent/webterm-test\"",
                    "terminal \"/top\": cwd /nonexistent/webterm-test is not a directory",
                ),
                (
                    concat!(
                        "path = \"/top\"\ncommand = [\"top\"]\ncwd = \"",
                        env!("CARGO_MANIFEST_DIR"),
                        "/Cargo.toml\""
                    ),
                    "Cargo.toml is not a directory",
                ),
                (
                    "path = \"/top\"\ncommand = [\"top\"]\ncwd = \"/tmp\\u0000\"",
                    "terminal \"/top\": cwd \"/tmp\\0\" contains a NUL byte",
                ),
                (
                    "path = \"/top\"\ncommand = [\"top\"]\nenv = { \"A=B\" = \"1\" }",
                    "terminal \"/top\": env name \"A=B\" must be non-empty, without '=' or NUL bytes",
                ),
                (
                    "path = \"/top\"\ncommand = [\"top\"]\nenv = { \"\" = \"1\" }",
                    "env name \"\" must be non-empty",
                ),
                (
                    "path = \"/top\"\ncommand = [\"top\"]\nenv = { \"A\\u0000B\" = \"1\" }",
                    "env name \"A\\0B\" must be non-empty",
                ),
                (
                    "path = \"/top\"\ncommand = [\"top\"]\nenv = { A = \"secret\\u0000\" }",
                    "terminal \"/top\": the value of env \"A\" contains a NUL byte",
                ),
            ],
        );
        let error = parse(
            "[[terminal]]\npath = \"/top\"\ncommand = [\"top\"]\nenv = { A = \"secret\\u0000\" }\n",
        )
        .unwrap_err();
        assert!(
            !error.contains("secret"),
            "an env value is not shown: {error}"
        );
        for own in ["/api", "/echo", "/healthz", "/metrics", "/replay", "/ws"] {
            for path in [own.to_owned(), format!("{own}/top")] {
                let error = parse(&format!(
                    "[[terminal]]\npath = \"{path}\"\ncommand = [\"top\"]\n"
                ))
                .unwrap_err();
                assert!(
                    error.contains(&format!("collides with webterm's own {own}")),
                    "{path}: {error}"
                );
            }
        }
        let twice = "[[terminal]]\npath = \"/a\"\ncommand = [\"x\"]\n[[terminal]]\npath = \"/a\"\ncommand = [\"y\"]\n";
        assert!(parse(twice).unwrap_err().contains("two [[terminal]]"));
    }
}
