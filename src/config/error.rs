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
        /// toml's message, with the line, column and key.
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
