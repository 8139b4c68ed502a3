//! `GET /api/sessions` and `DELETE /api/sessions/{id}`: list the live sessions and end one. Admins only.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::auth::{Client, Identity};
use crate::config::Config;
use crate::live::Live;
use crate::origin;
use crate::sessions::Sessions;

/// 403 unless `identity` is an admin and the request comes from this server's own pages (or no browser).
fn refuse(req: &HttpRequest, config: &Config, identity: &Identity) -> Option<HttpResponse> {
    // SECURITY: a page on another site must not drive the API with the user's cookie; the cookie is
    // SameSite=Strict already, and a foreign Origin is refused as on WebSocket upgrades.
    let https = req.extensions().get::<Client>().and_then(|c| c.https);
    let reason = if let Err(refusal) =
        origin::check_upgrade(req, &config.websocket.allowed_origins, https)
    {
        refusal.to_string()
    } else if !config.auth.is_admin(identity) {
        format!(
            "{} may not manage sessions: only auth.admins may (and the auth.token holder)",
            identity.user
        )
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
    if let Some(refusal) = refuse(&req, &config.get(), &identity) {
        return refusal;
    }
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(sessions.list())
}

/// Ends one session: its clients are told, its processes hung up. 204, or 404 when there is no such session.
pub async fn end(
    req: HttpRequest,
    id: web::Path<String>,
    config: web::Data<Live<Config>>,
    sessions: web::Data<Sessions>,
    identity: Identity,
) -> HttpResponse {
    if let Some(refusal) = refuse(&req, &config.get(), &identity) {
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
