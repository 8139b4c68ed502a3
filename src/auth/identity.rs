//! Who a request comes from once authenticated, and what they may do.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev, error};
use serde::{Deserialize, Serialize};

/// What a user or token may do in a terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees the output only; input and resizes are refused.
    Read,
    /// Types into the terminal.
    #[default]
    Write,
}

/// An authenticated client, put in the request's extensions by the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user's name: the basic or proxy user, `token`, `read-token`, or `anonymous` without authentication.
    pub user: String,
    /// What they may do.
    pub role: Role,
}

impl FromRequest for Identity {
    type Error = actix_web::Error;
    type Future = Ready<Result<Identity, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut dev::Payload) -> Self::Future {
        // SECURITY: fail closed. Only the gate inserts an identity; a route someone forgot to put behind it
        // answers 401 instead of serving an anonymous writer.
        ready(
            req.extensions()
                .get::<Identity>()
                .cloned()
                .ok_or_else(|| error::ErrorUnauthorized("not authenticated\n")),
        )
    }
}
