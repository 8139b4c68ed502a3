//! Where the program's output stands between escape sequences, read alongside the parser.
//!
//! Two uses. Output is read in chunks that split sequences and UTF-8 characters anywhere, and a snapshot can
//! be taken between any two: the bytes of the unfinished sequence (the [`Sequences::tail`]) go after the
//! snapshot, so that a client's parser continues where the server's stands, and the rest of the sequence that
//! comes live is not printed as text. The parser keeps a whole OSC string (a title, a link, a clipboard write)
//! until it ends: past [`MAX_OSC`] bytes the rest is left out, so a string that never ends cannot grow the
//! server's memory. And a UTF-8 character split between two reads reaches the parser whole, with the next read:
//! vte 0.15 joins the halves itself, but then skips up to two bytes after the character (a space, an ESC).

/// The longest OSC string the parser is given; the rest of a longer one is left out.
pub const MAX_OSC: usize = 64 * 1024;

/// The most of an unfinished sequence other than an OSC string kept for the next snapshot: its start, which says
/// what it is (a DCS string longer than this, an image, reaches a client that attaches during it cut). An OSC
/// string is kept as far as the parser gets it, [`MAX_OSC`].
pub const MAX_TAIL: usize = 4 * 1024;

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
const CAN: u8 = 0x18;
const SUB: u8 = 0x1a;

/// The state of the stream after the bytes so far, as vte's parser reads it (only as far as telling where a
/// sequence starts and ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// Inside a UTF-8 character: `left` bytes to come, the next within `next` (the ranges of `str::from_utf8`).
    Utf8 {
        left: u8,
        next: (u8, u8),
    },
    Escape,
    EscapeIntermediate,
    /// A CSI sequence, which ends with its final byte (even one vte ignores).
    Csi,
    /// A DCS sequence before its parameters, among them, among its intermediates (each until its final byte),
    /// or ignored for a byte out of place (then only CAN, SUB or ESC end it).
    DcsEntry,
    DcsParam,
    DcsIntermediate,
    DcsIgnore,
    /// A DCS string, which ends with ST (`ESC \` or 0x9c).
    Dcs,
    /// An SOS, PM or APC string, ignored until CAN, SUB or ESC.
    Ignored,
    /// An OSC string with its length so far, which ends with BEL (or ESC: `ESC \`).
    Osc {
        len: usize,
    },
}

/// The reader. See the module documentation.
#[derive(Debug)]
pub struct Sequences {
    state: State,
    tail: Vec<u8>,
    /// The start of a UTF-8 character that the last read ended in, held from the parser until the next.
    held: Vec<u8>,
}

impl Sequences {
    /// At the start of a stream.
    pub fn new() -> Sequences {
        Sequences {
            state: State::Ground,
            tail: Vec::new(),
            held: Vec::new(),
        }
    }

    /// Reads `bytes` and hands `parse` the parts the parser is to get: all of them, in order, but for the
    /// part of an OSC string past [`MAX_OSC`].
    pub fn scan(&mut self, bytes: &[u8], mut parse: impl FnMut(&[u8])) {
        let joined;
        let bytes = if self.held.is_empty() {
            bytes
        } else {
            // The held start of a character is read again, now with what follows it.
            joined = [std::mem::take(&mut self.held).as_slice(), bytes].concat();
            self.state = State::Ground;
            self.tail.clear();
            joined.as_slice()
        };
        let mut kept = 0;
        let mut i = 0;
        while i < bytes.len() {
            if self.state == State::Ground {
                // Text and C0 controls leave the stream between sequences: skip to what may not.
                match bytes[i..].iter().position(|&b| b == ESC || b >= 0x80) {
                    Some(text) => i += text,
                    None => break,
                }
            }
            let byte = bytes[i];
            let before = self.state;
            if self.step(byte) {
                if kept < i {
                    parse(&bytes[kept..i]);
                }
                kept = i + 1;
                i += 1;
                continue;
            }
            match (before, self.state) {
                // A long string's room is given back: a session keeps it for its whole life otherwise.
                (_, State::Ground) if self.tail.capacity() > MAX_TAIL => self.tail = Vec::new(),
                (_, State::Ground) => self.tail.clear(),
                // A sequence starts here: with an ESC, or with a UTF-8 lead byte.
                (_, State::Escape) if byte == ESC => self.restart(&[ESC]),
                (State::Ground | State::Utf8 { .. }, State::Utf8 { .. }) if byte >= 0xc0 => {
                    self.restart(&[byte])
                }
                // A C0 control within an escape sequence is carried out at once, not kept for later.
                (State::Escape | State::EscapeIntermediate | State::Csi, _)
                    if byte < 0x20 || byte == 0x7f => {}
                (_, State::Osc { .. }) if self.tail.len() < MAX_OSC + 2 => self.tail.push(byte),
                (_, State::Osc { .. }) => {}
                _ if self.tail.len() < MAX_TAIL => self.tail.push(byte),
                _ => {}
            }
            i += 1;
        }
        let mut end = bytes.len();
        if let State::Utf8 { .. } = self.state {
            // The read ends inside a character: its start (the tail) waits for the rest.
            end -= self.tail.len();
            self.held = std::mem::take(&mut self.tail);
            self.state = State::Ground;
        }
        if kept < end {
            parse(&bytes[kept..end]);
        }
    }

