//! Reloading the configuration on SIGHUP without dropping anything live.
//!
//! The new file is read and checked completely before anything changes; a bad file, a certificate that does not
//! load, a change to a setting that only takes effect at a start ([`Config::restart_only_changes`]), or a `token`
//! mode that would need a newly generated token (which only a start prints) is refused with an error in the log,
//! and the old configuration stays. An accepted one replaces the [`Live`] config that
//! every request reads, the credentials (a change to `[auth]` ends browser logins) and the TLS certificate, key
//! and client CA. New connections and new sessions see the new settings (routes, users, commands, limits on
//! messages, the client CA); running sessions and their connections go on as they are.

use std::sync::Arc;

use actix_web::web;

use crate::auth::Authenticator;
use crate::config::{Config, ConfigError};
use crate::live::Live;
use crate::tls::{Tls, TlsError};

/// Reads the configuration again from where it first came from (file, environment, flags).
pub type Loader = Arc<dyn Fn() -> Result<Config, ConfigError> + Send + Sync>;

/// Why a reload was refused; the old configuration stays.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The new configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// It changes settings that only take effect at a start.
    #[error("these settings only change with a restart: {0}")]
    RestartOnly(String),
    /// The certificate, key or client CA does not load.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// `token` mode with `auth.token` unset, while no token generated at start is in use: a new one would be
    /// generated, but only the start prints one.
    #[error(
        "auth.token is unset, so webterm would generate a new token, but a generated token is only printed at \
         start (in the \"listening on\" line) and nobody would learn this one: set auth.token, or restart webterm \
         to get a new generated token printed"
    )]
    NoTokenToShow,
}

/// Applies a new configuration to a running server.
#[derive(Clone)]
pub struct Reloader {
    pub(crate) config: web::Data<Live<Config>>,
    pub(crate) auth: web::Data<Authenticator>,
    pub(crate) tls: Option<Arc<Tls>>,
}

impl Reloader {
    /// Checks `new` and, if it passes, makes it the configuration. See the module documentation.
    pub fn apply(&self, new: Config) -> Result<(), ReloadError> {
        new.validate()?;
        let old = self.config.get();
        let restart_only = old.restart_only_changes(&new);
        if !restart_only.is_empty() {
            return Err(ReloadError::RestartOnly(restart_only.join(", ")));
        }
        // SECURITY: a token generated now would lock everyone out, and showing it would mean logging it.
        if self.auth.would_generate_a_token(&new.auth) {
            return Err(ReloadError::NoTokenToShow);
        }
        // The last step that can fail; everything after it cannot.
        if let Some(tls) = &self.tls {
            tls.reload(&new.tls)?;
        }
        let auth_changed = self.auth.reload(&new.auth);
        let paths = |config: &Config| -> Vec<String> {
            config.terminals.iter().map(|t| t.path.clone()).collect()
        };
        let (before, after) = (paths(&old), paths(&new));
        let added: Vec<&String> = after.iter().filter(|p| !before.contains(p)).collect();
        let removed: Vec<&String> = before.iter().filter(|p| !after.contains(p)).collect();
        self.config.set(new);
        tracing::info!(
            target: "webterm::audit",
            event = "config.reload",
            auth_changed,
            terminals_added = ?added,
            terminals_removed = ?removed,
            "configuration reloaded{}",
            if auth_changed { "; [auth] changed, so browsers sign in again" } else { "" },
        );
        Ok(())
    }

    /// Reloads with `load` on every SIGHUP, for as long as the server runs. SIGHUP is caught from the moment this
    /// returns (its default action would end the process).
    pub fn on_hangup(self, load: Loader) -> std::io::Result<impl Future<Output = ()>> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        Ok(async move {
            while hangups.recv().await.is_some() {
                let result = load()
                    .map_err(ReloadError::from)
                    .and_then(|config| self.apply(config));
                if let Err(error) = result {
                    tracing::error!(
                        target: "webterm::audit",
                        event = "config.reload_refused",
                        "configuration reload refused, the old one stays: {error}"
                    );
                }
            }
        })
    }
}
