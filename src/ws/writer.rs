//! The sending half of a WebSocket connection: messages go through a short queue to the response body, which
//! frames them (RFC 6455, server side: never masked) as the transport (`super::transport`) asks for more to write.
//!
//! actix-ws has a sending half too, but it queues up to 32 messages, allocates 1.8 KiB per connection up front for
//! that queue, and copies every message into a buffer of its own to frame it. Here the queue holds four messages and
//! is small while idle (`crate::queue`), and a frame's header is a chunk of its own: its payload goes on as it is.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use bytes::{BufMut, Bytes, BytesMut};

use super::CloseFrame;
use super::frame::{MAX_CONTROL_PAYLOAD, Opcode};
use crate::queue::{self, Permit, Receiver, Sender};

/// Messages waiting for the socket beyond the one being written.
const QUEUE: usize = 4;

/// Longest reason a close frame can carry (its payload's first 2 bytes are the code).
const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// One message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A ping (at most 125 bytes of it are sent).
    Ping(Bytes),
    /// A pong (at most 125 bytes of it are sent).
    Pong(Bytes),
    /// A close frame: a status code and a reason (cut to 123 bytes), or no code at all. Nothing follows it.
    Close(Option<CloseFrame>),
}

impl Outgoing {
    /// A close frame with `code` and no reason.
    pub fn close(code: u16) -> Outgoing {
        Outgoing::Close(Some(CloseFrame {
            code,
            reason: String::new(),
        }))
    }

    /// The answer to the client's close frame: its code, or no code if it sent none (RFC 6455 5.5.1).
    pub fn close_answering(client: Option<&CloseFrame>) -> Outgoing {
        client.map_or(Outgoing::Close(None), |frame| Outgoing::close(frame.code))
    }
}

/// The client's connection is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone;

/// Sends messages to one client, in order, at the pace the socket takes them.
#[derive(Debug)]
pub struct Writer {
    queue: Sender<Outgoing>,
}

impl Writer {
    /// Waits for room and queues `message`.
    pub async fn send(&self, message: Outgoing) -> Result<(), Gone> {
        self.queue.send(message).await.map_err(|_| Gone)
    }

    /// Waits for room for one message (cancel-safe, for a `select!`).
    pub async fn reserve(&self) -> Result<Permit<'_, Outgoing>, Gone> {
        self.queue.reserve().await.map_err(|_| Gone)
    }

    /// Sends a close frame with `code` and `reason`; nothing can be sent after it.
    pub async fn close(self, code: u16, reason: &str) {
        // An error means the connection is already gone, and then there is no one left to tell.
        let _ = self
            .send(Outgoing::Close(Some(CloseFrame {
                code,
                reason: reason.to_owned(),
            })))
            .await;
    }
}

/// The response body of a WebSocket: the frames of the queued messages.
///
/// It ends once the messages are all sent: the [`Writer`] dropped, or a close frame sent. The transport keeps the
/// connection open until the [`Reader`](super::Reader) is done with it too (see `transport`).
pub struct Body {
    queue: Receiver<Outgoing>,
    /// The payload of the frame whose header went out last.
    payload: Option<Bytes>,
    /// A close frame went out: nothing more is sent. (Once the writer is gone the queue says so itself.)
    done: bool,
}

/// A writer, and the body it feeds.
pub fn channel() -> (Writer, Body) {
    let (queue, messages) = queue::channel(QUEUE);
    let body = Body {
        queue: messages,
        payload: None,
        done: false,
    };
    (Writer { queue }, body)
}

impl MessageBody for Body {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if let Some(payload) = self.payload.take() {
            return Poll::Ready(Some(Ok(payload)));
        }
        if self.done {
            return Poll::Ready(None);
        }
        self.queue.poll_recv(cx).map(|message| {
            let message = message?;
            self.done = matches!(message, Outgoing::Close(_));
            let (header, payload) = frame(message);
            self.payload = (!payload.is_empty()).then_some(payload);
            Some(Ok(header))
        })
    }
}