    /// A new sequence starts with `start`.
    fn restart(&mut self, start: &[u8]) {
        self.tail.clear();
        self.tail.extend_from_slice(start);
    }

    /// The start of the sequence (or character) the stream is in the middle of (empty between sequences).
    pub fn tail(&self) -> &[u8] {
        if self.held.is_empty() {
            &self.tail
        } else {
            &self.held
        }
    }

    /// Moves the state on by `byte`; returns whether the parser is not to get it.
    fn step(&mut self, byte: u8) -> bool {
        self.state = match (self.state, byte) {
            // From any state: CAN and SUB cancel; ESC ends any string (vte carries it out at once, so the usual
            // `ESC \` does nothing more) and starts a sequence of its own.
            (_, CAN | SUB) => State::Ground,
            (_, ESC) => State::Escape,
            (State::Ground, _) => ground(byte),
            (
                State::Utf8 {
                    left,
                    next: (low, high),
                },
                _,
            ) if (low..=high).contains(&byte) => match left {
                1 => State::Ground,
                _ => State::Utf8 {
                    left: left - 1,
                    next: (0x80, 0xbf),
                },
            },
            // Not a continuation: the character is broken, and this byte starts afresh.
            (State::Utf8 { .. }, _) => ground(byte),
            (State::Escape, b'[') => State::Csi,
            (State::Escape, b']') => State::Osc { len: 0 },
            (State::Escape, b'P') => State::DcsEntry,
            (State::Escape, b'X' | b'^' | b'_') => State::Ignored,
            (State::Escape, 0x20..=0x2f) => State::EscapeIntermediate,
            (State::Escape | State::EscapeIntermediate, 0x30..=0x7e) => State::Ground,
            (State::Csi, 0x40..=0x7e) => State::Ground,
            (State::DcsEntry | State::DcsParam | State::DcsIntermediate, 0x40..=0x7e) => State::Dcs,
            (State::DcsEntry | State::DcsParam, 0x20..=0x2f) => State::DcsIntermediate,
            (State::DcsEntry, 0x30..=0x3f) | (State::DcsParam, 0x30..=0x3b) => State::DcsParam,
            (State::DcsParam | State::DcsIntermediate, 0x30..=0x3f) => State::DcsIgnore,
            (State::Dcs, 0x9c) => State::Ground,
            (State::Osc { len: _ }, BEL) => State::Ground,
            (State::Osc { len }, _) => {
                self.state = State::Osc { len: len + 1 };
                return len >= MAX_OSC;
            }
            // Anything else (parameters, intermediates, C0 controls, bytes the parser ignores) stays within.
            (state, _) => state,
        };
        false
    }
}

