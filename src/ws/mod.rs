//! WebSocket connections: actix-ws does the handshake; our own strict decoder reads the frames, our own writer sends
//! them, and our own transport moves the connection's bytes once it is upgraded.
//!
//! actix-ws's `MessageStream` buffers a whole frame before it checks its size (a client announcing a 1 GiB frame makes
//! the server buffer it), and does not check reserved bits, fragmented control frames, close codes or UTF-8 across
//! fragments. So we read the request body with [`Decoder`]. Its sending half queues up to 32 messages and copies
//! each one; [`Writer`] queues four and does not (see `writer`). actix-http's dispatcher kept two 8 KiB buffers
//! for every connection; after the handshake, [`transport`] moves the bytes instead, with none.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use actix_web::http::{StatusCode, Version, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev, error, web};
use bytes::BytesMut;
use futures_util::{FutureExt, Stream, StreamExt};

mod frame;
pub mod transport;
mod writer;

pub use frame::{CloseFrame, Decoder, Incoming, Skip, Violation};
pub use writer::{Gone, Outgoing, Writer};

/// How long a client gets to take the last messages and answer our close frame before the connection is dropped.
pub const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether the request asks for a WebSocket (`Upgrade: websocket`, in any case, possibly in a list).
pub fn wants_websocket(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::UPGRADE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim().eq_ignore_ascii_case("websocket"))
}

/// Why actix-http did not hand `req` to [`transport::upgrade`], as the answer to the client.
///
/// actix-http hands over an HTTP/1 request that has a header `Upgrade: websocket` (that value alone) and no
/// `Transfer-Encoding: chunked`; anything else reaches the route as an ordinary request.
fn not_handed_over(req: &HttpRequest) -> &'static str {
    if req.version() >= Version::HTTP_2 {
        "WebSockets need HTTP/1.1 here: this server does not take them over HTTP/2; send the handshake over \
         HTTP/1.1"
    } else if !wants_websocket(req) {
        "this address only speaks WebSocket: send a GET with Upgrade: websocket and Connection: Upgrade"
    } else if !req
        .headers()
        .get_all(header::UPGRADE)
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.trim().eq_ignore_ascii_case("websocket"))
    {
        "ask for the WebSocket alone: send Upgrade: websocket, not in a list with other protocols"
    } else {
        // What is left is a body: with `Transfer-Encoding: chunked` actix-http reads what follows the head as
        // the request's body, so WebSocket frames would be read as chunks.
        "a WebSocket handshake has no body: send it without Transfer-Encoding"
    }
}

/// A request checked to be a WebSocket handshake this server takes, with its `101` answer ready. Nothing is
/// upgraded until [`Handshake::accept`]: a route checks the handshake first, so that a request that is none
/// gets its `4xx` before the route takes a place among its limits (and not a `503` when they are full).
pub struct Handshake {
    response: HttpResponse,
}

/// Checks that `req` is a WebSocket handshake this server takes.
///
/// Refuses (400, with the reason) a request that actix-http did not hand to [`transport::upgrade`], since its
/// connection's bytes are not ours to move: see [`not_handed_over`]; a version other than 13 gets 426, and a
/// handshake actix-ws finds wrong (no `Sec-WebSocket-Key`, say) its status with what to send instead.
pub fn handshake(req: &HttpRequest) -> Result<Handshake, actix_web::Error> {
    if !transport::handed_over(req) {
        return Err(error::ErrorBadRequest(not_handed_over(req)));
    }
    // RFC 6455 4.4: a version the server does not speak gets an error and the version it does speak. actix-http
    // would take drafts 7 and 8 as well, and answer any other version with a bare 400.
    if let Some(version) = req
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .filter(|version| version.as_bytes() != b"13")
    {
        let response = HttpResponse::build(StatusCode::UPGRADE_REQUIRED)
            .insert_header((header::SEC_WEBSOCKET_VERSION, "13"))
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "WebSocket version {:?} is not spoken here: send Sec-WebSocket-Version: 13\n",
                String::from_utf8_lossy(version.as_bytes())
            ));
        return Err(
            error::InternalError::from_response("unsupported WebSocket version", response).into(),
        );
    }
    // actix-ws checks the handshake and makes the 101 response. It wants the request body for its own reader, so
    // it gets an empty one; its reader and sender are dropped, and the response gets our body in `accept`.
    let empty = <web::Payload as FromRequest>::from_request(req, &mut dev::Payload::None)
        .now_or_never()
        .ok_or_else(|| error::ErrorInternalServerError("payload extractor was not ready"))??;
    let (response, _, _) = actix_ws::handle(req, empty).map_err(|refusal| {
        // actix-ws answers with the status alone; the client is told what to send instead.
        let response = HttpResponse::build(refusal.error_response().status())
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "not a WebSocket handshake ({refusal}): send a GET with Connection: Upgrade, Upgrade: websocket, \
                 Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key\n"
            ));
        actix_web::Error::from(error::InternalError::from_response(
            "bad WebSocket handshake",
            response,
        ))
    })?;
    Ok(Handshake { response })
}

