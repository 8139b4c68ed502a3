//! A strict, incremental RFC 6455 decoder for the server side that joins fragments into messages (pure, no I/O).
//!
//! Payload bytes are unmasked and taken out of the caller's buffer as they arrive, so a frame is never held twice and
//! an oversized one is refused from its header alone. Text is checked for UTF-8 as it arrives, so an invalid
//! sequence fails the connection before the rest of the message comes.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};

mod header;
#[cfg(test)]
mod tests;

use header::{Frame, unmask_into};
pub(super) use header::{MAX_CONTROL_PAYLOAD, Opcode};

/// Close code for a protocol error (RFC 6455, 7.4.1).
const PROTOCOL_ERROR: u16 = 1002;
/// Close code for a text message that is not UTF-8.
const INVALID_PAYLOAD: u16 = 1007;
/// Close code for a message larger than we accept.
const MESSAGE_TOO_BIG: u16 = 1009;

/// One complete thing the client sent: a whole (reassembled) data message or a control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A whole text message; always valid UTF-8.
    Text(String),
    /// A whole binary message.
    Binary(Bytes),
    /// A ping; the peer expects a pong with the same payload.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The client starts (or answers) the closing handshake; `None` when its close frame carried no status code.
    Close(Option<CloseFrame>),
}

/// The status code and reason of a close frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close status code, already checked to be one a peer may send.
    pub code: u16,
    /// The reason text; may be empty.
    pub reason: String,
}

/// A protocol violation: the close code to send and a short reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    /// The close code to answer with: 1002, 1007 or 1009.
    pub code: u16,
    /// What was wrong, short enough for a close frame.
    pub reason: &'static str,
}

impl Violation {
    const fn protocol(reason: &'static str) -> Self {
        Self {
            code: PROTOCOL_ERROR,
            reason,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "websocket protocol violation {}: {}",
            self.code, self.reason
        )
    }
}

impl std::error::Error for Violation {}

const INVALID_UTF8: Violation = Violation {
    code: INVALID_PAYLOAD,
    reason: "text is not valid UTF-8",
};
const TOO_BIG: Violation = Violation {
    code: MESSAGE_TOO_BIG,
    reason: "message too big",
};

/// A data message whose frames are still arriving.
#[derive(Debug)]
struct Message {
    text: bool,
    data: Vec<u8>,
    /// `data[..checked]` is known to be valid UTF-8 (text messages only).
    checked: usize,
}

impl Message {
    /// Checks the bytes added since the last call. An incomplete sequence at the end is fine unless `complete`.
    fn check_utf8(&mut self, complete: bool) -> Result<(), Violation> {
        match std::str::from_utf8(&self.data[self.checked..]) {
            Ok(_) => {
                self.checked = self.data.len();
                Ok(())
            }
            // The bytes so far are a valid prefix; at most 3 of them are checked again next time, so this stays O(n).
            Err(e) if e.error_len().is_none() && !complete => {
                self.checked += e.valid_up_to();
                Ok(())
            }
            Err(_) => Err(INVALID_UTF8),
        }
    }

    fn finish(mut self) -> Result<Incoming, Violation> {
        if !self.text {
            return Ok(Incoming::Binary(Bytes::from(self.data)));
        }
        self.check_utf8(true)?;
        String::from_utf8(self.data)
            .map(Incoming::Text)
            .map_err(|_| INVALID_UTF8)
    }
}

/// What [`Decoder::skip`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// All of the buffer was dropped (but perhaps the start of a header); more bytes are needed.
    More,
    /// The client's close frame has passed: it sends nothing more.
    Closed,
    /// The client's frames cannot be followed any more (a length no frame may have); the buffer was dropped.
    Lost,
}

/// Where the client's framing stands after a violation.
#[derive(Debug, Clone, Copy)]
enum Resync {
    /// The next bytes are a frame header.
    Header,
    /// Inside a frame: `remaining` payload bytes to drop; `close` if it is a close frame.
    Payload {
        remaining: u64,
        close: bool,
    },
    Closed,
    Lost,
}

/// Decodes client frames into [`Incoming`] items, refusing anything RFC 6455 forbids.
///
/// After it has returned a [`Violation`] it returns the same one forever: the connection must be failed. Then
/// [`Decoder::skip`] drops what the client sends until its close frame, following the frames by their lengths.
#[derive(Debug)]
pub struct Decoder {
    max_message_size: usize,
    /// The frame whose payload is arriving, if its header has been parsed.
    frame: Option<Frame>,
    /// The data message in progress, from its first frame's header to its last frame's end.
    message: Option<Message>,
    /// The payload of the control frame in progress.
    control: Vec<u8>,
    failed: Option<Violation>,
    /// Where the framing stands, for `skip`.
    resync: Resync,
}

impl Decoder {
    /// A decoder that refuses (1009) any data message larger than `max_message_size` bytes.
    pub fn new(max_message_size: usize) -> Self {
        Self {
            max_message_size,
            frame: None,
            message: None,
            control: Vec::new(),
            failed: None,
            resync: Resync::Header,
        }
    }