/// The state after `byte` between sequences.
fn ground(byte: u8) -> State {
    let utf8 = |left, low, high| State::Utf8 {
        left,
        next: (low, high),
    };
    match byte {
        0xc2..=0xdf => utf8(1, 0x80, 0xbf),
        0xe0 => utf8(2, 0xa0, 0xbf),
        0xed => utf8(2, 0x80, 0x9f),
        0xe1..=0xef => utf8(2, 0x80, 0xbf),
        0xf0 => utf8(3, 0x90, 0xbf),
        0xf4 => utf8(3, 0x80, 0x8f),
        0xf1..=0xf3 => utf8(3, 0x80, 0xbf),
        _ => State::Ground,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the parser gets, and the tail after.
    fn scan(chunks: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
        let mut sequences = Sequences::new();
        let mut parsed = Vec::new();
        for chunk in chunks {
            sequences.scan(chunk, |part| parsed.extend_from_slice(part));
        }
        (parsed, sequences.tail().to_vec())
    }

    #[test]
    fn between_sequences_there_is_no_tail() {
        for whole in [
            &b"plain text\r\n"[..],
            b"\x1b[31mred\x1b[0m",
            b"\x1b]0;title\x07",
            b"\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\",
            b"\x1bPq#0;2;0;0;0#0~~\x1b\\",
            b"\x1b(B\x1b7\x1b8",
            "caf\u{e9} \u{1f600}".as_bytes(),
        ] {
            let (parsed, tail) = scan(&[whole]);
            assert_eq!(parsed, whole);
            assert!(tail.is_empty(), "{whole:?} left {tail:?}");
        }
    }

    #[test]
    fn a_sequence_split_between_reads_leaves_its_start_as_the_tail() {
        let smile = "\u{1f600}".as_bytes();
        for (first, rest, tail) in [
            (&b"text\x1b[3"[..], &b"1mRED"[..], &b"\x1b[3"[..]),
            (b"\x1b", b"[2J", b"\x1b"),
            (b"\x1b]2;half a ti", b"tle\x07", b"\x1b]2;half a ti"),
            (b"\x1bPq#0;2", b";0;0;0\x1b\\", b"\x1bPq#0;2"),
            // The ESC ends the string (the parser carries it out): only the ESC is unfinished.
            (b"\x1b]0;t\x1b", b"\\", b"\x1b"),
            (b"x\xc3", b"\xa9", b"\xc3"),
            (&smile[..2], &smile[2..], &smile[..2]),
        ] {
            assert_eq!(scan(&[first]).1, tail, "after {first:?}");
            let (parsed, after) = scan(&[first, rest]);
            assert!(after.is_empty(), "after {first:?} and {rest:?}: {after:?}");
            assert_eq!(parsed, [first, rest].concat());
        }
    }

    #[test]
    fn a_tail_over_several_reads_is_kept_whole_up_to_its_limit() {
        let (_, tail) = scan(&[b"\x1b]2;", b"abc", b"def"]);
        assert_eq!(tail, b"\x1b]2;abcdef");
        let long = vec![b'x'; 10 * MAX_TAIL];
        let (_, tail) = scan(&[b"\x1bP", &long]);
        assert_eq!(tail.len(), MAX_TAIL);
        assert!(tail.starts_with(b"\x1bPxxx"));
    }

    #[test]
    fn an_unfinished_osc_string_is_kept_whole_for_the_snapshot_as_far_as_the_parser_got_it() {
        let link = [&b"\x1b]8;;http://x/"[..], &[b'a'; 3 * MAX_TAIL]].concat();
        assert_eq!(scan(&[&link]).1, link, "a link longer than MAX_TAIL, whole");
        let (_, tail) = scan(&[b"\x1b]2;", &[b't'; 2 * MAX_OSC]]);
        assert_eq!(tail.len(), 2 + MAX_OSC, "what the parser got");
    }

    #[test]
    fn an_osc_string_that_never_ends_reaches_the_parser_only_up_to_its_limit() {
        let mut sequences = Sequences::new();
        let mut parsed = 0;
        sequences.scan(b"\x1b]2;", |part| parsed += part.len());
        for _ in 0..100 {
            sequences.scan(&[b't'; 64 * 1024], |part| parsed += part.len());
        }
        // ESC ] and the string's first MAX_OSC bytes ("2;" and the title).
        assert_eq!(parsed, 2 + MAX_OSC);
        // It ends, and what follows reaches the parser again.
        sequences.scan(b"\x07after", |part| parsed += part.len());
        assert_eq!(parsed, 2 + MAX_OSC + 6);
        assert!(sequences.tail().is_empty());
    }

    #[test]
    fn a_control_carried_out_within_a_sequence_is_not_part_of_its_tail() {
        assert_eq!(scan(&[b"\x1b[1\t2"]).1, b"\x1b[12");
        assert_eq!(scan(&[b"\x1b(\r"]).1, b"\x1b(");
    }

    #[test]
    fn cancel_and_a_new_escape_end_a_sequence() {
        assert!(scan(&[b"\x1b[12\x18"]).1.is_empty());
        assert_eq!(scan(&[b"\x1b]2;t\x1b["]).1, b"\x1b[");
    }
}
