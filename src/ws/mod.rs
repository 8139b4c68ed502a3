//! WebSocket connections: actix-ws does the handshake and sending, our own strict decoder does the reading.
//!
//! actix-ws's `MessageStream` buffers a whole frame before it checks its size (a client announcing a 1 GiB frame makes
//! the server buffer it), and does not check reserved bits, fragmented control frames, close codes or UTF-8 across
//! fragments. So we keep actix-ws for the upgrade handshake and its backpressured `Session`, and read the request body
//! with [`Decoder`].

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev, error, web};
use bytes::{Bytes, BytesMut};
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::oneshot;

mod frame;

pub use frame::{CloseFrame, Decoder, Incoming, Skip, Violation};

/// How long a client gets to take the last messages and answer our close frame before the connection is dropped.
pub const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether the request asks for a WebSocket (`Upgrade: websocket`, in any case, possibly in a list).
pub fn wants_websocket(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(actix_web::http::header::UPGRADE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim().eq_ignore_ascii_case("websocket"))
}

/// Upgrade the request; returns the 101 response to return from the handler, the sending half, and our reader.
pub fn accept(
    req: &HttpRequest,
    payload: web::Payload,
    max_message_size: usize,
) -> Result<(HttpResponse, actix_ws::Session, Reader), actix_web::Error> {
    // actix-ws wants the request body so that its `MessageStream` can read frames from it. We give it an empty body
    // instead and drop the stream it returns: the real body goes to our `Reader`. The response (whose body is fed by
    // the `Session`) and the `Session` are actix-ws's and work unchanged.
    let empty = <web::Payload as FromRequest>::from_request(req, &mut dev::Payload::None)
        .now_or_never()
        .ok_or_else(|| error::ErrorInternalServerError("payload extractor was not ready"))??;
    let (response, session, _unused_stream) = actix_ws::handle(req, empty)?;
    // When the peer drops the TCP connection, actix-http drops the response body but never ends the request
    // body, so a reader waiting on it would wait forever. The dropped stream carried actix-ws's signal for
    // this; we give our reader its own: the body's drop closes `body_gone`.
    let (body_alive, body_gone) = oneshot::channel();
    // And the other way round: actix-ws ends the response body right after a close frame, and actix-http then
    // closes the connection. With the client's frames still unread, the kernel would answer with a reset, which
    // throws away whatever is still queued for the client. So the body ends only once the reader is dropped:
    // after the client's close frame, or when the server stops waiting for it.
    let (reader_alive, reader_gone) = oneshot::channel();
    let response = response
        .map_body(|_, body| WatchedBody {
            body: Some(body),
            _alive: body_alive,
            reader_gone,
        })
        .map_into_boxed_body();
    Ok((
        response,
        session,
        Reader::new(payload, body_gone, reader_alive, max_message_size),
    ))
}

/// A response body that tells the [`Reader`] when actix-http drops it (the connection is gone), and that ends
/// only once actix-ws's body has ended and the [`Reader`] is dropped.
struct WatchedBody {
    /// actix-ws's body, until it ends.
    body: Option<BoxBody>,
    _alive: oneshot::Sender<()>,
    reader_gone: oneshot::Receiver<()>,
}

impl MessageBody for WatchedBody {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if let Some(body) = &mut self.body {
            match Pin::new(body).poll_next(cx) {
                Poll::Ready(None) => self.body = None,
                other => return other,
            }
        }
        Pin::new(&mut self.reader_gone).poll(cx).map(|_| None)
    }
}

/// Sends a close frame with `code` and `reason` (cut to fit a control frame), consuming the session.
pub async fn close(session: actix_ws::Session, code: u16, reason: &str) {
    let reason = actix_ws::CloseReason {
        code: actix_ws::CloseCode::from(code),
        description: (!reason.is_empty()).then(|| reason.to_owned()),
    };
    // An error means the connection is already gone, and then there is no one left to tell.
    let _ = session.close(Some(reason)).await;
}

/// The reading half of a WebSocket connection: a stream of messages from the client.
///
/// Yields `Err` once on a protocol violation (send a close with its code). After that it drops what the client
/// sends until its close frame, then yields None; it yields None as well when the TCP connection ended. It holds
/// at most the message being received (up to the limit) plus one read of the socket.
pub struct Reader {
    payload: web::Payload,
    body_gone: oneshot::Receiver<()>,
    /// Dropped with the reader, which lets the response body end.
    _alive: oneshot::Sender<()>,
    buf: BytesMut,
    decoder: Decoder,
    state: ReadState,
}

/// What the [`Reader`] does with the bytes it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Decoding,
    /// After a violation: dropping frames until the client's close frame.
    Skipping,
    /// After a violation that left the frames unreadable: dropping bytes until the connection ends.
    Draining,
    Done,
}

impl Reader {
    fn new(
        payload: web::Payload,
        body_gone: oneshot::Receiver<()>,
        alive: oneshot::Sender<()>,
        max_message_size: usize,
    ) -> Self {
        Self {
            payload,
            body_gone,
            _alive: alive,
            buf: BytesMut::new(),
            decoder: Decoder::new(max_message_size),
            state: ReadState::Decoding,
        }
    }

    /// After our close frame: reads and drops the client's frames until its close frame, the end of the
    /// connection or [`CLOSE_TIMEOUT`], so that the connection ends without frames left unread (see [`accept`]).
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
                ReadState::Skipping => match this.decoder.skip(&mut this.buf) {
                    Skip::More => {}
                    Skip::Closed => {
                        this.state = ReadState::Done;
                        return Poll::Ready(None);
                    }
                    Skip::Lost => this.state = ReadState::Draining,
                },
                ReadState::Draining => this.buf.clear(),
            }
            // Read only when the decoder needs more: the socket's backpressure then holds the client back.
            match Pin::new(&mut this.payload).poll_next(cx) {
                Poll::Pending if Pin::new(&mut this.body_gone).poll(cx).is_ready() => {
                    tracing::debug!("the connection was dropped");
                    this.state = ReadState::Done;
                }
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
