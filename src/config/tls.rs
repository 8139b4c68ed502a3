//! The `[tls]` table: certificate, key, and the CA that client certificates must chain to.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The `[tls]` table. TLS is on when `cert` and `key` are set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the server's certificate chain, leaf first.
    pub cert: Option<PathBuf>,
    /// PEM file with the server's private key.
    pub key: Option<PathBuf>,
    /// PEM file with the CA certificates that client certificates must chain to (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

impl TlsConfig {
    /// Whether the server speaks TLS.
    pub fn enabled(&self) -> bool {
        self.cert.is_some()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        match (&self.cert, &self.key) {
            (Some(_), None) | (None, Some(_)) => Err(ConfigError::Invalid(
                "tls.cert and tls.key go together: set both, or neither".into(),
            )),
            (None, None) if self.client_ca.is_some() => Err(ConfigError::Invalid(
                "tls.client_ca needs tls.cert and tls.key".into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse_text as parse;

    #[test]
    fn tls_keys_that_need_each_other_are_refused_alone() {
        // The files are read when the server starts, not here.
        let all = "[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\nclient_ca = \"ca.pem\"\n";
        assert!(parse(all).unwrap().tls.enabled());
        crate::config::assert_refused(
            "[tls]",
            [
                (
                    "cert = \"c.pem\"",
                    "tls.cert and tls.key go together: set both, or neither",
                ),
                (
                    "key = \"k.pem\"",
                    "tls.cert and tls.key go together: set both, or neither",
                ),
                (
                    "client_ca = \"ca.pem\"",
                    "tls.client_ca needs tls.cert and tls.key",
                ),
            ],
        );
    }
}
