//! Loading the configuration: the file parsed, the flags and `WEBTERM_*` variables put on top, then the whole
//! checked once.

use std::path::Path;

use super::{AuthMode, Config, ConfigError, error};
use crate::cli::Cli;

impl Config {
    /// Parses and checks config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config = Config::parse_unchecked(text, path)?;
        config.validate().map_err(|error| error.in_file(path))?;
        Ok(config)
    }

    /// Reads, parses and checks a config file on its own, without the flags (`webterm check`).
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let config = Config::read_unchecked(path)?;
        config.validate().map_err(|error| error.in_file(path))?;
        Ok(config)
    }

    /// Parses config text without [`Config::validate`], which needs the flags on top first.
    fn parse_unchecked(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: error::parse_message(&e, text),
        })
    }

    /// Reads and parses a config file without [`Config::validate`].
    fn read_unchecked(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse_unchecked(&text, path)
    }

    /// The effective configuration: the file named by `--config`/`WEBTERM_CONFIG` (or defaults), with the
    /// flags and env vars on top, checked once as a whole: a file may leave out what the flags supply (like
    /// `auth.mode = "proxy"` without `auth.trusted_proxies`, for `--listen unix:PATH`), and the flags may repair
    /// what the file alone would not allow (`--no-auth` over a `basic` table without users). SIGHUP loads the
    /// same way.
    pub fn load(cli: &Cli) -> Result<Config, ConfigError> {
        let file = match &cli.config {
            Some(path) => Some((path, Config::read_unchecked(path)?)),
            None => None,
        };
        let mut config = file
            .as_ref()
            .map_or_else(Config::default, |(_, config)| config.clone());
        if let Some(listen) = &cli.listen {
            config.listen = listen.clone();
        }
        if !cli.command.is_empty() {
            config.session.command = cli.command.clone();
        }
        if cli.no_auth {
            config.auth.mode = AuthMode::None;
        }
        let Err(error) = config.validate() else {
            return Ok(config);
        };
        let Some((path, alone)) = file else {
            return Err(error);
        };
        // The file is to blame when it is refused alone for the same reason; otherwise the flags are part of it.
        let same_alone = alone
            .validate()
            .is_err_and(|alone| alone.to_string() == error.to_string());
        Err(if same_alone {
            error.in_file(path)
        } else {
            error.with_flags_on(path)
        })
    }
}
