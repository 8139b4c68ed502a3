//! [`Method`]: how a server checks credentials, with the secrets of its configured mode.

use std::sync::Arc;

use super::Secret;
use super::basic::Users;
use super::proxy::TrustedProxies;
use crate::config::{AuthConfig, AuthMode};

/// How credentials are checked, with the secrets of the configured mode.
#[derive(Debug)]
pub(super) enum Method {
    None,
    Token {
        write: Secret,
        read: Option<Secret>,
        generated: bool,
    },
    Basic(Arc<Users>),
    Proxy(TrustedProxies),
}

impl Method {
    /// The method of `auth`; `generated` is the token generated at start, kept when `auth.token` is unset.
    pub(super) fn new(auth: &AuthConfig, generated: Option<String>) -> Method {
        match auth.mode {
            AuthMode::None => Method::None,
            AuthMode::Token => Method::Token {
                write: match (&auth.token, generated) {
                    (Some(token), _) => Secret::new(token.clone()),
                    (None, Some(token)) => Secret::new(token),
                    (None, None) => Secret::random(),
                },
                read: auth.read_token.clone().map(Secret::new),
                generated: auth.token.is_none(),
            },
            AuthMode::Basic => Method::Basic(Arc::new(Users::new(auth.users.clone()))),
            AuthMode::Proxy => Method::Proxy(TrustedProxies::new(
                &auth.user_header,
                auth.read_only_users.clone(),
            )),
        }
    }
}
