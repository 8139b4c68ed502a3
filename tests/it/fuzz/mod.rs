//! Property tests (a bounded, stable-Rust fuzzer): the WebSocket frame decoder, the control-message parser, the
//! server's screen (program output in, a snapshot out) and (in `config`) the config parser against arbitrary and
//! adversarial input. The promises themselves are in `checks`, which the coverage-guided targets in `fuzz/` share.
//! Each property runs `PROPTEST_CASES` cases (512 unless set); run longer by hand with e.g.
//! `PROPTEST_CASES=1000000 cargo test --release --test it fuzz::` (see BENCHMARKS.md).

use proptest::prelude::*;
use webterm::protocol::{ClientMessage, MAX_DIMENSION};

mod checks;
mod config;
mod wire;

use checks::{Decoded, decode_chunks};
use wire::{Sent, corrupted_stream, encode_all, sent, split, well_formed, wire_frame};

/// What escape sequences are made of, for the screen's output.
const PIECES: [&[u8]; 40] = [
    b"\x1b[",
    b"\x1b[?",
    b"\x1b[>",
    b"\x1b]",
    b"\x1bP",
    b"\x1b",
    b";",
    b":",
    b"\x07",
    b"\x1b\\",
    b"m",
    b"H",
    b"J",
    b"K",
    b"r",
    b"h",
    b"l",
    b"@",
    b"P",
    b"L",
    b"M",
    b"S",
    b"T",
    b"X",
    b"b",
    b"t",
    b" q",
    b"\r\n",
    b"\t",
    b"\x08",
    "\u{e9}".as_bytes(),
    "\u{6f22}".as_bytes(),
    "\u{301}".as_bytes(),
    b"\x1b(0",
    b"\x1b#8",
    b"\x1b7",
    b"\x1b8",
    b"\x1bc",
    b"\x1b]8;;",
    b"\x1b]4;1;rgb:1/2/3",
];

/// Program output: random bytes mixed with numbers and the pieces of escape sequences.
fn output() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(&PIECES[..]).prop_map(<[u8]>::to_vec),
        (0u16..1100).prop_map(|n| n.to_string().into_bytes()),
    ];
    prop::collection::vec(piece, 0..160).prop_map(|pieces| pieces.concat())
}

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

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        checks::frames(&bytes);
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
    fn any_output_leaves_a_screen_whose_snapshot_rebuilds_itself(head in any::<[u8; 5]>(), output in output()) {
        checks::screen(&[&head[..], &output].concat());
    }

    #[test]
    fn control_messages_never_panic_the_parser(text in ".{0,200}") {
        checks::control(&text);
    }

    #[test]
    fn resize_is_accepted_exactly_within_the_limits(
        (cols, rows) in prop_oneof![
            (any::<i64>(), any::<i64>()),
            // Near the limits, where each side alone is fine but the cells may not be.
            (-2..=i64::from(MAX_DIMENSION) + 2, -2..=i64::from(MAX_DIMENSION) + 2),
        ]
    ) {
        let parsed = ClientMessage::parse(&format!(r#"{{"type":"resize","cols":{cols},"rows":{rows}}}"#));
        match parsed {
            Ok(message) => {
                prop_assert!(checks::within_limits(cols, rows));
                prop_assert_eq!(message, ClientMessage::Resize { cols: cols as u32, rows: rows as u32 });
            }
            Err(error) => prop_assert!(!checks::within_limits(cols, rows), "{}", error),
        }
    }
}
