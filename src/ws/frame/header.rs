//! One frame's header: opcodes, parsing with every check a header alone allows, and unmasking.

use super::{TOO_BIG, Violation};

/// Largest payload of a control frame (RFC 6455 5.5).
pub(in crate::ws) const MAX_CONTROL_PAYLOAD: usize = 125;

/// A frame's opcode; the reserved ones are refused while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::ws) enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    /// The opcode's four bits in a frame's first byte.
    pub(in crate::ws) fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Whether this is a control frame (close, ping, pong).
    pub(super) fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// A parsed frame header and how much of its payload has been taken so far.
#[derive(Debug)]
pub(super) struct Frame {
    pub(super) fin: bool,
    pub(super) opcode: Opcode,
    pub(super) mask: [u8; 4],
    pub(super) len: usize,
    pub(super) taken: usize,
}

/// Parses the header at the front of `buf`, refusing it as soon as the bytes present show a violation.
///
/// `message_len` is how many bytes of a fragmented message have arrived, or None if no message is in progress.
/// Returns the frame and the header's length, or None if the header is not complete yet.
pub(super) fn parse(
    buf: &[u8],
    message_len: Option<usize>,
    max_message_size: usize,
) -> Result<Option<(Frame, usize)>, Violation> {
    let [b0, b1, ..] = *buf else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(Violation::protocol("reserved bits set"));
    }
    let opcode = Opcode::from_bits(b0 & 0x0F).ok_or(Violation::protocol("reserved opcode"))?;
    let fin = b0 & 0x80 != 0;
    // SECURITY: RFC 6455 5.1: a server must fail a connection whose client frames are not masked.
    if b1 & 0x80 == 0 {
        return Err(Violation::protocol("client frame not masked"));
    }
    let short_len = b1 & 0x7F;
    match (opcode, message_len) {
        (Opcode::Close | Opcode::Ping | Opcode::Pong, _) if !fin => {
            return Err(Violation::protocol("fragmented control frame"));
        }
        (Opcode::Close | Opcode::Ping | Opcode::Pong, _)
            if usize::from(short_len) > MAX_CONTROL_PAYLOAD =>
        {
            return Err(Violation::protocol("control frame longer than 125 bytes"));
        }
        (Opcode::Continuation, None) => {
            return Err(Violation::protocol("continuation frame without a message"));
        }
        (Opcode::Text | Opcode::Binary, Some(_)) => {
            return Err(Violation::protocol(
                "new message before the previous one ended",
            ));
        }
        _ => {}
    }

    let Some((len, mask_at)) = payload_len(buf)? else {
        return Ok(None);
    };
    // SECURITY: refuse an oversized message from its header alone, before any of its payload is buffered.
    let room = max_message_size.saturating_sub(message_len.unwrap_or(0));
    if !opcode.is_control() && len > u64::try_from(room).unwrap_or(u64::MAX) {
        return Err(TOO_BIG);
    }
    let Some(&[m0, m1, m2, m3]) = buf.get(mask_at..mask_at + 4) else {
        return Ok(None);
    };
    // `len` is at most `max_message_size` (data) or 125 (control) here, so it fits in a usize.
    let len = usize::try_from(len).map_err(|_| TOO_BIG)?;
    let frame = Frame {
        fin,
        opcode,
        mask: [m0, m1, m2, m3],
        len,
        taken: 0,
    };
    Ok(Some((frame, mask_at + 4)))
}

/// The payload length a header announces and where the length ends (the mask's offset); None if the header's
/// length bytes are not all there yet.
fn payload_len(buf: &[u8]) -> Result<Option<(u64, usize)>, Violation> {
    Ok(Some(match *buf {
        [_, b1, ..] if b1 & 0x7F == 126 => match *buf {
            [_, _, a, b, ..] => (u64::from(u16::from_be_bytes([a, b])), 4),
            _ => return Ok(None),
        },
        [_, b1, ..] if b1 & 0x7F == 127 => match *buf {
            [_, _, a, b, c, d, e, f, g, h, ..] => {
                let len = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
                if len >> 63 != 0 {
                    return Err(Violation::protocol("64-bit length with the top bit set"));
                }
                (len, 10)
            }
            _ => return Ok(None),
        },
        [_, b1, ..] => (u64::from(b1 & 0x7F), 2),
        _ => return Ok(None),
    }))
}

/// What dropping the frame at the front of `buf` needs, read leniently (after a violation, any opcode, reserved
/// bits and a missing mask are let through): whether it is a close frame, its header's length and its payload's.
/// Ok(None) if the header is not complete yet; Err if no frame can have the length it announces.
pub(super) fn parse_lengths(buf: &[u8]) -> Result<Option<(bool, usize, u64)>, Violation> {
    let Some((len, mask_at)) = payload_len(buf)? else {
        return Ok(None);
    };
    let header_len = if buf[1] & 0x80 != 0 {
        mask_at + 4
    } else {
        mask_at
    };
    if buf.len() < header_len {
        return Ok(None);
    }
    let close = Opcode::from_bits(buf[0] & 0x0F) == Some(Opcode::Close);
    Ok(Some((close, header_len, len)))
}

/// Appends `payload` to `target`, unmasked; `payload` starts `offset` bytes into its frame's payload.
pub(super) fn unmask_into(target: &mut Vec<u8>, payload: &[u8], mask: [u8; 4], offset: usize) {
    let start = target.len();
    target.extend_from_slice(payload);
    apply_mask(&mut target[start..], mask, offset);
}

/// XORs `data` with the masking key, where `data` starts `offset` bytes into the frame's payload.
fn apply_mask(data: &mut [u8], mask: [u8; 4], offset: usize) {
    // Eight bytes at a time: the key, rotated to `offset`, repeats every four bytes.
    let mut key = [0u8; 8];
    for (i, k) in key.iter_mut().enumerate() {
        *k = mask[(offset + i) % 4];
    }
    let wide = u64::from_ne_bytes(key);
    let mut words = data.chunks_exact_mut(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        word.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ wide).to_ne_bytes());
    }
    for (byte, k) in words.into_remainder().iter_mut().zip(key) {
        *byte ^= k;
    }
}
