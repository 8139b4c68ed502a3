//! `GET /api/sessions` and `DELETE /api/sessions/{id}`: list the live sessions and end one. An admin lists and
//! ends every session; any other user who may type lists their own (the page's "Sessions" panel).

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::auth::{Client, Identity, Role};
use crate::config::Config;
use crate::live::Live;
use crate::origin;
use crate::sessions::Sessions;

/// Who may list sessions: an admin all of them, another user who may type their own.
fn lister(config: &Config, identity: &Identity) -> Option<Lister> {
    if config.auth.is_admin(identity) {
        Some(Lister::Admin)
    } else if identity.role == Role::Write {
        Some(Lister::Owner)
    } else {
        None
    }
}

enum Lister {
    Admin,
    Owner,
}

/// 403 unless `may` (the user's right) holds and the request comes from this server's own pages (or no browser);
/// `what` says what they may not.
fn refuse(
    req: &HttpRequest,
    config: &Config,
    identity: &Identity,
    may: bool,
    what: &str,
) -> Option<HttpResponse> {
    // SECURITY: a page on another site must not drive the API with the user's cookie; the cookie is
    // SameSite=Strict already, and a foreign Origin is refused as on WebSocket upgrades.
    let https = req.extensions().get::<Client>().and_then(|c| c.https);
    let reason = if let Err(refusal) =
        origin::check_upgrade(req, &config.websocket.allowed_origins, https)
    {
        refusal.to_string()
    } else if !may {
        format!("{} may not {what}", identity.user)
    } else {
        return None;
    };
    tracing::warn!(target: "webterm::audit", event = "api.refused", user = identity.user, path = req.path(), reason);
    Some(
        HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body(reason + "\n"),
    )
}

/// The live sessions, oldest first, as a JSON array.
pub async fn list(
    req: HttpRequest,
    config: web::Data<Live<Config>>,
    sessions: web::Data<Sessions>,
    identity: Identity,
) -> HttpResponse {
    let config = config.get();
    let lister = lister(&config, &identity);
    let what = "manage sessions: a read-only client lists none";
    if let Some(refusal) = refuse(&req, &config, &identity, lister.is_some(), what) {
        return refusal;
    }
    let mut listed = sessions.list();
    // SECURITY: another user's session ids are theirs to share: a user who is not an admin sees only their own.
    if let Some(Lister::Owner) = lister {
        listed.retain(|session| session.owner == identity.user);
    }
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(listed)
}

/// Ends one session: its clients are told, its processes hung up. 204, or 404 when there is no such session.
pub async fn end(
    req: HttpRequest,
    id: web::Path<String>,
    config: web::Data<Live<Config>>,
    sessions: web::Data<Sessions>,
    identity: Identity,
) -> HttpResponse {
    let config = config.get();
    let admin = config.auth.is_admin(&identity);
    let what = "manage sessions: only auth.admins may (and the auth.token holder)";
    if let Some(refusal) = refuse(&req, &config, &identity, admin, what) {
        return refusal;
    }
    if sessions.end(&id) {
        tracing::info!(target: "webterm::audit", event = "session.delete", session = %id, user = identity.user);
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!("no session {id}\n"))
    }
}
