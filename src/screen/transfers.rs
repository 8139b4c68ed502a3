//! File transfers in the output (trzsz's `tsz` and `trz`, which the page answers: `frontend/src/file_transfer.ts`)
//! are kept out of the model. A transfer is lines of encoded file data that the page never shows; drawn into the
//! model, they would fill the scrollback and the screen that a client attaching later gets.
//!
//! A transfer starts with `ESC 7` (save the cursor), a BEL from some trzsz, and trzsz's marker `::TRZSZ:TRANSFER:`,
//! and ends with `ESC 8` (restore the cursor), then `ESC [0J` and trzsz's last word, whether it succeeded, failed
//! or was stopped. The model gets the output up to the end of the marker, nothing until that `ESC 8`, and all from
//! it on: the marker is then erased from the model as from the page. Text that merely names the marker (a `grep`, a
//! log, this file in an editor) has no `ESC 7` before it, and starts nothing. A transfer whose program died without
//! its `ESC 8` is given up after `GIVE_UP_AFTER` without output.

use std::time::{Duration, Instant};

/// What `trz` and `tsz` print to start a transfer: ESC 7, a BEL (PyPI's trzsz 1.1.7 leaves it out), the marker.
const START: &[u8] = b"\x1b7\x07::TRZSZ:TRANSFER:";

/// Where in `START` the BEL that may be missing is.
const BEL: usize = 2;

/// ESC 8 (DECRC), trzsz's first bytes after a transfer.
const END: [u8; 2] = [0x1b, b'8'];

/// A transfer with no output for this long is over (its program died): the output is drawn again.
const GIVE_UP_AFTER: Duration = Duration::from_secs(30);

/// Where the output stands: between transfers (and how much of the marker the last bytes began), or in one.
#[derive(Debug)]
pub enum Transfers {
    /// Output is drawn; its last bytes matched the first `matched` of `START`.
    Between { matched: usize },
    /// Output is a transfer's, until its end; `escape`: its last byte was the end's ESC.
    In { escape: bool, last_output: Instant },
}

impl Default for Transfers {
    fn default() -> Self {
        Transfers::Between { matched: 0 }
    }
}

