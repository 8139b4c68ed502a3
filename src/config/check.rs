//! `webterm check`: the effective configuration as TOML, with its secrets redacted.

use super::Config;

/// What stands in for a secret in printed configuration.
pub const REDACTED: &str = "<redacted>";

impl Config {
    /// The whole configuration, defaults included, as TOML; tokens and password hashes are replaced by
    /// [`REDACTED`] so that the output can be pasted into a bug report.
    pub fn to_redacted_toml(&self) -> String {
        let mut config = self.clone();
        // SECURITY: everything that lets someone in is blanked, whatever mode is active.
        for secret in [&mut config.auth.token, &mut config.auth.read_token] {
            if secret.is_some() {
                *secret = Some(REDACTED.to_string());
            }
        }
        for user in &mut config.auth.users {
            user.hash = REDACTED.to_string();
        }
        // A terminal's environment is where its programs' secrets go (database passwords, API keys).
        for terminal in &mut config.terminals {
            for value in terminal.env.values_mut() {
                *value = REDACTED.to_string();
            }
        }
        toml::to_string(&config).expect("a configuration always serializes to TOML")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn secrets_are_redacted_and_everything_else_is_shown() {
        let text = "[auth]\ntoken = \"0123456789abcdef0123456789abcdef\"\n[[terminal]]\npath = \"/db\"\n\
                    command = [\"psql\"]\nenv = { PGPASSWORD = \"s3cret-db-pass\" }\n";
        let config = Config::parse(text, Path::new("t.toml")).unwrap();
        let shown = config.to_redacted_toml();
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("PGPASSWORD"), "{shown}");
        assert!(shown.contains(REDACTED), "{shown}");
        assert!(shown.contains("listen = \"127.0.0.1:7681\""), "{shown}");
        assert!(shown.contains("[websocket]"), "{shown}");
    }
}
