//! `GET /ws`: the terminal. Checks the query, starts a PTY session and hands both ends to the pump.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tracing::Instrument;

use crate::auth::{Identity, Role};
use crate::client_limit::ClientLimit;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::protocol::{DEFAULT_SIZE, ServerMessage, Size};
use crate::pty::{Session, SpawnOptions};
use crate::shutdown::Shutdown;
use crate::{pump, ws};

/// The query of `/ws`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectQuery {
    cols: Option<u32>,
    rows: Option<u32>,
}

fn bad_request(reason: String) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .body(reason + "\n")
}

/// Upgrades to a WebSocket and attaches it to a new session running the configured command.
pub async fn connect(
    req: HttpRequest,
    payload: web::Payload,
    config: web::Data<Config>,
    clients: web::Data<ClientLimit>,
    metrics: web::Data<Metrics>,
    shutdown: web::Data<Shutdown>,
    identity: Identity,
) -> actix_web::Result<HttpResponse> {
    if shutdown.is_started() {
        return Ok(HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("webterm is shutting down\n"));
    }
    let query = match web::Query::<ConnectQuery>::from_query(req.query_string()) {
        Ok(query) => query.into_inner(),
        Err(error) => return Ok(bad_request(format!("bad query: {error}"))),
    };
    let size = match Size::new(
        query.cols.unwrap_or(DEFAULT_SIZE.cols.into()),
        query.rows.unwrap_or(DEFAULT_SIZE.rows.into()),
    ) {
        Ok(size) => size,
        Err(reason) => return Ok(bad_request(reason)),
    };
    let peer = req.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let Some(slot) = clients.acquire() else {
        tracing::warn!(%peer, max_clients = clients.max(), "refused a terminal: session.max_clients are open");
        return Ok(HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "webterm already has its maximum of {} terminals open (session.max_clients); try again later\n",
                clients.max()
            )));
    };
    let (response, out, inbox) = ws::accept(&req, payload, config.websocket.max_message_size)?;

    let options = SpawnOptions {
        command: config.session.command.clone(),
        size,
        term: config.session.term.clone(),
        kill_grace: config.session.kill_grace(),
    };
    match Session::spawn(&options) {
        Ok(session) => {
            let span = tracing::info_span!("connection", session = %session.id(), %peer, user = identity.user);
            let mut settings =
                pump::Settings::new(&config, metrics.into_inner(), (**shutdown).clone());
            // SECURITY: the server decides who types; a read-only client's input never reaches the program,
            // whatever its page does.
            settings.writable &= identity.role == Role::Write;
            let pump = async move {
                pump::run(session, out, inbox, settings).await;
                drop(slot);
            };
            actix_web::rt::spawn(shutdown.track(pump.instrument(span)));
        }
        Err(error) => {
            tracing::error!(%peer, %error, "could not start a session");
            actix_web::rt::spawn(async move {
                let mut out = out;
                let message = ServerMessage::Error {
                    message: error.to_string(),
                };
                let _ = out.text(message.to_json()).await;
                ws::close(out, 1011, "could not start the program").await;
            });
        }
    }
    Ok(response)
}
