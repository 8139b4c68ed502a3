//! Unit tests of the frame decoder: round trips, fragments and split feeding. The refusal rules are in `rules`.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::{CloseFrame, Decoder, Incoming, Skip, Violation};

mod rules;

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;
const MASK: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

/// The header of a masked client frame announcing `len` bytes, with the shortest length encoding.
fn header(fin: bool, opcode: u8, len: u64) -> Vec<u8> {
    let mut out = vec![u8::from(fin) << 7 | opcode];
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out
}

/// A whole masked client frame, as a browser would send it.
fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(fin, opcode, payload.len() as u64);
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(reason);
    out
}

/// Feeds `bytes` in one go and collects everything decoded, stopping at the first violation.
fn decode_all(max: usize, bytes: &[u8]) -> Vec<Result<Incoming, Violation>> {
    feed(&mut Decoder::new(max), &[bytes])
}

fn feed(decoder: &mut Decoder, chunks: &[&[u8]]) -> Vec<Result<Incoming, Violation>> {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => out.push(Ok(item)),
                Ok(None) => break,
                Err(violation) => {
                    out.push(Err(violation));
                    return out;
                }
            }
        }
    }
    out
}

fn violation_code(max: usize, bytes: &[u8]) -> u16 {
    match decode_all(max, bytes).pop() {
        Some(Err(violation)) => violation.code,
        other => panic!("expected a violation, got {other:?}"),
    }
}

fn text(s: &str) -> Result<Incoming, Violation> {
    Ok(Incoming::Text(s.to_owned()))
}

#[test]
fn every_length_encoding_round_trips() {
    for len in [0, 1, 125, 126, 127, 0xFFFF, 0x1_0000, 200_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let got = decode_all(1 << 20, &frame(true, BINARY, &payload));
        assert_eq!(
            got,
            vec![Ok(Incoming::Binary(Bytes::from(payload.clone())))],
            "len {len}"
        );
        let text_payload = "é".repeat(len / 2);
        assert_eq!(
            decode_all(1 << 20, &frame(true, TEXT, text_payload.as_bytes())),
            vec![text(&text_payload)]
        );
    }
}

#[test]
fn control_frames_round_trip() {
    let mut bytes = frame(true, PING, b"ping!");
    bytes.extend(frame(true, PONG, b""));
    bytes.extend(frame(true, CLOSE, &close_payload(1000, "bye ☺".as_bytes())));
    bytes.extend(frame(true, CLOSE, b""));
    assert_eq!(
        decode_all(1024, &bytes),
        vec![
            Ok(Incoming::Ping(Bytes::from_static(b"ping!"))),
            Ok(Incoming::Pong(Bytes::new())),
            Ok(Incoming::Close(Some(CloseFrame {
                code: 1000,
                reason: "bye ☺".to_owned()
            }))),
            Ok(Incoming::Close(None)),
        ]
    );
}

#[test]
fn fragments_are_joined_and_control_frames_between_them_come_at_once() {
    let mut bytes = frame(false, TEXT, b"he");
    bytes.extend(frame(true, PING, b"p"));
    bytes.extend(frame(false, CONTINUATION, b"ll"));
    bytes.extend(frame(true, CONTINUATION, b"o"));
    bytes.extend(frame(false, BINARY, &[1]));
    bytes.extend(frame(true, CONTINUATION, &[2, 3]));
    assert_eq!(
        decode_all(1024, &bytes),
        vec![
            Ok(Incoming::Ping(Bytes::from_static(b"p"))),
            text("hello"),
            Ok(Incoming::Binary(Bytes::from_static(&[1, 2, 3]))),
        ]
    );
}

/// A mixed stream exercising every state: fragments, interleaved control frames, split UTF-8, 7- and 16-bit lengths.
fn mixed_stream() -> (Vec<u8>, Vec<Result<Incoming, Violation>>) {
    let snow = "☃".as_bytes();
    let big: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let mut bytes = frame(false, TEXT, &[b'a', snow[0]]);
    bytes.extend(frame(true, PING, b"p1"));
    bytes.extend(frame(false, CONTINUATION, &snow[1..]));
    bytes.extend(frame(true, CONTINUATION, b"z"));
    bytes.extend(frame(true, BINARY, &big));
    bytes.extend(frame(true, TEXT, b""));
    bytes.extend(frame(true, CLOSE, &close_payload(4000, b"done")));
    let expected = vec![
        Ok(Incoming::Ping(Bytes::from_static(b"p1"))),
        text("a☃z"),
        Ok(Incoming::Binary(Bytes::from(big))),
        text(""),
        Ok(Incoming::Close(Some(CloseFrame {
            code: 4000,
            reason: "done".to_owned(),
        }))),
    ];
    (bytes, expected)
}

#[test]
fn splitting_the_stream_at_every_byte_gives_the_same_result() {
    let (bytes, expected) = mixed_stream();
    for at in 0..=bytes.len() {
        let got = feed(&mut Decoder::new(1024), &[&bytes[..at], &bytes[at..]]);
        assert_eq!(got, expected, "split at {at}");
    }
    let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(feed(&mut Decoder::new(1024), &one_by_one), expected);
}

