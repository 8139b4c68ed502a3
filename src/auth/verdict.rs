//! What authentication decides about a request: where its identity came from ([`Via`]), or why it is refused
//! ([`Denial`]).

use std::time::Duration;

/// Where an accepted identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// No authentication is configured.
    Nothing,
    /// A session cookie.
    Cookie,
    /// `?token=` in the page's URL: start a session and redirect to the URL without it.
    QueryToken,
    /// `Authorization: Bearer`.
    Bearer,
    /// `Authorization: Basic`: on a page load, start a session, so the page's WebSocket needs no password.
    Basic,
    /// A trusted proxy's user header.
    Proxy,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// No credentials came with it.
    Missing,
    /// Credentials came, and they are wrong.
    Wrong,
    /// This client address failed too often; it may try again after this long.
    TooManyFailures(Duration),
    /// `proxy` mode: the request did not come through a trusted proxy.
    NotFromProxy,
}
