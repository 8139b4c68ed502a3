//! A WebSocket's bytes after the handshake, moved by webterm instead of actix-http's dispatcher.
//!
//! actix-http's dispatcher keeps an 8 KiB read buffer and an 8 KiB write buffer for every connection as long as it
//! lasts, and copies every byte of a response body into the second. An idle WebSocket kept both: most of what an
//! idle session cost (BENCHMARKS.md). For a request that asks for an upgrade, actix-http calls an upgrade service
//! instead, and hands it the connection. Ours, [`upgrade`], passes the request to the same App as every other
//! request, so the routes, the gate and actix-ws's handshake decide as before, and sends the App's answer the way
//! actix-http would. After a 101, it moves the bytes itself: what the socket delivers becomes the request's body,
//! one read at a time (our [`super::Reader`] reads it as before), and the response body's chunks (our
//! [`super::Writer`]'s frames) go to the socket as they are. After any other answer the connection ends, once the
//! client has ended its side too (or [`CLOSE_TIMEOUT`] has passed).
//!
//! An upgraded connection stays open until the reader is done with it, however early the response body ends:
//! closing it with the client's frames unread would make the kernel reset it, which throws away what is still
//! queued for the client. After that, what is left to send and the shutdown get [`CLOSE_TIMEOUT`], so that a client
//! that takes nothing cannot hold the connection for ever.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker, ready};

use actix_codec::{AsyncRead, AsyncWrite, Encoder, Framed, ReadBuf};
use actix_http::body::{BodySize, BoxBody, MessageBody};
use actix_http::error::PayloadError;
use actix_http::h1::{Codec, Message, SendResponse};
use actix_http::{ConnectionType, HttpMessage, Payload, Request, Response, StatusCode};
use actix_service::Service;
use bytes::{Buf, Bytes, BytesMut};
use futures_util::Stream;
use tokio::io::AsyncWriteExt;

use super::CLOSE_TIMEOUT;

/// The most chunks (a frame is two: its header and its payload) written to the socket in one call.
const BATCH: usize = 8;

/// The largest read of the socket. Reads go into one buffer per thread; the request body gets a copy of exactly
/// what was read, so an idle connection holds no buffer.
const READ: usize = 16 * 1024;

/// Marks a request handed over by [`upgrade`].
#[derive(Clone, Copy)]
struct HandedOver;

/// Whether actix-http handed `request` to [`upgrade`], so that its connection's bytes are ours after a 101.
pub fn handed_over(request: &actix_web::HttpRequest) -> bool {
    request.extensions().get::<HandedOver>().is_some()
}

/// The upgrade service: see the module documentation. `app` is the App's service, as for any other request.
/// Never fails: what goes wrong with one connection is logged and ends that connection.
pub async fn upgrade<T, S>(
    app: Rc<S>,
    (request, framed): (Request, Framed<T, Codec>),
) -> Result<(), Infallible>
where
    T: AsyncRead + AsyncWrite + Unpin,
    S: Service<Request, Response = Response<BoxBody>, Error = Response<BoxBody>>,
{
    let inbox = Rc::new(RefCell::new(Inbox::default()));
    let body: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(RequestBody(inbox.clone()));
    let (request, _) = request.replace_payload(Payload::Stream { payload: body });
    request.extensions_mut().insert(HandedOver);
    let response = app.call(request).await.unwrap_or_else(|refusal| refusal);
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        refuse(framed, response).await;
        return Ok(());
    }
    if let Some(pipe) = Pipe::after_handshake(framed, response, inbox) {
        pipe.run().await;
    }
    Ok(())
}

/// Sends an answer other than 101 and ends the connection: it asked for an upgrade, which no other request can
/// follow.
async fn refuse<T: AsyncRead + AsyncWrite + Unpin>(
    framed: Framed<T, Codec>,
    mut response: Response<BoxBody>,
) {
    response
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    // The App's answers that are not upgrades are short (refusals, a page): take the body whole, in a type
    // `SendResponse` can send.
    let (response, body) = response.into_parts();
    let body = match actix_http::body::to_bytes(body).await {
        Ok(body) => body,
        Err(error) => {
            tracing::debug!(%error, "cannot read the answer to an upgrade request");
            return;
        }
    };
    match SendResponse::new(framed, response.set_body(body)).await {
        Ok(framed) => linger(framed.into_parts().io).await,
        Err(error) => tracing::debug!(%error, "cannot send the answer to an upgrade request"),
    }
}

