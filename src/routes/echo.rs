//! `/echo`, the diagnostics route: a WebSocket that echoes every message back, and a test page for a plain GET.

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use tracing::Instrument;

use crate::config::Config;
use crate::live::Live;
use crate::ws::{self, Incoming, Outgoing};

/// Echoes messages on a WebSocket upgrade; serves the diagnostics page to a plain GET.
///
/// SECURITY: behind the gate like the terminal. An echo socket runs no program, but an open one on a server that
/// otherwise needs credentials would let anyone hold connections and memory (up to `max_message_size` each), and
/// the diagnostics page says which server this is. Whoever may open the terminal may open this.
pub async fn echo(
    req: HttpRequest,
    payload: web::Payload,
    config: web::Data<Live<Config>>,
) -> Result<HttpResponse, actix_web::Error> {
    if !ws::wants_websocket(&req) {
        return Ok(crate::routes::assets::serve(&req, "echo.html"));
    }
    let (response, writer, reader) =
        ws::accept(&req, payload, config.get().websocket.max_message_size)?;
    let peer = req
        .peer_addr()
        .map(|addr| addr.to_string())
        .unwrap_or_default();
    actix_web::rt::spawn(run(writer, reader).instrument(tracing::info_span!("echo", %peer)));
    Ok(response)
}

/// Echoes until the client closes, breaks the protocol, or goes away.
async fn run(writer: ws::Writer, mut reader: ws::Reader) {
    tracing::debug!("echo connection open");
    while let Some(item) = reader.next().await {
        let sent = match item {
            Ok(Incoming::Text(text)) => writer.send(Outgoing::Text(text)).await,
            Ok(Incoming::Binary(bytes)) => writer.send(Outgoing::Binary(bytes)).await,
            Ok(Incoming::Ping(bytes)) => writer.send(Outgoing::Pong(bytes)).await,
            Ok(Incoming::Pong(_)) => Ok(()),
            Ok(Incoming::Close(frame)) => {
                tracing::debug!(code = frame.as_ref().map(|f| f.code), "client closed");
                let _ = writer.send(Outgoing::close_answering(frame.as_ref())).await;
                return;
            }
            Err(violation) => {
                tracing::debug!(%violation, "closing on a protocol violation");
                writer.close(violation.code, violation.reason).await;
                reader.until_closed().await;
                return;
            }
        };
        if sent.is_err() {
            tracing::debug!("connection gone while sending");
            return;
        }
    }
    tracing::debug!("connection ended without a close frame");
}
