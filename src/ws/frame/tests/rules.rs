//! The decoder refuses what RFC 6455 forbids, with the right close code, as early as the bytes allow.

use bytes::BytesMut;

use super::{
    BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT, close_payload, decode_all, feed, frame, header,
    text, violation_code,
};
use crate::ws::frame::{CloseFrame, Decoder, Incoming};

#[test]
fn unmasked_client_frames_are_refused() {
    assert_eq!(violation_code(1024, &[0x81, 0x02, b'h', b'i']), 1002);
}

#[test]
fn reserved_bits_are_refused() {
    for rsv in [0x40, 0x20, 0x10] {
        let mut bytes = frame(true, TEXT, b"hi");
        bytes[0] |= rsv;
        assert_eq!(violation_code(1024, &bytes), 1002);
    }
}

#[test]
fn reserved_opcodes_are_refused() {
    for opcode in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        assert_eq!(
            violation_code(1024, &frame(true, opcode, b"")),
            1002,
            "opcode {opcode}"
        );
    }
}

#[test]
fn fragmented_or_long_control_frames_are_refused() {
    for opcode in [PING, PONG, CLOSE] {
        assert_eq!(violation_code(1024, &frame(false, opcode, b"")), 1002);
        // Refused from the first two bytes: the rest of the header never arrives.
        assert_eq!(violation_code(1024, &header(true, opcode, 126)[..2]), 1002);
    }
    assert_eq!(decode_all(1024, &frame(true, PING, &[7; 125])).len(), 1);
}

#[test]
fn continuation_without_a_message_is_refused() {
    assert_eq!(violation_code(1024, &frame(true, CONTINUATION, b"x")), 1002);
    let mut bytes = frame(true, TEXT, b"done");
    bytes.extend(frame(true, CONTINUATION, b"x"));
    assert_eq!(violation_code(1024, &bytes), 1002);
}

#[test]
fn a_new_message_inside_a_fragmented_one_is_refused() {
    for opcode in [TEXT, BINARY] {
        let mut bytes = frame(false, BINARY, b"a");
        bytes.extend(frame(true, opcode, b"b"));
        assert_eq!(violation_code(1024, &bytes), 1002);
    }
}

#[test]
fn an_oversized_frame_is_refused_from_its_header_alone() {
    // Only the header: no mask key, no payload. The decoder must not wait for them.
    assert_eq!(violation_code(1000, &header(true, BINARY, 1001)), 1009);
    assert_eq!(violation_code(1000, &header(true, TEXT, 1 << 40)), 1009);
    assert_eq!(violation_code(100, &header(true, TEXT, 101)), 1009);
    assert_eq!(decode_all(1000, &frame(true, BINARY, &[0; 1000])).len(), 1);
}

#[test]
fn an_oversized_fragmented_message_is_refused_at_the_header_that_crosses_the_limit() {
    let mut bytes = frame(false, TEXT, &[b'a'; 600]);
    bytes.extend(header(true, CONTINUATION, 401));
    assert_eq!(violation_code(1000, &bytes), 1009);
    let mut bytes = frame(false, TEXT, &[b'a'; 600]);
    bytes.extend(frame(true, CONTINUATION, &[b'b'; 400]));
    assert_eq!(decode_all(1000, &bytes).len(), 1);
}

#[test]
fn a_64_bit_length_with_the_top_bit_set_is_refused() {
    let mut bytes = vec![0x82, 0x80 | 127];
    bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
    assert_eq!(violation_code(usize::MAX, &bytes), 1002);
}

#[test]
fn invalid_utf8_text_is_refused() {
    assert_eq!(
        violation_code(1024, &frame(true, TEXT, &[0xCE, 0xBA, 0xED, 0xA0, 0x80])),
        1007
    );
    // Incomplete at the end of the message.
    assert_eq!(
        violation_code(1024, &frame(true, TEXT, &[b'a', 0xE2, 0x82])),
        1007
    );
    let mut bytes = frame(false, TEXT, b"a");
    bytes.extend(frame(true, CONTINUATION, &[0xF0, 0x9F]));
    assert_eq!(violation_code(1024, &bytes), 1007);
}

#[test]
fn invalid_utf8_fails_before_the_last_fragment_arrives() {
    let mut decoder = Decoder::new(1024);
    let first = frame(false, TEXT, &[b'o', b'k', 0xC0, 0xAF]);
    assert_eq!(
        feed(&mut decoder, &[&first])
            .pop()
            .map(|r| r.map_err(|v| v.code)),
        Some(Err(1007))
    );
    // Inside one frame, too: only the first part of its payload has arrived.
    let whole = frame(true, TEXT, &[0xFF, b'a', b'b', b'c']);
    let mut decoder = Decoder::new(1024);
    assert_eq!(
        feed(&mut decoder, &[&whole[..7]])
            .pop()
            .map(|r| r.map_err(|v| v.code)),
        Some(Err(1007))
    );
}

#[test]
fn a_sequence_split_across_fragments_is_accepted() {
    let euro = "€".as_bytes();
    let mut bytes = frame(false, TEXT, &euro[..1]);
    bytes.extend(frame(false, CONTINUATION, &euro[1..2]));
    bytes.extend(frame(true, CONTINUATION, &euro[2..]));
    assert_eq!(decode_all(1024, &bytes), vec![text("€")]);
}

#[test]
fn bad_close_frames_are_refused() {
    assert_eq!(violation_code(1024, &frame(true, CLOSE, &[0x03])), 1002);
    for code in [
        0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        assert_eq!(
            violation_code(1024, &frame(true, CLOSE, &close_payload(code, b""))),
            1002,
            "code {code}"
        );
    }
    assert_eq!(
        violation_code(1024, &frame(true, CLOSE, &close_payload(1000, &[0xFF]))),
        1007
    );
}

#[test]
fn valid_close_codes_are_accepted() {
    for code in [
        1000, 1001, 1002, 1003, 1007, 1010, 1011, 1012, 1014, 3000, 3999, 4000, 4999,
    ] {
        let got = decode_all(1024, &frame(true, CLOSE, &close_payload(code, b"")));
        assert_eq!(
            got,
            vec![Ok(Incoming::Close(Some(CloseFrame {
                code,
                reason: String::new()
            })))]
        );
    }
}

#[test]
fn a_violation_is_final() {
    let mut decoder = Decoder::new(1024);
    let mut buf = BytesMut::from(&[0x81, 0x00][..]);
    assert_eq!(decoder.decode(&mut buf).map_err(|v| v.code), Err(1002));
    let mut buf = BytesMut::from(&frame(true, TEXT, b"fine")[..]);
    assert_eq!(decoder.decode(&mut buf).map_err(|v| v.code), Err(1002));
}