/// A message's frame: its header, and its payload (cut to fit, for control frames).
fn frame(message: Outgoing) -> (Bytes, Bytes) {
    let (opcode, payload) = match message {
        Outgoing::Text(text) => (Opcode::Text, Bytes::from(text)),
        Outgoing::Binary(data) => (Opcode::Binary, data),
        Outgoing::Close(None) => (Opcode::Close, Bytes::new()),
        Outgoing::Close(Some(CloseFrame { code, reason })) => {
            let mut payload = BytesMut::with_capacity(2 + reason.len().min(MAX_CLOSE_REASON));
            payload.put_u16(code);
            payload.put_slice(cut(&reason, MAX_CLOSE_REASON).as_bytes());
            (Opcode::Close, payload.freeze())
        }
        Outgoing::Ping(data) => (
            Opcode::Ping,
            data.slice(..data.len().min(MAX_CONTROL_PAYLOAD)),
        ),
        Outgoing::Pong(data) => (
            Opcode::Pong,
            data.slice(..data.len().min(MAX_CONTROL_PAYLOAD)),
        ),
    };
    let mut header = BytesMut::with_capacity(10);
    header.put_u8(0x80 | opcode.bits()); // FIN: webterm never fragments
    match payload.len() {
        len @ 0..=125 => header.put_u8(len as u8),
        len @ 126..=0xFFFF => {
            header.put_u8(126);
            header.put_u16(len as u16);
        }
        len => {
            header.put_u8(127);
            header.put_u64(len as u64);
        }
    }
    (header.freeze(), payload)
}

/// The longest start of `text` that is at most `max` bytes and ends on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(message: Outgoing) -> Vec<u8> {
        let (header, payload) = frame(message);
        [header, payload].concat()
    }

    #[test]
    fn frames_use_the_shortest_length_encoding() {
        assert_eq!(framed(Outgoing::Text("hi".into())), b"\x81\x02hi");
        for (len, header) in [
            (0, vec![0x82, 0]),
            (125, vec![0x82, 125]),
            (126, vec![0x82, 126, 0, 126]),
            (0xFFFF, vec![0x82, 126, 0xFF, 0xFF]),
            (0x1_0000, vec![0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
        ] {
            let (got, payload) = frame(Outgoing::Binary(Bytes::from(vec![7; len])));
            assert_eq!((&got[..], payload.len()), (&header[..], len), "{len}");
        }
    }

    #[test]
    fn control_frames_are_cut_to_fit() {
        assert_eq!(framed(Outgoing::Close(None)), b"\x88\x00");
        assert_eq!(framed(Outgoing::close(1000)), b"\x88\x02\x03\xE8");
        // 61 two-byte characters are 122 bytes; a 62nd would pass 123, so it is left out whole.
        let long = "é".repeat(100);
        let close = framed(Outgoing::Close(Some(CloseFrame {
            code: 1011,
            reason: long,
        })));
        assert_eq!(close[1], 2 + 122);
        assert!(std::str::from_utf8(&close[4..]).is_ok());
        let ping = framed(Outgoing::Ping(Bytes::from(vec![1; 300])));
        assert_eq!((ping[0], ping[1], ping.len()), (0x89, 125, 127));
        assert_eq!(
            framed(Outgoing::Pong(Bytes::from_static(b"p"))),
            b"\x8A\x01p"
        );
    }

    #[tokio::test]
    async fn the_body_sends_each_frame_then_ends_after_the_close() {
        let (writer, body) = channel();
        let mut body = Box::pin(body);
        writer
            .send(Outgoing::Binary(Bytes::from_static(b"abc")))
            .await
            .unwrap();
        writer.close(1000, "bye").await;
        let mut chunks = Vec::new();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        while let Poll::Ready(Some(chunk)) = body.as_mut().poll_next(&mut cx) {
            chunks.push(chunk.unwrap());
        }
        assert_eq!(chunks.concat(), b"\x82\x03abc\x88\x05\x03\xE8bye");
        // Nothing goes after a close frame.
        assert!(matches!(
            body.as_mut().poll_next(&mut cx),
            Poll::Ready(None)
        ));
    }
}
