//! The command line. Flags are `Option`s without defaults so that a flag only wins when it is given.

use std::path::PathBuf;

use clap::Parser;

use crate::config::Listen;

/// webterm: a real shell in the browser.
#[derive(Debug, Clone, Default, Parser)]
#[command(version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Something to do instead of serving.
    #[command(subcommand)]
    pub action: Option<Action>,

    /// Read settings from this TOML file (see config.toml for every key).
    #[arg(long, env = "WEBTERM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Listen on this address and port (default 127.0.0.1:7681; port 0 picks a free port), or on the Unix
    /// socket unix:PATH.
    #[arg(long, env = "WEBTERM_LISTEN", value_name = "ADDR:PORT|unix:PATH")]
    pub listen: Option<Listen>,

    /// Run without authentication (auth.mode = "none"); only allowed on a loopback address.
    #[arg(long, env = "WEBTERM_NO_AUTH")]
    pub no_auth: bool,

    /// Log format.
    #[arg(long, env = "WEBTERM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    /// The program to run in each terminal, with its arguments (replaces `session.command`).
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The subcommands.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Action {
    /// Read a password from stdin and print its argon2id hash, for `hash` in `[[auth.users]]`.
    HashPassword,
    /// Check a config file: print the effective configuration (secrets redacted) and exit 0, or the errors
    /// (file, line, key) and exit 1.
    Check {
        /// The file to check.
        #[arg(long, value_name = "FILE")]
        config: std::path::PathBuf,
    },
}

/// How log lines look on stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per event.
    Json,
}