#[test]
fn payload_is_taken_out_of_the_buffer_as_it_arrives() {
    let bytes = frame(true, BINARY, &[9; 1000]);
    let mut decoder = Decoder::new(1000);
    let mut buf = BytesMut::from(&bytes[..500]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(buf.is_empty(), "{} bytes left in the buffer", buf.len());
    buf.extend_from_slice(&bytes[500..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(Some(Incoming::Binary(Bytes::from(vec![9; 1000]))))
    );
}

#[test]
fn joining_65536_fragments_is_linear() {
    let piece = [b'x'; 64];
    let mut bytes = frame(false, TEXT, &piece);
    for _ in 1..65_535 {
        bytes.extend(frame(false, CONTINUATION, &piece));
    }
    bytes.extend(frame(true, CONTINUATION, &piece));
    let started = Instant::now();
    let got = decode_all(8 << 20, &bytes);
    // A quadratic join copies ~137 GB here and would take minutes even in release.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(got, vec![text(&"x".repeat(64 * 65_536))]);
}

/// Feeds `chunks` to a decoder and, from its violation on, to `skip`; returns the violation and what `skip` said
/// last (`More` if the chunks ran out first).
fn violate_then_skip(max: usize, chunks: &[&[u8]]) -> (Violation, Skip) {
    let mut decoder = Decoder::new(max);
    let mut buf = BytesMut::new();
    let mut violation = None;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while violation.is_none() {
            match decoder.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(v) => violation = Some(v),
            }
        }
        if let Some(violation) = violation {
            match decoder.skip(&mut buf) {
                Skip::More => assert!(buf.len() < 14, "{} bytes left after More", buf.len()),
                done => return (violation, done),
            }
        }
    }
    (violation.expect("a violation"), Skip::More)
}

#[test]
fn after_a_violation_frames_are_dropped_until_the_clients_close_frame() {
    let unmasked = {
        let mut out = frame(true, BINARY, &[7; 40]);
        out[1] &= 0x7F;
        out.drain(2..6);
        out
    };
    let mut bad_text = vec![b'a'; 150];
    bad_text[20] = 0xFF;
    let cases: [(&str, Vec<u8>, u16); 6] = [
        ("invalid UTF-8", frame(true, TEXT, &bad_text), 1007),
        ("reserved bits", frame(true, BINARY | 0x40, &[1; 200]), 1002),
        ("reserved opcode", frame(true, 0x3, &[2; 300]), 1002),
        ("over the limit", frame(true, BINARY, &[3; 2000]), 1009),
        ("not masked", unmasked, 1002),
        ("continuation first", frame(true, CONTINUATION, b"x"), 1002),
    ];
    for (name, violating, code) in cases {
        let mut bytes = violating;
        // What a client may still send before it answers our close frame, the answer, and bytes after it.
        bytes.extend(frame(true, PONG, b"late"));
        bytes.extend(frame(false, TEXT, &[b'x'; 200]));
        bytes.extend(frame(true, CONTINUATION, &[b'y'; 70_000]));
        bytes.extend(frame(true, CLOSE, &close_payload(1000, b"")));
        bytes.extend_from_slice(b"\xFF\xFF junk after the close");
        for at in (0..bytes.len()).step_by(97) {
            let (violation, skip) = violate_then_skip(1000, &[&bytes[..at], &bytes[at..]]);
            assert_eq!(violation.code, code, "{name}, split at {at}");
            assert_eq!(skip, Skip::Closed, "{name}, split at {at}");
        }
        let bytes: Vec<&[u8]> = bytes.chunks(5).collect();
        assert_eq!(violate_then_skip(1000, &bytes).1, Skip::Closed, "{name}");
    }
}

#[test]
fn a_refused_close_frame_is_the_clients_close() {
    let bytes = frame(true, CLOSE, &close_payload(999, b""));
    let (violation, skip) = violate_then_skip(1000, &[&bytes]);
    assert_eq!((violation.code, skip), (1002, Skip::Closed));
}

#[test]
fn a_violation_before_the_close_frame_arrives_waits_for_it() {
    let bytes = frame(true, BINARY | 0x20, b"rsv");
    assert_eq!(violate_then_skip(1000, &[&bytes]).1, Skip::More);
}

#[test]
fn a_length_no_frame_may_have_loses_the_frames() {
    let mut bytes = vec![0x82, 0xFF];
    bytes.extend_from_slice(&u64::MAX.to_be_bytes());
    bytes.extend_from_slice(&MASK);
    bytes.extend(frame(true, CLOSE, b""));
    let mut decoder = Decoder::new(1000);
    let mut buf = BytesMut::from(&bytes[..]);
    assert_eq!(decoder.decode(&mut buf).map_err(|v| v.code), Err(1002));
    assert_eq!(decoder.skip(&mut buf), Skip::Lost);
    assert!(buf.is_empty());
}
