//! Property tests (a bounded, stable-Rust fuzzer): the WebSocket frame decoder, the control-message parser and
//! (in `config`) the config parser against arbitrary and adversarial input. Each property runs `PROPTEST_CASES` cases (512 unless set); run
//! longer by hand with e.g. `PROPTEST_CASES=1000000 cargo test --release --test it fuzz::` (see BENCHMARKS.md).

use bytes::BytesMut;
use proptest::prelude::*;
use webterm::protocol::{ClientMessage, MAX_DIMENSION};
use webterm::ws::{Decoder, Incoming, Skip, Violation};

mod config;
mod wire;

use wire::{Sent, corrupted_stream, encode_all, sent, split, well_formed, wire_frame};

/// A frame header is at most 14 bytes: 2, 8 of extended length, 4 of mask.
const MAX_HEADER: usize = 14;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Everything one decoder gave for a stream: its items, the violation that ended it if one did, and then where
/// skipping the rest of the stream ended.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    items: Vec<Incoming>,
    violation: Option<Violation>,
    skipped: Option<Skip>,
}

/// Feeds `chunks` in order to one decoder with the limit `max`, checking the decoder's promises at every step.
fn decode_chunks(max: usize, chunks: &[&[u8]]) -> Decoded {
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

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..4096), max in 0usize..3000) {
        decode_chunks(max, &[&bytes]);
    }

    #[test]
    fn plausible_frames_never_panic_the_decoder_nor_pass_its_limit(
        frames in prop::collection::vec(wire_frame(), 0..24),
        max in prop_oneof![0usize..300, 300usize..5000],
    ) {
        decode_chunks(max, &[&encode_all(&frames)]);
    }

    #[test]
    fn corrupted_streams_never_panic_the_decoder_nor_pass_its_limit(
        bytes in corrupted_stream(),
        max in prop_oneof![0usize..300, 300usize..5000],
    ) {
        decode_chunks(max, &[&bytes]);
    }

    #[test]
    fn split_feeding_decodes_like_whole_feeding(
        frames in prop::collection::vec(wire_frame(), 0..16),
        noise in prop::collection::vec(any::<u8>(), 0..64),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        max in 0usize..3000,
    ) {
        let mut bytes = encode_all(&frames);
        bytes.extend_from_slice(&noise);
        let whole = decode_chunks(max, &[&bytes]);
        prop_assert_eq!(&decode_chunks(max, &split(&bytes, &cuts)), &whole);
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(&decode_chunks(max, &bytewise), &whole);
    }

    #[test]
    fn split_feeding_of_corrupted_streams_decodes_like_whole_feeding(
        bytes in corrupted_stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        max in 0usize..3000,
    ) {
        let whole = decode_chunks(max, &[&bytes]);
        prop_assert_eq!(&decode_chunks(max, &split(&bytes, &cuts)), &whole);
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(&decode_chunks(max, &bytewise), &whole);
    }

    #[test]
    fn well_formed_messages_decode_to_what_was_sent(
        messages in prop::collection::vec(sent(), 0..12),
        mask in any::<[u8; 4]>(),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let (bytes, expected) = well_formed(&messages, mask);
        prop_assert_eq!(decode_chunks(1 << 20, &split(&bytes, &cuts)), Decoded { items: expected, violation: None, skipped: None });
    }

    #[test]
    fn a_message_over_the_limit_is_refused_with_1009(len in 1usize..5000, fragments in 1usize..4, mask in any::<[u8; 4]>()) {
        let max = len - 1;
        let data = vec![b'a'; len];
        let messages = [Sent::Binary(data, (1..fragments).map(|i| i * len / fragments).collect())];
        let (bytes, _) = well_formed(&messages, mask);
        let decoded = decode_chunks(max, &[&bytes]);
        prop_assert!(decoded.items.is_empty());
        prop_assert_eq!(decoded.violation.map(|v| v.code), Some(1009));
    }

    #[test]
    fn control_messages_never_panic_the_parser(text in ".{0,200}") {
        let _ = ClientMessage::parse(&text);
    }

    #[test]
    fn resize_is_accepted_exactly_within_the_limits(cols in any::<i64>(), rows in any::<i64>()) {
        let parsed = ClientMessage::parse(&format!(r#"{{"type":"resize","cols":{cols},"rows":{rows}}}"#));
        let in_range = |v: i64| (1..=i64::from(MAX_DIMENSION)).contains(&v);
        match parsed {
            Ok(message) => {
                prop_assert!(in_range(cols) && in_range(rows));
                prop_assert_eq!(message, ClientMessage::Resize { cols: cols as u32, rows: rows as u32 });
            }
            Err(error) => prop_assert!(!(in_range(cols) && in_range(rows)), "{}", error),
        }
    }
}
