//! Wire-level generators for the fuzz properties: frames valid or not, well-formed message streams, corruptions.

use bytes::Bytes;
use proptest::prelude::*;
use webterm::ws::Incoming;

/// How a frame announces its payload length.
#[derive(Debug, Clone)]
pub(super) enum Length {
    /// The shortest encoding, as RFC 6455 asks.
    Shortest,
    /// 126 and 16 bits, whatever the length.
    Sixteen,
    /// 127 and 64 bits, whatever the length.
    SixtyFour,
    /// 127 and this value: a lie about the payload that follows (often far larger).
    Claims(u64),
}

/// A frame as a client might put it on the wire, valid or not.
#[derive(Debug, Clone)]
pub(super) struct WireFrame {
    fin: bool,
    rsv: u8,
    opcode: u8,
    masked: bool,
    length: Length,
    mask: [u8; 4],
    payload: Vec<u8>,
}

impl WireFrame {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.fin) << 7 | (self.rsv & 7) << 4 | (self.opcode & 0xF));
        let mask_bit = u8::from(self.masked) << 7;
        let len = self.payload.len() as u64;
        match self.length {
            Length::Shortest if len < 126 => out.push(mask_bit | len as u8),
            Length::Shortest if len <= 0xFFFF => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            Length::Sixteen => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len.min(0xFFFF) as u16).to_be_bytes());
            }
            Length::Shortest | Length::SixtyFour => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
            Length::Claims(claimed) => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&claimed.to_be_bytes());
            }
        }
        if self.masked {
            out.extend_from_slice(&self.mask);
        }
        out.extend(self.payload.iter().enumerate().map(|(i, b)| {
            if self.masked {
                b ^ self.mask[i % 4]
            } else {
                *b
            }
        }));
    }
}

pub(super) fn encode_all(frames: &[WireFrame]) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        frame.encode(&mut out);
    }
    out
}

/// Mostly plausible frames: known opcodes, masked, short payloads that are often UTF-8 and sometimes a close
/// code, with now and then a reserved bit, an unmasked frame, a long length encoding or a lie about the length.
pub(super) fn wire_frame() -> impl Strategy<Value = WireFrame> {
    let opcode = prop_oneof![
        12 => prop::sample::select(vec![0u8, 1, 2, 8, 9, 10]),
        1 => 0u8..16,
    ];
    let payload = prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..200),
        3 => ".{0,60}".prop_map(String::into_bytes),
        1 => (any::<u16>(), ".{0,20}").prop_map(|(code, reason)| [&code.to_be_bytes()[..], reason.as_bytes()].concat()),
        1 => prop::collection::vec(any::<u8>(), 0..2000),
    ];
    let length = prop_oneof![
        12 => Just(Length::Shortest),
        1 => Just(Length::Sixteen),
        1 => Just(Length::SixtyFour),
        1 => any::<u64>().prop_map(Length::Claims),
        1 => (0u64..5000).prop_map(Length::Claims),
    ];
    (
        prop::bool::weighted(0.6),
        prop::bool::weighted(0.02),
        opcode,
        prop::bool::weighted(0.98),
        length,
        any::<[u8; 4]>(),
        payload,
    )
        .prop_map(
            |(fin, rsv_set, opcode, masked, length, mask, payload)| WireFrame {
                // Control frames may not be fragmented; a few are anyway.
                fin: fin || (opcode >= 8 && mask[1] > 8),
                rsv: if rsv_set { 1 + (mask[0] % 7) } else { 0 },
                opcode,
                masked,
                length,
                mask,
                // Control payloads are mostly within their 125-byte limit.
                payload: if opcode >= 8 && mask[2] > 24 {
                    payload.into_iter().take(125).collect()
                } else {
                    payload
                },
            },
        )
}

/// Cuts `bytes` at the given points (taken modulo its length).
pub(super) fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain([bytes.len()]) {
        chunks.push(&bytes[start..point]);
        start = point;
    }
    chunks
}

