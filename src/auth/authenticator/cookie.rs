//! The browser session cookie: what a login sets, and how a request's cookie is read.

use actix_web::HttpRequest;
use actix_web::http::header;

use super::Authenticator;
use crate::auth::verdict::Accepted;
use crate::auth::{Client, Identity};

impl Authenticator {
    /// Starts a session for the `accepted` login of `client`; returns the `Set-Cookie` value, or None when the
    /// credentials it was checked against were replaced meanwhile (a reload).
    pub fn start_session(&self, accepted: Accepted, client: &Client) -> Option<String> {
        let id = self.sessions.start(accepted.identity, accepted.checked)?;
        // SECURITY: HttpOnly keeps the id from scripts (an XSS cannot steal it); SameSite=Strict keeps other sites
        // from making the browser send it (CSRF, cross-site WebSocket hijacking); Secure keeps it off plain HTTP
        // when the page is https (webterm's own TLS, or a trusted proxy's `X-Forwarded-Proto: https`).
        let https = client.https == Some(true);
        let secure = if https { "; Secure" } else { "" };
        Some(format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict{secure}",
            self.cookie_name(https),
            id.expose()
        ))
    }

    /// The session cookie's name, on an https page or not. SECURITY: on https, with the `__Host-` prefix, which
    /// browsers accept only from this very host, with `Secure` and `Path=/`: a sibling subdomain (or a page injected
    /// into plain HTTP) cannot plant a cookie of that name to sign the user in as someone else.
    fn cookie_name(&self, https: bool) -> String {
        if https {
            format!("__Host-{}", self.cookie_name)
        } else {
            self.cookie_name.clone()
        }
    }

    /// Who `req`'s session cookie signs in, if anyone.
    pub(super) fn cookie_identity(&self, req: &HttpRequest, client: &Client) -> Option<Identity> {
        // SECURITY: the `__Host-` cookie is read first and always, as only this host's https answers can set it: a
        // request that reaches webterm without `X-Forwarded-Proto` (a proxy location that forgot it) still signs in.
        // The plain one is read only where the page is not known to be https, and there also when the `__Host-` one
        // names no live session (left from when webterm or its proxy spoke TLS: it would lock the user out).
        let secure = self.session_of(req, &self.cookie_name(true));
        if secure.is_some() || client.https == Some(true) {
            return secure;
        }
        self.session_of(req, &self.cookie_name(false))
    }

    /// Who the one cookie named `name` that `req` carries signs in, if anyone.
    fn session_of(&self, req: &HttpRequest, name: &str) -> Option<Identity> {
        only(self.cookie_values(req, name)).and_then(|id| self.sessions.get(&id))
    }

    /// The values of the cookies named `name` that `req` carries.
    fn cookie_values(&self, req: &HttpRequest, name: &str) -> Vec<String> {
        req.headers()
            .get_all(header::COOKIE)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(found, _)| *found == name)
            .map(|(_, value)| value.trim().to_owned())
            .collect()
    }
}

/// The one value of `values`. SECURITY: two cookies of one name mean someone else planted one (a sibling subdomain
/// can, on plain HTTP); which one is the user's cannot be told, so neither is believed.
fn only(mut values: Vec<String>) -> Option<String> {
    (values.len() == 1).then(|| values.remove(0))
}
