//! The promises the fuzzers check, shared by the property tests here (`cargo test`, bounded) and the
//! coverage-guided targets in `fuzz/` (cargo-fuzz, by hand), which include this file by its path. Each check
//! panics when a promise is broken, which both kinds of fuzzer report with the input.
//!
//! Only `webterm` and `bytes` here: the `fuzz/` crate has nothing else.

use std::path::Path;

use bytes::BytesMut;
use webterm::config::Config;
use webterm::protocol::{ClientMessage, MAX_CELLS, MAX_DIMENSION, Size};
use webterm::screen::Screen;
use webterm::ws::{Decoder, Incoming, Skip, Violation};

/// A frame header is at most 14 bytes: 2, 8 of extended length, 4 of mask.
const MAX_HEADER: usize = 14;

/// Everything one decoder gave for a stream: its items, the violation that ended it if one did, and then where
/// skipping the rest of the stream ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded {
    pub items: Vec<Incoming>,
    pub violation: Option<Violation>,
    pub skipped: Option<Skip>,
}

/// Feeds `chunks` in order to one decoder with the limit `max`, checking the decoder's promises at every step.
pub fn decode_chunks(max: usize, chunks: &[&[u8]]) -> Decoded {
    let mut decoder = Decoder::new(max);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for (at, chunk) in chunks.iter().enumerate() {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => {
                    check_item(&item, max);
                    items.push(item);
                }
                Ok(None) => {
                    assert!(
                        buf.len() < MAX_HEADER,
                        "{} bytes left over after Ok(None)",
                        buf.len()
                    );
                    break;
                }
                Err(violation) => {
                    assert!(
                        matches!(violation.code, 1002 | 1007 | 1009),
                        "{violation:?}"
                    );
                    assert!(
                        violation.reason.len() <= 123,
                        "the reason must fit in a close frame"
                    );
                    let mut more = BytesMut::from(&b"\x82\x80\0\0\0\0"[..]);
                    assert_eq!(
                        decoder.decode(&mut more),
                        Err(violation),
                        "a violation must stick"
                    );
                    return Decoded {
                        items,
                        violation: Some(violation),
                        skipped: Some(skip_rest(&mut decoder, buf, &chunks[at + 1..])),
                    };
                }
            }
        }
    }
    Decoded {
        items,
        violation: None,
        skipped: None,
    }
}

/// After a violation: what is left of the stream goes to `Decoder::skip`, which must take it all (but perhaps the
/// start of a header) until the close frame, and never panic. Returns what it said last.
fn skip_rest(decoder: &mut Decoder, mut buf: BytesMut, chunks: &[&[u8]]) -> Skip {
    let mut last = Skip::More;
    for chunk in std::iter::once(&[][..]).chain(chunks.iter().copied()) {
        buf.extend_from_slice(chunk);
        last = decoder.skip(&mut buf);
        match last {
            Skip::More => assert!(
                buf.len() < MAX_HEADER,
                "{} bytes left after More",
                buf.len()
            ),
            Skip::Closed => break,
            Skip::Lost => assert!(buf.is_empty(), "Lost leaves nothing"),
        }
    }
    last
}

fn check_item(item: &Incoming, max: usize) {
    match item {
        Incoming::Text(text) => assert!(
            text.len() <= max,
            "a {}-byte text passed the {max}-byte limit",
            text.len()
        ),
        Incoming::Binary(data) => assert!(
            data.len() <= max,
            "a {}-byte message passed the {max}-byte limit",
            data.len()
        ),
        Incoming::Ping(data) | Incoming::Pong(data) => assert!(data.len() <= 125),
        Incoming::Close(Some(close)) => {
            assert!(close.reason.len() <= 123);
            assert!(
                matches!(close.code, 1000..=1003 | 1007..=1014 | 3000..=4999),
                "close code {}",
                close.code
            );
        }
        Incoming::Close(None) => {}
    }
}

/// Decodes `data` as a stream cut into pieces: its first two bytes choose the message limit (0 to 65535), the
/// third the size of the pieces (0: whole).
pub fn frames(data: &[u8]) -> Decoded {
    let [a, b, piece, stream @ ..] = data else {
        return decode_chunks(0, &[data]);
    };
    let max = usize::from(u16::from_be_bytes([*a, *b]));
    let chunks: Vec<&[u8]> = match piece {
        0 => vec![stream],
        n => stream.chunks(usize::from(*n)).collect(),
    };
    decode_chunks(max, &chunks)
}

/// Parses a control message: never a panic, and a resize is accepted exactly within the limits.
pub fn control(text: &str) {
    if let Ok(ClientMessage::Resize { cols, rows }) = ClientMessage::parse(text) {
        assert!(
            within_limits(cols.into(), rows.into()),
            "{cols}x{rows} accepted from {text:?}"
        );
    }
}

/// Whether a client may ask for a terminal of `cols` x `rows` (`webterm::protocol`'s limits).
pub fn within_limits(cols: i64, rows: i64) -> bool {
    let side = |v: i64| (1..=i64::from(MAX_DIMENSION)).contains(&v);
    side(cols) && side(rows) && cols * rows <= i64::from(MAX_CELLS)
}

/// Parses a config file: a refusal must name the file and say what is wrong.
pub fn config(text: &str) {
    if let Err(error) = Config::parse(text, Path::new("fuzz.toml")) {
        let message = error.to_string();
        let prefix = "invalid config file fuzz.toml: ";
        assert!(
            message.starts_with(prefix) && message.len() > prefix.len(),
            "{message}"
        );
    }
}

/// Program output into the server's screen: its first three bytes choose the size and the scrollback, the
/// fourth and fifth a resize halfway (when the fourth is odd). Never a panic, a snapshot starts with a full
/// reset, and a screen rebuilt from a snapshot rebuilds itself exactly: its own snapshot is the same bytes.
/// (The first rebuild may drop what a snapshot cannot carry, `src/screen/snapshot.rs`; the second has nothing
/// left to drop.)
pub fn screen(data: &[u8]) {
    let [cols, rows, history, resize_cols, resize_rows, output @ ..] = data else {
        return;
    };
    let size = |cols: u8, rows: u8| Size {
        cols: u16::from(cols % 40) + 1,
        rows: u16::from(rows % 12) + 1,
    };
    let budget = usize::from(*history) * 256;
    let mut a = Screen::new(size(*cols, *rows), budget);
    let (before, after) = output.split_at(output.len() / 2);
    a.feed(before);
    if resize_cols % 2 == 1 {
        a.resize(size(*resize_cols, *resize_rows));
    }
    a.feed(after);
    let first = a.snapshot();
    assert!(
        first.starts_with(b"\x1bc"),
        "a snapshot starts with a full reset"
    );
    let mut b = Screen::new(a.size(), budget);
    b.feed(&first);
    let second = b.snapshot();
    let mut c = Screen::new(b.size(), budget);
    c.feed(&second);
    let third = c.snapshot();
    assert!(
        second == third,
        "a rebuilt screen does not rebuild itself\nsecond: {:?}\nthird: {:?}",
        String::from_utf8_lossy(&second),
        String::from_utf8_lossy(&third)
    );
}