impl Transfers {
    /// Hands to `draw` the parts of `bytes` (output that came at `now`) that are not a transfer's, in order.
    pub fn filter(&mut self, mut bytes: &[u8], now: Instant, mut draw: impl FnMut(&[u8])) {
        while !bytes.is_empty() {
            match self {
                Transfers::Between { matched } => match find_marker(bytes, matched) {
                    Some(end) => {
                        draw(&bytes[..end]);
                        bytes = &bytes[end..];
                        *self = Transfers::In {
                            escape: false,
                            last_output: now,
                        };
                    }
                    None => {
                        draw(bytes);
                        return;
                    }
                },
                Transfers::In {
                    escape,
                    last_output,
                } => {
                    if now.duration_since(*last_output) >= GIVE_UP_AFTER {
                        *self = Transfers::default();
                        continue;
                    }
                    *last_output = now;
                    if *escape && bytes[0] == END[1] {
                        // The end's ESC came last in the bytes before.
                        draw(&END[..1]);
                        *self = Transfers::default();
                        continue;
                    }
                    match bytes.windows(2).position(|pair| pair == END) {
                        Some(at) => {
                            bytes = &bytes[at..];
                            *self = Transfers::default();
                        }
                        None => {
                            *escape = bytes.last() == Some(&END[0]);
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Where in `bytes` a transfer's start (`START`) ends, counting the `matched` bytes of it that the bytes before
/// ended with; else None, with `matched` what of it `bytes` ends with.
fn find_marker(bytes: &[u8], matched: &mut usize) -> Option<usize> {
    let mut at = 0;
    while at < bytes.len() {
        if *matched == 0 {
            // Most output has no ESC: on to the next one in one search.
            at += bytes[at..].iter().position(|&b| b == START[0])?;
        }
        let byte = bytes[at];
        *matched = if byte == START[*matched] {
            *matched + 1
        } else if *matched == BEL && byte == START[BEL + 1] {
            BEL + 2
        } else {
            // ESC is nowhere else in `START`: a broken match starts again only at one.
            usize::from(byte == START[0])
        };
        at += 1;
        if *matched == START.len() {
            *matched = 0;
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{GIVE_UP_AFTER, Transfers};

    /// What a `tsz` download writes, around two lines of shell output.
    const DOWNLOAD: &[u8] = b"$ tsz f\r\n\x1b7::TRZSZ:TRANSFER:S:1.1.7:9636428792800\r\n#CFG:eJyrVg==\n#NUM:1\n\
#NAME:Zg==\n#DATA:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n#MD5:YWJj\n\x1b8\x1b[0JSaved 1 file\r\n$ ";

    /// What the model gets of DOWNLOAD.
    const DRAWN: &[u8] = b"$ tsz f\r\n\x1b7::TRZSZ:TRANSFER:\x1b8\x1b[0JSaved 1 file\r\n$ ";

    /// What `Transfers` draws of `chunks`, fed in turn at `now`.
    fn drawn(transfers: &mut Transfers, chunks: &[&[u8]], now: Instant) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in chunks {
            transfers.filter(chunk, now, |part| out.extend_from_slice(part));
        }
        out
    }

    /// Asserts that `output` is drawn as `expected`, read whole and read byte by byte.
    fn assert_drawn(output: &[u8], expected: &[u8]) {
        let now = Instant::now();
        assert_eq!(
            drawn(&mut Transfers::default(), &[output], now),
            expected,
            "read whole"
        );
        let bytes: Vec<&[u8]> = output.chunks(1).collect();
        assert_eq!(
            drawn(&mut Transfers::default(), &bytes, now),
            expected,
            "byte by byte"
        );
    }

    #[test]
    fn output_without_a_transfer_is_drawn_as_it_is() {
        for output in [
            &b"a: b :: c ::TRZSZ: ::TRZSZ:TRANSFE \x1b8 \x1b7 :"[..],
            // Text that names the marker: a `grep` in a log, or trzsz's source, starts nothing.
            b"log: ::TRZSZ:TRANSFER:S:1.1.7:9636428792800\r\n#NUM:1\n",
            b"write('\\x1b7::TRZSZ:TRANSFER:S:%s\\r\\n')\r\n",
            // Nor do other escapes before it.
            b"\x1b[7m::TRZSZ:TRANSFER:S \x1b7\x07\x07::TRZSZ:TRANSFER:S \x1b7 ::TRZSZ:TRANSFER:S",
        ] {
            assert_drawn(output, output);
        }
    }

    #[test]
    fn a_transfer_whose_start_has_a_bel_is_left_out_too() {
        // Go's and Node's trzsz put a BEL after the ESC 7.
        let download = String::from_utf8_lossy(DOWNLOAD).replace("\x1b7", "\x1b7\x07");
        let expected = String::from_utf8_lossy(DRAWN).replace("\x1b7", "\x1b7\x07");
        assert_drawn(download.as_bytes(), expected.as_bytes());
    }

    #[test]
    fn a_transfer_is_left_out_from_the_end_of_its_marker_to_its_esc_8() {
        let mut transfers = Transfers::default();
        assert_eq!(drawn(&mut transfers, &[DOWNLOAD], Instant::now()), DRAWN);
        // And the next one, too.
        assert_eq!(
            drawn(&mut transfers, &[DOWNLOAD, DOWNLOAD], Instant::now()),
            [DRAWN, DRAWN].concat()
        );
    }

    #[test]
    fn the_same_wherever_the_reads_cut_the_output() {
        let now = Instant::now();
        for cut in 0..=DOWNLOAD.len() {
            let (a, b) = DOWNLOAD.split_at(cut);
            assert_eq!(
                drawn(&mut Transfers::default(), &[a, b], now),
                DRAWN,
                "cut at {cut}"
            );
        }
        assert_drawn(DOWNLOAD, DRAWN);
    }

    #[test]
    fn a_marker_after_a_false_start_is_found() {
        for output in [
            &b"\x1b\x1b7::TRZSZ:TRANSFER:x\x1b8y"[..],
            b"\x1b7\x1b7\x07::TRZSZ:TRANSFER:x\x1b8y",
            b"\x1b7::TRZSZ:\x1b7::TRZSZ:TRANSFER:x\x1b8y",
            b"\x1b7\x07::TRZSZ:TRANSFE\x1b7::TRZSZ:TRANSFER:x\x1b8y",
        ] {
            let end = output.windows(2).position(|w| w == b"\x1b8").unwrap();
            let marker_end = end - 1;
            let expected = [&output[..marker_end], &output[end..]].concat();
            assert_drawn(output, &expected);
        }
    }

    proptest::proptest! {
        /// Output made of markers, ends, their halves and other bytes: drawn the same however the reads cut it.
        #[test]
        fn any_output_is_drawn_the_same_however_the_reads_cut_it(
            pieces in proptest::collection::vec(proptest::sample::select(&PIECES[..]), 0..40),
            cuts in proptest::collection::vec(0usize..400, 0..8),
        ) {
            let output: Vec<u8> = pieces.concat();
            let now = Instant::now();
            let whole = drawn(&mut Transfers::default(), &[&output], now);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| cut.min(output.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([output.len()]) {
                chunks.push(&output[from..cut]);
                from = cut;
            }
            proptest::prop_assert_eq!(drawn(&mut Transfers::default(), &chunks, now), whole);
        }
    }

    /// What the property's output is made of.
    const PIECES: [&[u8]; 13] = [
        b"\x1b7::TRZSZ:TRANSFER:",
        b"\x1b7\x07::TRZSZ:TRANSFER:",
        b"::TRZSZ:TRANSFER:",
        b"::TRZSZ:",
        b"TRANSFER:",
        b":",
        b"\x1b8",
        b"\x1b",
        b"8",
        b"\x07",
        b"#DATA:AAEC\n",
        b"text\r\n",
        b"\x1b7",
    ];

    #[test]
    fn a_transfer_silent_for_long_is_given_up_and_the_output_drawn_again() {
        let start = Instant::now();
        let mut transfers = Transfers::default();
        let begun = drawn(
            &mut transfers,
            &[b"\x1b7::TRZSZ:TRANSFER:S:1\r\n#NUM:1\n"],
            start,
        );
        assert_eq!(begun, b"\x1b7::TRZSZ:TRANSFER:");
        let later = start + GIVE_UP_AFTER - Duration::from_secs(1);
        assert_eq!(drawn(&mut transfers, &[b"#DATA:AA==\n"], later), b"");
        // The program died: the shell's prompt comes after a silence.
        let prompt = later + GIVE_UP_AFTER;
        assert_eq!(
            drawn(&mut transfers, &[b"Killed\r\n$ "], prompt),
            b"Killed\r\n$ "
        );
    }
}
