//! What authentication decides about a request: who sent it and how they proved it ([`Accepted`], [`Via`]), or
//! why it is refused ([`Denial`]).

use std::time::Duration;

use super::Identity;
use super::sessions::Generation;

/// An accepted request.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Who sent it.
    pub identity: Identity,
    /// Where the identity came from.
    pub via: Via,
    /// The credentials it was checked against (see [`Generation`]), for the session a login starts.
    pub checked: Generation,
}

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
