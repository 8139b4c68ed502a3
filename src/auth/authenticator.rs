//! The authenticator: from a request's cookie, header or `?token=` to an [`Identity`], or a reason to refuse.
//! `cookie`: the browser session cookie it sets and reads.

mod cookie;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header;

use super::basic;
use super::credentials::{bearer, query_token};
use super::method::Method;
use super::password_checks::PasswordChecks;
use super::proxy::ProxyUser;
use super::verdict::{Accepted, Denial, Via};
use super::{Client, Identity, Peer, RateLimiter, Role, Secret, Sessions};
use crate::config::{AuthConfig, AuthMode, Config, Listen};
use crate::live::Live;

/// Checks credentials for one server: its mode, its secrets, its sessions and its failure counts. A reload
/// (SIGHUP) may replace the mode and the secrets.
#[derive(Debug)]
pub struct Authenticator {
    method: Live<Method>,
    /// The `[auth]` table `method` was made from, to tell whether a reload changes it.
    config: Live<AuthConfig>,
    sessions: Sessions,
    limiter: Live<RateLimiter>,
    /// Not replaced by a reload, so that checks started before one count against the same room.
    password_checks: PasswordChecks,
    cookie_name: String,
    /// Whether webterm itself speaks TLS.
    tls: bool,
    /// Whether it listens on a Unix socket (whose connections come from the reverse proxy).
    unix_socket: bool,
}

/// What the credentials of a request turned out to be.
enum Checked {
    Right(Identity, Via),
    Wrong,
    Missing,
}

impl Checked {
    /// `Right` with `identity` if there is one, else `Wrong`.
    fn found(identity: Option<Identity>, via: Via) -> Checked {
        match identity {
            Some(identity) => Checked::Right(identity, via),
            None => Checked::Wrong,
        }
    }
}

impl Authenticator {
    /// The authenticator for `config`, on a server whose port is `port` (it names the cookie, so that two
    /// webterms on one host do not overwrite each other's sessions).
    pub fn new(config: &Config, port: u16) -> Authenticator {
        let auth = &config.auth;
        Authenticator {
            method: Live::new(Method::new(auth, None)),
            config: Live::new(auth.clone()),
            sessions: Sessions::default(),
            limiter: Live::new(RateLimiter::new(
                auth.max_failures,
                Duration::from_secs(auth.lockout_secs),
            )),
            password_checks: PasswordChecks::new(),
            cookie_name: format!("webterm_session_{port}"),
            tls: config.tls.enabled(),
            unix_socket: matches!(config.listen, Listen::Unix(_)),
        }
    }

    /// Whether taking `auth` would need a token generated now: `token` mode with `auth.token` unset while no
    /// token generated at start is in use (webterm started with a fixed token or another mode, or a reload since
    /// replaced the generated token). A reload must refuse it: see [`crate::reload::ReloadError::NoTokenToShow`].
    pub fn would_generate_a_token(&self, auth: &AuthConfig) -> bool {
        auth.mode == AuthMode::Token && auth.token.is_none() && self.url_token().is_none()
    }

    /// Takes a reloaded `[auth]` table. When it changed, every browser login (cookie) ends, so that a removed
    /// user or a replaced token stops working at once; live terminal sessions go on. A token generated at start
    /// stays the same while `auth.token` stays unset; check [`Authenticator::would_generate_a_token`] first, since
    /// a token generated here would be shown to nobody. Returns whether anything changed.
    pub fn reload(&self, auth: &AuthConfig) -> bool {
        if *self.config.get() == *auth {
            return false;
        }
        let generated = match &*self.method.get() {
            Method::Token {
                write,
                generated: true,
                ..
            } => Some(write.expose().to_owned()),
            _ => None,
        };
        self.method.set(Method::new(auth, generated));
        self.limiter.set(RateLimiter::new(
            auth.max_failures,
            Duration::from_secs(auth.lockout_secs),
        ));
        self.config.set(auth.clone());
        self.sessions.clear();
        true
    }

    /// The token to show in the `listening on` URL: the generated one. A configured token is not shown; whoever
    /// configured it knows it.
    pub fn url_token(&self) -> Option<String> {
        match &*self.method.get() {
            Method::Token {
                write,
                generated: true,
                ..
            } => Some(write.expose().to_owned()),
            _ => None,
        }
    }