/// Ends our side of a connection whose client may still be sending (one that did not wait for the answer to its
/// upgrade request), then takes what comes until the client ends its side or [`CLOSE_TIMEOUT`] passes. Closing
/// with bytes unread would make the kernel reset the connection, and a reset can throw away the answer on its
/// way (HTTP servers' "lingering close").
async fn linger<T: AsyncRead + AsyncWrite + Unpin>(mut io: T) {
    let drain = async {
        io.shutdown().await?;
        tokio::io::copy(&mut io, &mut tokio::io::sink()).await
    };
    match tokio::time::timeout(CLOSE_TIMEOUT, drain).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::debug!(%error, "closing after a refused upgrade"),
        Err(_) => tracing::debug!("the client did not end its side after a refused upgrade"),
    }
}

/// What the socket delivered that the request body has not handed on yet: at most one read.
#[derive(Default)]
struct Inbox {
    chunk: Option<Result<Bytes, PayloadError>>,
    /// No chunk comes after the one waiting: the client ended its side, reading failed, or the pipe is gone.
    ended: bool,
    /// The request body was dropped: nothing more is read.
    unwanted: bool,
    /// Woken when a chunk (or the end) is there.
    reader: Option<Waker>,
    /// Woken when the chunk has been taken or the body dropped.
    pipe: Option<Waker>,
}

/// Keeps `cx`'s waker in `slot`, unless the one there already wakes the same task (the pipe is polled for every
/// write: no clone each time).
fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    if !slot
        .as_ref()
        .is_some_and(|waker| waker.will_wake(cx.waker()))
    {
        *slot = Some(cx.waker().clone());
    }
}

impl Inbox {
    fn wake_reader(&mut self) {
        if let Some(waker) = self.reader.take() {
            waker.wake();
        }
    }

    fn wake_pipe(&mut self) {
        if let Some(waker) = self.pipe.take() {
            waker.wake();
        }
    }
}

/// The request body of an upgraded connection: the socket's bytes, as the pipe reads them.
struct RequestBody(Rc<RefCell<Inbox>>);

impl Stream for RequestBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut inbox = self.0.borrow_mut();
        if let Some(chunk) = inbox.chunk.take() {
            inbox.wake_pipe();
            return Poll::Ready(Some(chunk));
        }
        if inbox.ended {
            return Poll::Ready(None);
        }
        register(&mut inbox.reader, cx);
        Poll::Pending
    }
}

impl Drop for RequestBody {
    fn drop(&mut self) {
        let mut inbox = self.0.borrow_mut();
        inbox.unwanted = true;
        inbox.wake_pipe();
    }
}

/// Both directions of an upgraded connection.
struct Pipe<T> {
    io: T,
    inbox: Rc<RefCell<Inbox>>,
    /// The response body; `None` once it has ended.
    body: Option<BoxBody>,
    /// Chunks taken from the body and not yet written (the first may be partly written).
    out: VecDeque<Bytes>,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Pipe<T> {
    /// Takes the connection out of actix-http's hands after a 101 (`response`), with its head first in line to be
    /// written. `None` if the head cannot be encoded.
    fn after_handshake(
        framed: Framed<T, Codec>,
        response: Response<BoxBody>,
        inbox: Rc<RefCell<Inbox>>,
    ) -> Option<Pipe<T>> {
        let (head, body) = response.into_parts();
        let mut parts = framed.into_parts();
        let mut encoded = BytesMut::new();
        if let Err(error) = parts
            .codec
            .encode(Message::Item((head, BodySize::Stream)), &mut encoded)
        {
            tracing::debug!(%error, "cannot encode the upgrade's answer");
            return None;
        }
        // What the client sent right after its request head is the start of the request body. A copy: the rest of
        // actix-http's read buffer goes here with its write buffer, and only the connection itself stays.
        if !parts.read_buf.is_empty() {
            inbox.borrow_mut().chunk = Some(Ok(Bytes::copy_from_slice(&parts.read_buf)));
        }
        drop((parts.read_buf, parts.write_buf));
        Some(Pipe {
            io: parts.io,
            inbox,
            body: Some(body),
            out: VecDeque::from([encoded.freeze()]),
        })
    }

    /// Moves the bytes both ways until the reader is done, then ends the connection.
    async fn run(mut self) {
        // For as long as the reader wants the connection, no time limit: the pump keeps it alive with pings. Even
        // once the response body has ended, the connection stays open while the reader is not done: closing it with
        // the client's frames unread would make the kernel reset it, which throws away what is still queued for the
        // client.
        let served = poll_fn(|cx| {
            self.poll_read(cx);
            if let Poll::Ready(Err(error)) = self.poll_write(cx) {
                return Poll::Ready(Err(error));
            }
            if self.inbox.borrow().unwanted {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        })
        .await;
        // Then what is left of the response body (the last messages, the close frame) and the shutdown get
        // `CLOSE_TIMEOUT`: by now the client has answered our close frame or had its chance (the pump's own
        // deadline), and one that takes nothing must not hold the connection and the frames queued for it for ever.
        let finish = async {
            served?;
            poll_fn(|cx| self.poll_write(cx)).await?;
            poll_fn(|cx| Pin::new(&mut self.io).poll_shutdown(cx)).await
        };
        match tokio::time::timeout(CLOSE_TIMEOUT, finish).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "the connection failed"),
            Err(_) => tracing::debug!(
                timeout = ?CLOSE_TIMEOUT,
                "the client takes nothing after its connection is done with; dropping it"
            ),
        }
    }

