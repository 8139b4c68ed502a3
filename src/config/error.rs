//! [`ConfigError`]: why the configuration could not be loaded, naming the file, the line and the key.

use std::path::{Path, PathBuf};

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
        /// toml's message, with the line, column and key ([`parse_message`]).
        message: String,
    },
    /// The values are each fine but do not fit together (a configuration built in code).
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// The file's values are each fine but do not fit together.
    #[error("invalid config file {path}: {message}")]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// What does not fit, naming the keys.
        message: String,
    },
    /// The file is fine alone, but not with the command-line flags and `WEBTERM_*` variables on top of it.
    #[error(
        "invalid configuration: config file {path} with the command-line flags and WEBTERM_* variables on top: \
         {message}"
    )]
    InvalidWithFlags {
        /// The file.
        path: PathBuf,
        /// What does not fit, naming the keys.
        message: String,
    },
}

impl ConfigError {
    /// `self`, saying that its values came from the file at `path`.
    pub(super) fn in_file(self, path: &Path) -> ConfigError {
        match self {
            ConfigError::Invalid(message) => ConfigError::InvalidFile {
                path: path.to_owned(),
                message,
            },
            other => other,
        }
    }

    /// `self`, saying that its values came from the file at `path` with the flags and env vars on top.
    pub(super) fn with_flags_on(self, path: &Path) -> ConfigError {
        match self {
            ConfigError::Invalid(message) => ConfigError::InvalidWithFlags {
                path: path.to_owned(),
                message,
            },
            other => other,
        }
    }
}

/// The keys whose values are secrets: a message about their line shows none of what was written there.
const SECRET_KEYS: [&str; 3] = ["token", "read_token", "hash"];

/// toml's message for `error` in `text`, with the line, the column and the key, but not the line itself.
///
/// SECURITY: toml's own message quotes the line, and a refused value may be a secret (`token =` without quotes,
/// a misspelt `tokn = "..."`); the message is printed and, on a refused reload, logged. On the line of a secret,
/// whatever the message quotes between backticks (serde quotes a value of the wrong type) is left out too.
pub(super) fn parse_message(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim();
    let Some(start) = error.span().map(|span| span.start.min(text.len())) else {
        return message.to_owned();
    };
    let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or_default();
    let key = line_text
        .split_once('=')
        .map(|(key, _)| key.trim().trim_matches('"'))
        .filter(|key| !key.is_empty() && !key.starts_with('#'));
    let Some(key) = key else {
        return format!("line {line}, column {column}: {message}");
    };
    let secret = SECRET_KEYS.iter().any(|secret| key.ends_with(secret));
    let message = if secret {
        without_quotes(message)
    } else {
        message.to_owned()
    };
    format!("line {line}, column {column}, key {key}: {message}")
}

/// `message` with what it quotes between backticks left out.
fn without_quotes(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(n, part)| if n % 2 == 1 { "…" } else { part })
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        let error = toml::from_str::<crate::config::Config>(text).unwrap_err();
        parse_message(&error, text)
    }

    #[test]
    fn a_parse_error_names_the_line_column_and_key_but_shows_no_value() {
        let got = message("listen = \"127.0.0.1:7681\"\n[auth]\ntoken = 0123456789abcdef99\n");
        assert!(got.starts_with("line 3, column 9, key token: "), "{got}");
        assert!(!got.contains("0123456789"), "{got}");
        let got = message("[auth]\ntokn = \"the-secret-token-0123\"\n");
        assert!(got.contains("line 2") && got.contains("tokn"), "{got}");
        assert!(!got.contains("the-secret"), "{got}");
        // serde quotes a value of the wrong type; on a secret's line that is left out.
        let got = message("[auth]\ntoken = 12345678901234567890\n");
        assert!(!got.contains("1234567890"), "{got}");
        // Elsewhere the message keeps what helps: the value that was refused.
        let got = message("[session]\ninput = \"several\"\n");
        assert!(got.contains("several"), "{got}");
    }
}