    /// Takes what it can from `buf`; Ok(None) = need more bytes.
    ///
    /// Consumed bytes are removed from `buf`: after Ok(None) it holds at most part of a frame header.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Incoming>, Violation> {
        if let Some(violation) = self.failed {
            return Err(violation);
        }
        self.decode_frames(buf).map_err(|(violation, resync)| {
            self.failed = Some(violation);
            self.resync = resync;
            violation
        })
    }

    /// After a violation: drops the client's frames from `buf`, reading only their lengths, until the client's close
    /// frame has passed. A client that answers our close frame is then read to its end, and the connection can end
    /// without unread bytes (which would make the kernel reset it and lose what is still queued for the client).
    pub fn skip(&mut self, buf: &mut BytesMut) -> Skip {
        loop {
            match self.resync {
                Resync::Closed => return Skip::Closed,
                Resync::Lost => {
                    buf.clear();
                    return Skip::Lost;
                }
                Resync::Payload { remaining, close } => {
                    let dropped = remaining.min(buf.len() as u64);
                    buf.advance(dropped as usize);
                    let remaining = remaining - dropped;
                    if remaining > 0 {
                        self.resync = Resync::Payload { remaining, close };
                        return Skip::More;
                    }
                    self.resync = if close {
                        Resync::Closed
                    } else {
                        Resync::Header
                    };
                }
                Resync::Header => match header::parse_lengths(buf) {
                    Ok(Some((close, header_len, remaining))) => {
                        buf.advance(header_len);
                        self.resync = Resync::Payload { remaining, close };
                    }
                    Ok(None) => return Skip::More,
                    Err(_) => self.resync = Resync::Lost,
                },
            }
        }
    }

    /// Decodes; a violation comes with where the framing stands after it.
    fn decode_frames(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<Incoming>, (Violation, Resync)> {
        loop {
            let mut frame = match self.frame.take() {
                Some(frame) => frame,
                // Nothing of a refused header is consumed.
                None => match self.start_frame(buf).map_err(|v| (v, Resync::Header))? {
                    Some(frame) => frame,
                    None => return Ok(None),
                },
            };
            let close = frame.opcode == Opcode::Close;
            self.take_payload(&mut frame, buf).map_err(|v| {
                let remaining = (frame.len - frame.taken) as u64;
                (v, Resync::Payload { remaining, close })
            })?;
            if frame.taken < frame.len {
                self.frame = Some(frame);
                return Ok(None);
            }
            // A refused close frame is the client's close all the same.
            let after = if close {
                Resync::Closed
            } else {
                Resync::Header
            };
            if let Some(item) = self.end_frame(&frame).map_err(|v| (v, after))? {
                return Ok(Some(item));
            }
        }
    }

    /// Parses and consumes the next header, starting a message or a control payload.
    fn start_frame(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Violation> {
        let message_len = self.message.as_ref().map(|m| m.data.len());
        let Some((frame, header_len)) = header::parse(buf, message_len, self.max_message_size)?
        else {
            return Ok(None);
        };
        buf.advance(header_len);
        match frame.opcode {
            Opcode::Text | Opcode::Binary => {
                let text = frame.opcode == Opcode::Text;
                self.message = Some(Message {
                    text,
                    data: Vec::new(),
                    checked: 0,
                });
            }
            Opcode::Continuation => {}
            Opcode::Close | Opcode::Ping | Opcode::Pong => self.control.clear(),
        }
        Ok(Some(frame))
    }

    /// Moves as much of the frame's payload as `buf` holds into the message or control payload, unmasked.
    ///
    /// The bytes are taken even when they break the rules, so that `frame.taken` says where the frame stands.
    fn take_payload(&mut self, frame: &mut Frame, buf: &mut BytesMut) -> Result<(), Violation> {
        let taken = (frame.len - frame.taken).min(buf.len());
        let payload = &buf[..taken];
        let checked = if frame.opcode.is_control() {
            unmask_into(&mut self.control, payload, frame.mask, frame.taken);
            Ok(())
        } else if let Some(message) = self.message.as_mut() {
            unmask_into(&mut message.data, payload, frame.mask, frame.taken);
            if message.text {
                message.check_utf8(false)
            } else {
                Ok(())
            }
        } else {
            // `header::parse` refuses a continuation without a message; this only keeps the code total.
            Err(Violation::protocol("continuation frame without a message"))
        };
        frame.taken += taken;
        buf.advance(taken);
        checked
    }

    /// Handles a frame whose payload is complete: returns a control frame, or the message its last frame ends.
    fn end_frame(&mut self, frame: &Frame) -> Result<Option<Incoming>, Violation> {
        let item = match frame.opcode {
            Opcode::Ping => Incoming::Ping(Bytes::from(std::mem::take(&mut self.control))),
            Opcode::Pong => Incoming::Pong(Bytes::from(std::mem::take(&mut self.control))),
            Opcode::Close => parse_close(&self.control)?,
            Opcode::Text | Opcode::Binary | Opcode::Continuation => match self.message.take() {
                Some(message) if frame.fin => message.finish()?,
                message => {
                    self.message = message;
                    return Ok(None);
                }
            },
        };
        Ok(Some(item))
    }
}

/// Parses a close frame's payload: empty, or a valid status code and a UTF-8 reason.
fn parse_close(payload: &[u8]) -> Result<Incoming, Violation> {
    match payload {
        [] => Ok(Incoming::Close(None)),
        [_] => Err(Violation::protocol("close frame with a 1-byte payload")),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_close_code(code) {
                return Err(Violation::protocol("invalid close code"));
            }
            let reason = std::str::from_utf8(reason).map_err(|_| Violation {
                code: INVALID_PAYLOAD,
                reason: "close reason is not valid UTF-8",
            })?;
            Ok(Incoming::Close(Some(CloseFrame {
                code,
                reason: reason.to_owned(),
            })))
        }
    }
}

/// Whether a peer may send `code` in a close frame (RFC 6455 7.4 and the IANA registry).
fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}