impl Handshake {
    /// Upgrades: returns the 101 response to return from the handler, our writer, and our reader of `payload`
    /// (the request's body, which is the connection once upgraded).
    pub fn accept(
        self,
        payload: web::Payload,
        max_message_size: usize,
    ) -> (HttpResponse, Writer, Reader) {
        let (writer, body) = writer::channel();
        let response = self.response.set_body(body).map_into_boxed_body();
        (response, writer, Reader::new(payload, max_message_size))
    }
}

/// The reading half of a WebSocket connection: a stream of messages from the client.
///
/// Yields `Err` once on a protocol violation (send a close with its code). After that it drops what the client
/// sends until its close frame, then yields None; it yields None as well when the connection ended (the transport
/// ends the request body then). It holds at most the message being received (up to the limit) plus one read of
/// the socket.
pub struct Reader {
    payload: web::Payload,
    buf: BytesMut,
    decoder: Decoder,
    state: ReadState,
}

/// What the [`Reader`] does with the bytes it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Decoding,
    /// After a violation: dropping frames until the client's close frame (or, once the frames cannot be followed,
    /// dropping bytes until the connection ends: `Decoder::skip` does both).
    Skipping,
    Done,
}

impl Reader {
    fn new(payload: web::Payload, max_message_size: usize) -> Self {
        Self {
            payload,
            buf: BytesMut::new(),
            decoder: Decoder::new(max_message_size),
            state: ReadState::Decoding,
        }
    }

    /// After our close frame: reads and drops the client's frames until its close frame, the end of the
    /// connection or [`CLOSE_TIMEOUT`], so that the connection ends without frames left unread (see
    /// [`Handshake::accept`]).
    pub async fn until_closed(mut self) {
        let closed = async {
            while let Some(incoming) = self.next().await {
                if let Ok(Incoming::Close(_)) = incoming {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, closed).await;
    }
}

impl Stream for Reader {
    type Item = Result<Incoming, Violation>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.state {
                ReadState::Done => return Poll::Ready(None),
                ReadState::Decoding => match this.decoder.decode(&mut this.buf) {
                    Ok(Some(item)) => return Poll::Ready(Some(Ok(item))),
                    Ok(None) => {}
                    Err(violation) => {
                        this.state = ReadState::Skipping;
                        return Poll::Ready(Some(Err(violation)));
                    }
                },
                ReadState::Skipping => {
                    if this.decoder.skip(&mut this.buf) == Skip::Closed {
                        this.state = ReadState::Done;
                        return Poll::Ready(None);
                    }
                }
            }
            // Read only when the decoder needs more: the socket's backpressure then holds the client back.
            match Pin::new(&mut this.payload).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.buf.extend_from_slice(&chunk),
                Poll::Ready(Some(Err(err))) => {
                    tracing::debug!(error = %err, "websocket read failed; treating it as a disconnect");
                    this.state = ReadState::Done;
                }
                Poll::Ready(None) => this.state = ReadState::Done,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::Version;
    use actix_web::test::TestRequest;

    use super::not_handed_over;

    /// A GET with `headers`, over `version`.
    fn request(version: Version, headers: &[(&str, &str)]) -> actix_web::HttpRequest {
        let mut request = TestRequest::get().uri("/ws").version(version);
        for &header in headers {
            request = request.append_header(header);
        }
        request.to_http_request()
    }

    #[test]
    fn a_request_that_was_not_handed_over_is_told_what_to_change() {
        let upgrade = |value| [("connection", "Upgrade"), ("upgrade", value)];
        for (version, headers, reason) in [
            (Version::HTTP_2, &[][..], "does not take them over HTTP/2"),
            (Version::HTTP_11, &[][..], "only speaks WebSocket"),
            (
                Version::HTTP_11,
                &upgrade("h2c")[..],
                "only speaks WebSocket",
            ),
            (
                Version::HTTP_11,
                &upgrade("websocket, h2c")[..],
                "not in a list",
            ),
            (
                Version::HTTP_11,
                &[("upgrade", "websocket"), ("transfer-encoding", "chunked")][..],
                "without Transfer-Encoding",
            ),
        ] {
            let why = not_handed_over(&request(version, headers));
            assert!(why.contains(reason), "{version:?} {headers:?}: {why}");
        }
    }
}
