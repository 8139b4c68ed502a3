//! The `[http]` table: timeouts against slow clients, and what the browser is told about framing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The `[http]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Milliseconds a client has to send a whole request head; slower ones are dropped (slowloris).
    pub request_timeout_ms: u64,
    /// Seconds an idle keep-alive connection is kept open; 0 closes it after each response.
    pub keep_alive_secs: u64,
    /// The sources allowed to frame the pages (CSP `frame-ancestors`); empty means none may.
    pub frame_ancestors: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_timeout_ms: 5000,
            keep_alive_secs: 5,
            frame_ancestors: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// The time allowed for a request head.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// How long an idle keep-alive connection is kept.
    pub fn keep_alive(&self) -> Duration {
        Duration::from_secs(self.keep_alive_secs)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(100..=600_000).contains(&self.request_timeout_ms) {
            return Err(ConfigError::Invalid(format!(
                "http.request_timeout_ms must be between 100 and 600000, got {}",
                self.request_timeout_ms
            )));
        }
        if self.keep_alive_secs > 3600 {
            return Err(ConfigError::Invalid(format!(
                "http.keep_alive_secs must be at most 3600, got {}",
                self.keep_alive_secs
            )));
        }
        // SECURITY: each source goes into the Content-Security-Policy header as it is; a `;` or a space would let
        // a config value add directives of its own.
        let source_char = |c: char| c.is_ascii_alphanumeric() || ":/.*-_'".contains(c);
        if let Some(bad) = self
            .frame_ancestors
            .iter()
            .find(|s| s.is_empty() || !s.chars().all(source_char))
        {
            return Err(ConfigError::Invalid(format!(
                "http.frame_ancestors entry {bad:?} is not a CSP source like \"https://example.com\" or \"'self'\""
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse_text as parse;

    #[test]
    fn good_http_tables_are_accepted() {
        let text = "[http]\nrequest_timeout_ms = 100\nkeep_alive_secs = 3600\n\
                    frame_ancestors = [\"'self'\", \"https://*.example.com:8443\"]\n";
        assert_eq!(parse(text).unwrap().http.frame_ancestors.len(), 2);
        let text = "[http]\nrequest_timeout_ms = 600000\nkeep_alive_secs = 0\n";
        assert_eq!(parse(text).unwrap().http.request_timeout_ms, 600_000);
    }

    #[test]
    fn bad_http_tables_are_refused_with_the_key_and_the_value() {
        crate::config::assert_refused(
            "[http]",
            [
                (
                    "request_timeout_ms = 99",
                    "http.request_timeout_ms must be between 100 and 600000, got 99",
                ),
                (
                    "request_timeout_ms = 600001",
                    "http.request_timeout_ms must be between 100 and 600000, got 600001",
                ),
                (
                    "keep_alive_secs = 3601",
                    "http.keep_alive_secs must be at most 3600, got 3601",
                ),
                // SECURITY: each of these would add to the Content-Security-Policy header, or break it.
                (
                    "frame_ancestors = [\"'self'; script-src 'unsafe-inline'\"]",
                    "http.frame_ancestors entry \"'self'; script-src 'unsafe-inline'\" is not a CSP source",
                ),
                (
                    "frame_ancestors = [\"https://a.example https://b.example\"]",
                    "is not a CSP source",
                ),
                (
                    "frame_ancestors = [\"https://a.example\\r\\nSet-Cookie: x=1\"]",
                    "is not a CSP source",
                ),
                (
                    "frame_ancestors = [\"'self'\", \"\"]",
                    "http.frame_ancestors entry \"\" is not a CSP source",
                ),
            ],
        );
    }
}