    /// The `WWW-Authenticate` challenge for a 401, if the mode has one.
    pub fn challenge(&self) -> Option<&'static str> {
        match *self.method.get() {
            Method::Token { .. } => Some("Bearer realm=\"webterm\""),
            Method::Basic(_) => Some("Basic realm=\"webterm\", charset=\"UTF-8\""),
            Method::None | Method::Proxy(_) => None,
        }
    }

    /// What a client is told on a 401, so that a person knows what to do.
    pub fn how_to_authenticate(&self) -> &'static str {
        match *self.method.get() {
            Method::Token {
                generated: true, ..
            } => {
                "Open the URL that webterm printed when it started (it ends in ?token=...). If you just did, from a \
                 link on another site, reload this page."
            }
            Method::Token { .. } => {
                "Add ?token=YOUR_TOKEN to the URL, or send Authorization: Bearer YOUR_TOKEN."
            }
            Method::Basic(_) => "Sign in with your webterm user name and password.",
            Method::Proxy(_) => "Sign in through the reverse proxy in front of webterm.",
            Method::None => "",
        }
    }

    /// Where `req` comes from: its peer, or the client a trusted proxy names (`auth.trusted_proxies`).
    pub fn client(&self, req: &HttpRequest) -> Client {
        let peer = if self.unix_socket {
            Peer::UnixSocket
        } else {
            req.peer_addr()
                .map_or(Peer::Unknown, |addr| Peer::Tcp(addr.ip()))
        };
        Client::new(
            peer,
            req.headers(),
            &self.config.get().trusted_proxies,
            self.tls,
        )
    }

    /// Who sent `req`, or why it is refused. `page` is true for a page load, the only place where `?token=` is
    /// read. Failures are counted against `client`'s address.
    pub async fn authenticate(
        &self,
        req: &HttpRequest,
        client: Client,
        page: bool,
    ) -> Result<Accepted, Denial> {
        // SECURITY: read before the credentials are: a reload that replaces them afterwards clears the session
        // table, and then this login starts no session (see `start_session`).
        let checked = self.sessions.generation();
        let (identity, via) = self.identify(req, client, page).await?;
        Ok(Accepted {
            identity,
            via,
            checked,
        })
    }

    /// [`Authenticator::authenticate`], without the generation.
    async fn identify(
        &self,
        req: &HttpRequest,
        client: Client,
        page: bool,
    ) -> Result<(Identity, Via), Denial> {
        // The method as it is now: a reload during this request does not change how it is checked.
        let method = self.method.get();
        match &*method {
            Method::None => {
                return Ok((
                    Identity {
                        user: "anonymous".into(),
                        role: Role::Write,
                    },
                    Via::Nothing,
                ));
            }
            Method::Proxy(proxies) => {
                return match proxies.user(&client, req.headers()) {
                    ProxyUser::User(identity) => Ok((identity, Via::Proxy)),
                    ProxyUser::Missing => Err(Denial::Missing),
                    ProxyUser::Untrusted => Err(Denial::NotFromProxy),
                };
            }
            Method::Token { .. } | Method::Basic(_) => {}
        }
        let query_token = if page {
            query_token(req.query_string())
        } else {
            None
        };
        if query_token.is_none() {
            if let Some(identity) = self.cookie_identity(req, &client) {
                return Ok((identity, Via::Cookie));
            }
        }
        // SECURITY: a client over its failure allowance is refused before its credentials are looked at, so that
        // guessing goes no faster than the allowance, right or wrong. The attempt counts against the allowance
        // from here until it is decided, so that attempts sent in parallel cannot all be checked before the first
        // of them is counted as a failure.
        let attempt = self
            .limiter
            .get()
            .reserve(client.address)
            .map_err(Denial::TooManyFailures)?;
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match self
            .check_credentials(&method, query_token, authorization)
            .await
        {
            Checked::Right(identity, via) => {
                attempt.give_back();
                Ok((identity, via))
            }
            Checked::Missing => {
                attempt.give_back();
                Err(Denial::Missing)
            }
            Checked::Wrong => {
                if attempt.failed() {
                    // SECURITY: the address and the count only; never what was tried.
                    tracing::warn!(target: "webterm::audit", event = "login.locked_out", client = %client.address, "too many failed attempts; refusing this address for a while");
                }
                Err(Denial::Wrong)
            }
        }
    }

    /// What the credentials of a request are worth: the query token (`Some` only on a page), else the
    /// `Authorization` header.
    async fn check_credentials(
        &self,
        method: &Method,
        query_token: Option<Option<String>>,
        authorization: Option<&str>,
    ) -> Checked {
        match (method, query_token, authorization) {
            (Method::Token { write, read, .. }, Some(candidate), _) => Checked::found(
                self.token_identity(write, read.as_ref(), candidate.as_deref()),
                Via::QueryToken,
            ),
            (Method::Token { write, read, .. }, None, Some(value)) => match bearer(value) {
                Some(candidate) => Checked::found(
                    self.token_identity(write, read.as_ref(), Some(candidate)),
                    Via::Bearer,
                ),
                None => Checked::Missing,
            },
            (Method::Basic(users), _, Some(value)) => match basic::parse_header(value) {
                Some((user, password)) => {
                    let users = Arc::clone(users);
                    let name = user.clone();
                    // argon2 takes tens of milliseconds of CPU and 19 MiB: off the async worker, and no more
                    // checks at once than the server has cores.
                    let role = self
                        .password_checks
                        .run(move || users.check(&user, &password))
                        .await
                        .flatten();
                    Checked::found(role.map(|role| Identity { user: name, role }), Via::Basic)
                }
                None => Checked::Missing,
            },
            _ => Checked::Missing,
        }
    }

    fn token_identity(
        &self,
        write: &Secret,
        read: Option<&Secret>,
        candidate: Option<&str>,
    ) -> Option<Identity> {
        let candidate = candidate?;
        // SECURITY: both comparisons always run, so timing does not tell a read token from a write token.
        let is_write = write.matches(candidate);
        let is_read = read.is_some_and(|read| read.matches(candidate));
        match (is_write, is_read) {
            (true, _) => Some(Identity {
                user: "token".into(),
                role: Role::Write,
            }),
            (false, true) => Some(Identity {
                user: "read-token".into(),
                role: Role::Read,
            }),
            (false, false) => None,
        }
    }
}