    /// Reads for the request body while it wants more: one read at a time, when the last has been taken. Wakes
    /// the reader when there is something for it, and registers to be woken when the reader takes a read or is
    /// dropped.
    fn poll_read(&mut self, cx: &mut Context<'_>) {
        thread_local! {
            static BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0; READ]);
        }
        let mut inbox = self.inbox.borrow_mut();
        if inbox.unwanted {
            return;
        }
        register(&mut inbox.pipe, cx);
        if inbox.ended {
            return;
        }
        if inbox.chunk.is_some() {
            // The reader has not taken the last read yet: the socket holds the client back meanwhile.
            return;
        }
        // No await while the buffer is borrowed: the whole read happens in this poll.
        let read = BUFFER.with_borrow_mut(|buf| {
            let mut buf = ReadBuf::new(buf);
            Pin::new(&mut self.io)
                .poll_read(cx, &mut buf)
                .map_ok(|()| Bytes::copy_from_slice(buf.filled()))
        });
        match read {
            Poll::Pending => return,
            Poll::Ready(Ok(bytes)) if bytes.is_empty() => inbox.ended = true,
            Poll::Ready(Ok(bytes)) => inbox.chunk = Some(Ok(bytes)),
            Poll::Ready(Err(error)) => {
                inbox.chunk = Some(Err(PayloadError::Io(error)));
                inbox.ended = true;
            }
        }
        inbox.wake_reader();
    }

    /// Writes the response body to the socket as its chunks come. Ready once the body has ended and all of it is
    /// written (and again at once on later calls); an error once the connection fails.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            while self.out.len() < BATCH {
                let Some(body) = self.body.as_mut() else {
                    break;
                };
                match Pin::new(body).poll_next(cx) {
                    Poll::Ready(Some(Ok(chunk))) if chunk.is_empty() => {}
                    Poll::Ready(Some(Ok(chunk))) => self.out.push_back(chunk),
                    Poll::Ready(Some(Err(error))) => {
                        return Poll::Ready(Err(io::Error::other(error.to_string())));
                    }
                    Poll::Ready(None) => self.body = None,
                    Poll::Pending => break,
                }
            }
            if self.out.is_empty() {
                ready!(Pin::new(&mut self.io).poll_flush(cx))?;
                return match self.body {
                    None => Poll::Ready(Ok(())),
                    Some(_) => Poll::Pending,
                };
            }
            let mut slices = [IoSlice::new(&[]); BATCH];
            for (slice, chunk) in slices.iter_mut().zip(&self.out) {
                *slice = IoSlice::new(chunk);
            }
            let count = self.out.len().min(BATCH);
            let mut written =
                ready!(Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..count]))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            while written > 0 {
                let first = self
                    .out
                    .front_mut()
                    .expect("written bytes came from a chunk");
                let step = written.min(first.len());
                first.advance(step);
                written -= step;
                if first.is_empty() {
                    self.out.pop_front();
                }
            }
        }
    }
}

impl<T> Drop for Pipe<T> {
    fn drop(&mut self) {
        // A reader still waiting learns that nothing more comes.
        let mut inbox = self.inbox.borrow_mut();
        inbox.ended = true;
        inbox.wake_reader();
    }
}
