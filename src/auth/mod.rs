//! Authentication: who may use the terminal (`token`, `basic`, `proxy` or `none`), and with which [`Role`].
//!
//! - `identity`: [`Role`] and [`Identity`], what the routes see.
//! - `client`: the address a request comes from, behind a trusted reverse proxy too.
//! - `secret`: random tokens and session ids, compared in constant time.
//! - `basic`, `proxy`: the two modes with users.
//! - `sessions`: the cookie a browser gets once its credentials were checked.
//! - `rate_limit`: failed attempts per client address.
//! - `password_checks`: how many argon2 checks run at once.
//! - `credentials`: where a request carries a token (`Authorization: Bearer`, `?token=`).
//! - `method`: how a server checks credentials, with the secrets of its mode.
//! - `authenticator`: all of the above for one server; `verdict`: what it decides ([`Via`], [`Denial`]);
//!   `gate`: the middleware that applies it.

mod authenticator;
pub mod basic;
mod client;
mod credentials;
mod gate;
mod identity;
mod method;
mod password_checks;
mod proxy;
mod rate_limit;
mod secret;
mod sessions;
mod verdict;

pub use authenticator::Authenticator;
pub use client::{Client, Peer, label as client_label};
pub use gate::{api_gate, gate};
pub use identity::{Identity, Role};
pub use proxy::{ProxyUser, TrustedProxies};
pub use rate_limit::{Attempt, RateLimiter};
pub use secret::Secret;
pub use sessions::Sessions;
pub use verdict::{Denial, Via};
