//! `/echo`, the diagnostics route: a WebSocket that echoes every message back, and a test page for a plain GET.

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{FutureExt, StreamExt};
use tracing::Instrument;

use super::terminal::{refuse_during_shutdown, take_place};
use crate::auth::Identity;
use crate::client_limit::ClientLimit;
use crate::config::Config;
use crate::live::Live;
use crate::shutdown::Shutdown;
use crate::ws::{self, CLOSE_TIMEOUT, Incoming, Outgoing};

/// Echoes messages on a WebSocket upgrade; serves the diagnostics page to a plain GET.
///
/// SECURITY: behind the gate like the terminal. An echo socket runs no program, but an open one on a server that
/// otherwise needs credentials would let anyone hold connections and memory (up to `max_message_size` each), and
/// the diagnostics page says which server this is. Whoever may open the terminal may open this. For the same
/// reason each echo socket takes a place among `session.max_clients`, like a terminal's: without it, one client
/// with credentials could open as many as it liked.
pub async fn echo(
    req: HttpRequest,
    payload: web::Payload,
    config: web::Data<Live<Config>>,
    clients: web::Data<ClientLimit>,
    shutdown: web::Data<Shutdown>,
    identity: Identity,
) -> Result<HttpResponse, actix_web::Error> {
    if !ws::wants_websocket(&req) {
        return Ok(crate::routes::assets::serve(&req, "echo.html"));
    }
    if let Some(refusal) = refuse_during_shutdown(&shutdown) {
        return Ok(refusal);
    }
    // A bad handshake gets its 400 before a place is taken (see `ws::Handshake`).
    let handshake = ws::handshake(&req)?;
    let peer = crate::auth::client_label(&req);
    let slot = match take_place(&clients, &identity, &peer) {
        Ok(slot) => slot,
        Err(refusal) => return Ok(refusal),
    };
    let (response, writer, reader) =
        handshake.accept(payload, config.get().websocket.max_message_size);
    // The place is given back when the echo ends; the shutdown waits for it like for a terminal.
    let echo = run(writer, reader, (**shutdown).clone()).map(move |()| drop(slot));
    actix_web::rt::spawn(shutdown.track(echo.instrument(tracing::info_span!("echo", %peer))));
    Ok(response)
}

/// Echoes until the client closes, breaks the protocol, or goes away, or the server shuts down.
async fn run(writer: ws::Writer, mut reader: ws::Reader, shutdown: Shutdown) {
    tracing::debug!("echo connection open");
    loop {
        let item = tokio::select! {
            item = reader.next() => item,
            _ = shutdown.started() => return going_away(writer, reader).await,
        };
        let reply = match item {
            Some(Ok(Incoming::Text(text))) => Outgoing::Text(text),
            Some(Ok(Incoming::Binary(bytes))) => Outgoing::Binary(bytes),
            Some(Ok(Incoming::Ping(bytes))) => Outgoing::Pong(bytes),
            Some(Ok(Incoming::Pong(_))) => continue,
            Some(Ok(Incoming::Close(frame))) => {
                tracing::debug!(code = frame.as_ref().map(|f| f.code), "client closed");
                let _ = writer.send(Outgoing::close_answering(frame.as_ref())).await;
                return;
            }
            Some(Err(violation)) => {
                tracing::debug!(%violation, "closing on a protocol violation");
                writer.close(violation.code, violation.reason).await;
                reader.until_closed().await;
                return;
            }
            None => {
                tracing::debug!("connection ended without a close frame");
                return;
            }
        };
        // A client that takes nothing holds this send up; the shutdown must not wait for it.
        let sent = tokio::select! {
            sent = writer.send(reply) => sent,
            _ = shutdown.started() => return going_away(writer, reader).await,
        };
        if sent.is_err() {
            tracing::debug!("connection gone while sending");
            return;
        }
    }
}

/// Tells the client the server is going away (1001) and waits a little for its close, as a terminal does.
async fn going_away(writer: ws::Writer, reader: ws::Reader) {
    tracing::debug!("closing for the shutdown");
    // A client that takes nothing gets no longer than the close timeout to make room for the close frame.
    let _ = tokio::time::timeout(
        CLOSE_TIMEOUT,
        writer.close(1001, "webterm is shutting down"),
    )
    .await;
    reader.until_closed().await;
}