/// A data message as the application sees it, and how it is cut into frames, with control frames in between.
#[derive(Debug, Clone)]
pub(super) enum Sent {
    Text(String, Vec<usize>),
    Binary(Vec<u8>, Vec<usize>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

pub(super) fn sent() -> impl Strategy<Value = Sent> {
    let cuts = prop::collection::vec(any::<usize>(), 0..4);
    prop_oneof![
        (".{0,80}", cuts.clone()).prop_map(|(text, cuts)| Sent::Text(text, cuts)),
        (prop::collection::vec(any::<u8>(), 0..300), cuts)
            .prop_map(|(data, cuts)| Sent::Binary(data, cuts)),
        prop::collection::vec(any::<u8>(), 0..=125).prop_map(Sent::Ping),
        prop::collection::vec(any::<u8>(), 0..=125).prop_map(Sent::Pong),
    ]
}

/// Well-formed frames for `messages`, each control frame sent in the middle of the data message before it (as
/// RFC 6455 allows), and the items a decoder must give for them, in order.
pub(super) fn well_formed(messages: &[Sent], mask: [u8; 4]) -> (Vec<u8>, Vec<Incoming>) {
    let frame = |fin, opcode, payload: &[u8]| WireFrame {
        fin,
        rsv: 0,
        opcode,
        masked: true,
        length: Length::Shortest,
        mask,
        payload: payload.to_vec(),
    };
    let mut frames = Vec::new();
    let mut expected = Vec::new();
    let mut held: Option<(WireFrame, Incoming)> = None;
    for message in messages {
        let (opcode, payload, cuts, item) = match message {
            Sent::Text(text, cuts) => (1, text.as_bytes(), cuts, Incoming::Text(text.clone())),
            Sent::Binary(data, cuts) => (
                2,
                &data[..],
                cuts,
                Incoming::Binary(Bytes::from(data.clone())),
            ),
            Sent::Ping(data) | Sent::Pong(data) => {
                let (opcode, item) = match message {
                    Sent::Ping(_) => (9, Incoming::Ping(Bytes::from(data.clone()))),
                    _ => (10, Incoming::Pong(Bytes::from(data.clone()))),
                };
                // Sent between the last two fragments of the message before, if it had more than one.
                match held.take() {
                    Some((last, message_item)) => {
                        frames.push(frame(true, opcode, data));
                        expected.push(item);
                        frames.push(last);
                        expected.push(message_item);
                    }
                    None => {
                        frames.push(frame(true, opcode, data));
                        expected.push(item);
                    }
                }
                continue;
            }
        };
        if let Some((last, message_item)) = held.take() {
            frames.push(last);
            expected.push(message_item);
        }
        let pieces = split(payload, cuts);
        let last = pieces.len() - 1;
        for (i, piece) in pieces.iter().enumerate() {
            let opcode = if i == 0 { opcode } else { 0 };
            if i == last && last > 0 {
                held = Some((frame(true, opcode, piece), item.clone()));
            } else {
                frames.push(frame(i == last, opcode, piece));
            }
        }
        if last == 0 {
            expected.push(item);
        }
    }
    if let Some((last, message_item)) = held {
        frames.push(last);
        expected.push(message_item);
    }
    (encode_all(&frames), expected)
}

/// A small corruption of a well-formed stream; positions are taken modulo the stream's length.
#[derive(Debug, Clone)]
pub(super) enum Mutation {
    /// XOR one byte.
    Flip(usize, u8),
    /// Insert bytes.
    Insert(usize, Vec<u8>),
    /// Insert a whole (possibly invalid) frame.
    Frame(usize, WireFrame),
    /// Cut the stream short.
    Truncate(usize),
}

pub(super) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, x)| Mutation::Flip(at, x)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), wire_frame()).prop_map(|(at, f)| Mutation::Frame(at, f)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

pub(super) fn mutate(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let at = |i: usize| i % (bytes.len() + 1);
    match mutation {
        Mutation::Flip(i, x) if !bytes.is_empty() => {
            let i = i % bytes.len();
            bytes[i] ^= x;
        }
        Mutation::Flip(..) => {}
        Mutation::Insert(i, inserted) => {
            let i = at(*i);
            bytes.splice(i..i, inserted.iter().copied());
        }
        Mutation::Frame(i, frame) => {
            let i = at(*i);
            let mut encoded = Vec::new();
            frame.encode(&mut encoded);
            bytes.splice(i..i, encoded);
        }
        Mutation::Truncate(i) => {
            let i = at(*i);
            bytes.truncate(i);
        }
    }
}

/// A well-formed stream with a few corruptions: deep into the decoder's states before anything goes wrong.
pub(super) fn corrupted_stream() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(sent(), 0..10),
        any::<[u8; 4]>(),
        prop::collection::vec(mutation(), 0..3),
    )
        .prop_map(|(messages, mask, mutations)| {
            let (mut bytes, _) = well_formed(&messages, mask);
            for m in &mutations {
                mutate(&mut bytes, m);
            }
            bytes
        })
}
