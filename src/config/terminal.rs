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
            if terminals[..index].iter().any(|other| &other.path == path) {
                return invalid(format!("two [[terminal]] tables have the path {path:?}"));
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
    use std::path::Path;

    use crate::config::Config;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("t.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn terminals_are_read_with_their_defaults() {
        let config = parse("[[terminal]]\npath = \"/top\"\ncommand = [\"top\"]\n\n[[terminal]]\npath = \"/logs/app\"\ncommand = [\"tail\", \"-f\", \"x\"]\nwritable = false\nusers = [\"alice\"]\n").unwrap();
        assert_eq!(config.terminals.len(), 2);
        assert!(config.terminals[0].writable && config.terminals[0].allows("anyone"));
        assert!(!config.terminals[1].writable);
        assert!(config.terminals[1].allows("alice") && !config.terminals[1].allows("bob"));
    }

    #[test]
    fn bad_terminals_are_refused_with_the_reason() {
        for (text, expected) in [
            ("path = \"top\"\ncommand = [\"top\"]", "must be a path"),
            ("path = \"/top/\"\ncommand = [\"top\"]", "must be a path"),
            ("path = \"/top\"\ncommand = []", "needs a command"),
            (
                "path = \"/top\"\ncommand = [\"top\"]\nshell = true",
                "unknown field",
            ),
        ] {
            let error = parse(&format!("[[terminal]]\n{text}\n")).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
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
