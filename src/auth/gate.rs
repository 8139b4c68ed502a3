//! The gate: the middleware in front of every route that needs a user. [`gate`] guards the pages and their
//! sockets (`/`, `/ws`, `/echo`, `/replay`), [`api_gate`] the routes that tools call (`/metrics`, `/api/sessions`).
//!
//! In order: the `Origin` of a WebSocket upgrade, the `Host` when nobody authenticates, then the credentials.
//! An accepted request carries its [`Identity`] in its extensions for the handler.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};

use super::Authenticator;
use super::credentials::query_without_token;
use super::verdict::{Denial, Via};
use crate::config::{AuthMode, Config};
use crate::live::Live;
use crate::origin;

/// Lets a request for a page or its socket through to its handler only with a valid identity; see the module
/// docs. A page load may trade `?token=` or a password for a session cookie.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    check(req, next, true).await
}

/// Lets a request for the API through to its handler only with a valid identity, like [`gate`], but never
/// starts a session: `?token=` is not read, and a password is checked for this request only.
pub async fn api_gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    check(req, next, false).await
}

/// The gate; `pages` is true on the routes of pages and their sockets.
async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    pages: bool,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let config = req
        .app_data::<web::Data<Live<Config>>>()
        .expect("the server registers the config")
        .get();
    let auth = req
        .app_data::<web::Data<Authenticator>>()
        .expect("the server registers the authenticator")
        .clone();
    let upgrade = crate::ws::wants_websocket(req.request());
    // SECURITY: only a page that a browser loads starts a session (from `?token=` or a password). Tools such as
    // a Prometheus scraper send their credentials with every request and never send the cookie back, so a
    // session for each of their requests would only push browsers' sessions out of the table.
    let page = pages && !upgrade;
    let from = auth.client(req.request());
    // The routes log the client too (behind a proxy, the client's address, not the proxy's).
    req.extensions_mut().insert(from);
    let client = from.address;

    if upgrade {
        if let Err(refusal) =
            origin::check_upgrade(req.request(), &config.websocket.allowed_origins, from.https)
        {
            tracing::warn!(?client, path = req.path(), "{refusal}");
            return Ok(req.into_response(plain(StatusCode::FORBIDDEN, &refusal.to_string())));
        }
    }
    if config.auth.mode == AuthMode::None {
        if let Err(refusal) = origin::check_loopback_host(req.request()) {
            tracing::warn!(?client, "{refusal}");
            return Ok(req.into_response(plain(StatusCode::FORBIDDEN, &refusal.to_string())));
        }
    }

    let accepted = match auth.authenticate(req.request(), from, page).await {
        Ok(accepted) => accepted,
        Err(denial) => {
            let response = refuse(&auth, denial);
            if denial == Denial::Wrong {
                if let Some(metrics) = req.app_data::<web::Data<crate::metrics::Metrics>>() {
                    metrics.auth_failure();
                }
            }
            // SECURITY: what was refused and from where; never the credentials that were tried.
            match denial {
                Denial::Wrong => tracing::warn!(
                    target: "webterm::audit",
                    event = "login.failed",
                    ?client,
                    path = req.path(),
                    "authentication failed: wrong credentials"
                ),
                Denial::Missing => {}
                _ => tracing::debug!(
                    ?client,
                    path = req.path(),
                    ?denial,
                    "authentication refused"
                ),
            }
            return Ok(req.into_response(response));
        }
    };

    let identity = accepted.identity.clone();
    let via = accepted.via;
    let starts_session = via == Via::QueryToken || (via == Via::Basic && page);
    let cookie = match starts_session.then(|| auth.start_session(accepted, &from)) {
        Some(Some(cookie)) => Some(cookie),
        Some(None) => {
            // The credentials changed (a reload) while these were checked: they may be gone now.
            tracing::info!(
                ?client,
                user = identity.user,
                "login checked against replaced credentials; asked again"
            );
            return Ok(req.into_response(refuse(&auth, Denial::Missing)));
        }
        None => None,
    };

    match (via, cookie) {
        (Via::QueryToken, Some(cookie)) => {
            // The token leaves the address bar (and the history, and any Referer) at once: the browser keeps the
            // session cookie instead and loads the same page without `?token=`.
            tracing::info!(target: "webterm::audit", event = "login", ?client, user = identity.user, role = ?identity.role, "session started from the URL token");
            let page = req.match_pattern().unwrap_or_default();
            // Relative, so that it stays under the prefix a reverse proxy may serve webterm at.
            let mut location = match page.rsplit('/').next() {
                Some("") | None => "./".to_owned(),
                Some(last) => last.to_owned(),
            };
            let rest = query_without_token(req.query_string());
            if !rest.is_empty() {
                location = format!("{location}?{rest}");
            }
            let response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .insert_header((header::SET_COOKIE, cookie))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
            return Ok(req.into_response(response));
        }
        (Via::Basic, Some(cookie)) => {
            tracing::info!(target: "webterm::audit", event = "login", ?client, user = identity.user, role = ?identity.role, "session started from a password");
            req.extensions_mut().insert(identity);
            let mut response = next.call(req).await?.map_into_boxed_body();
            let headers = response.headers_mut();
            headers.insert(
                header::SET_COOKIE,
                header::HeaderValue::from_str(&cookie).expect("a cookie is ASCII"),
            );
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            return Ok(response);
        }
        _ => {
            tracing::debug!(?client, user = identity.user, role = ?identity.role, ?via, "authenticated")
        }
    }
    req.extensions_mut().insert(identity);
    let mut response = next.call(req).await?.map_into_boxed_body();
    if !upgrade {
        // SECURITY: what is behind the gate is for this user only; no cache may keep it.
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(response)
}

/// The answer to a refused request.
fn refuse(auth: &Authenticator, denial: Denial) -> HttpResponse {
    match denial {
        Denial::Missing | Denial::Wrong => {
            let reason = if denial == Denial::Wrong {
                "Wrong credentials."
            } else {
                "This terminal needs authentication."
            };
            let mut response = plain(
                StatusCode::UNAUTHORIZED,
                &format!("{reason} {}", auth.how_to_authenticate()),
            );
            if let Some(challenge) = auth.challenge() {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static(challenge),
                );
            }
            response
        }
        Denial::TooManyFailures(retry_after) => {
            let secs = retry_after.as_secs_f64().ceil() as u64;
            let mut response = plain(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed attempts from your address; try again in {secs} seconds."
                ),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            response
        }
        Denial::NotFromProxy => plain(
            StatusCode::FORBIDDEN,
            "This server accepts users only through its reverse proxy; connect through the proxy.",
        ),
    }
}

fn plain(status: StatusCode, text: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("{text}\n"))
}
