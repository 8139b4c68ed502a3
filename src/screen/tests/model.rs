//! The model itself: feeding in chunks, the scrollback budget, resizing, snapshot size, and the tracker
//! forwarding every parser call.

use alacritty_terminal::event::VoidListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::{Column, Line};
use alacritty_terminal::term::cell::Cell;
use alacritty_terminal::term::test::TermSize;
use alacritty_terminal::term::{Config, Term};
use alacritty_terminal::vte::ansi::{Color, NamedColor, Processor};

use super::{Expect, ROOMY, actual_grid, cell, compare, fed, round_trip, size};
use crate::screen::Screen;

#[test]
fn a_snapshot_taken_in_the_middle_of_a_sequence_reads_the_rest_like_the_screen_does() {
    // A client that attaches (or catches up) between two reads gets the snapshot, then the live output.
    // Controls carried out inside a sequence, strings ended every way, bytes vte ignores, broken UTF-8.
    let whole: &[u8] = &[
        "ab\x1b[31mé中\x1b]2;title\x07\x1b[1;\t4mz\x1bPq#0\x1b\\y\x1b]2;t2\x1b\\".as_bytes(),
        b"\x1bP1$q\x9c\x1b[\x853C\x1b_apc\x07\x1b\\x\xe0\x80y\xf0\x9f\x98z\x1b(\r0q\x1b(B",
        "\r\nп мир é\x1b".as_bytes(),
        b"\xc3\xa9x",
    ]
    .concat();
    let mut at_once = fed(10, 3, whole);
    for cut in 1..whole.len() {
        let mut server = fed(10, 3, &whole[..cut]);
        let mut client = Screen::new(size(10, 3), ROOMY);
        client.feed(&server.snapshot());
        client.feed(&whole[cut..]);
        assert_eq!(
            compare(&mut at_once, &mut client, Expect::Same),
            Ok(()),
            "cut at {cut}"
        );
    }
}

#[test]
fn a_character_split_between_reads_takes_nothing_after_it_with_it() {
    // vte 0.15 joins a split character itself, but then skips the bytes after it that it read ahead.
    let whole = "п мир\r\né\x1b[1mb\x1b[0m".as_bytes();
    let at_once = same_when_cut_anywhere(20, 3, whole);
    assert_eq!(at_once.lines()[0], "п мир");
}

/// Feeds `whole` to a screen of `cols` x `rows` at once, and in two reads cut at every byte: each screen must be
/// the same. Returns the one fed at once.
fn same_when_cut_anywhere(cols: u16, rows: u16, whole: &[u8]) -> Screen {
    let mut at_once = fed(cols, rows, whole);
    for cut in 1..whole.len() {
        let mut split = Screen::new(size(cols, rows), ROOMY);
        split.feed(&whole[..cut]);
        split.feed(&whole[cut..]);
        assert_eq!(
            compare(&mut at_once, &mut split, Expect::Same),
            Ok(()),
            "cut at {cut}"
        );
    }
    at_once
}

#[test]
fn chunks_may_split_escape_sequences_and_utf8_characters() {
    let whole = "ab\x1b[31mé中\x1b]2;title\x07z".as_bytes();
    let mut at_once = same_when_cut_anywhere(10, 3, whole);
    let mut byte_by_byte = Screen::new(size(10, 3), ROOMY);
    for byte in whole {
        byte_by_byte.feed(&[*byte]);
    }
    assert_eq!(
        compare(&mut at_once, &mut byte_by_byte, Expect::Same),
        Ok(())
    );
    assert_eq!(byte_by_byte.lines()[0], "abé中z");
    assert_eq!(cell(&byte_by_byte, 0, 2).fg, Color::Named(NamedColor::Red));
    assert_eq!(byte_by_byte.title(), Some("title"));
}

#[test]
fn synchronized_updates_are_applied_at_once() {
    // vte would hold these bytes back until the update ends; the model must not.
    let screen = fed(10, 2, b"\x1b[?2026hinside");
    assert_eq!(screen.lines()[0], "inside");
}

#[test]
fn the_scrollback_keeps_only_what_the_budget_buys() {
    let cols = 20;
    let budget = 10 * usize::from(cols) * std::mem::size_of::<Cell>();
    let mut screen = Screen::new(size(cols, 4), budget);
    for number in 0..5000 {
        screen.feed(format!("line {number}\r\n").as_bytes());
    }
    let grid = screen.term.grid();
    assert_eq!(grid.history_size(), 10);
    assert_eq!(grid.total_lines(), 14);
    assert_eq!(grid[Line(-10)][Column(5)].c, '4');
    assert_eq!(screen.lines()[0], "line 4997");

    let mut none = Screen::new(size(cols, 4), 0);
    none.feed(b"1\r\n2\r\n3\r\n4\r\n5\r\n6");
    assert_eq!(none.term.grid().history_size(), 0);
    round_trip(&mut none);
}

#[test]
fn resizing_keeps_the_content_and_rebudgets_the_scrollback() {
    let cols = 10;
    let budget = 40 * usize::from(cols) * std::mem::size_of::<Cell>();
    let mut screen = Screen::new(size(cols, 3), budget);
    screen.feed(b"0123456789abcde\r\nshort");
    screen.resize(size(20, 3));
    assert_eq!(screen.size(), size(20, 3));
    assert_eq!(screen.lines(), ["0123456789abcde", "short", ""]);
    for number in 0..100 {
        screen.feed(format!("\r\n{number}").as_bytes());
    }
    assert_eq!(screen.term.grid().history_size(), 20);

    screen.resize(size(5, 2));
    assert_eq!(screen.lines(), ["98", "99"]);
    round_trip(&mut screen);

    // An unchanged size keeps the scroll region (as `Term` does); a new one resets it.
    screen.feed(b"\x1b[1;2r");
    screen.resize(size(5, 2));
    assert_eq!(screen.hidden.scroll_region, None);
    screen.resize(size(5, 3));
    screen.feed(b"\x1b[2;3r");
    screen.resize(size(5, 3));
    assert_eq!(screen.hidden.scroll_region, Some((2, 3)));
    screen.resize(size(5, 4));
    assert_eq!(screen.hidden.scroll_region, None);
    assert_eq!(Screen::new(size(1, 1), 0).size(), size(2, 1));
}

#[test]
fn tab_stops_and_the_scroll_region_follow_a_resize() {
    let mut a = fed(12, 4, b"\x1b[3g\x1b[4G\x1bH\x1b[11G\x1bH\x1b[2;3r");
    a.resize(size(20, 5));
    assert_eq!(a.hidden.scroll_region, None);
    let mut b = round_trip(&mut a);
    // Column 3 kept its stop, column 10 too; the new columns 16.. got the default one at 16.
    let output = b"\x1b[H\tA\tB\tC\tD\r\n\n\n\nlast";
    a.feed(output);
    b.feed(output);
    assert_eq!(compare(&mut a, &mut b, Expect::Same), Ok(()));
    assert_eq!(b.lines()[0], "   A      B     C  D");
    assert_eq!(b.lines()[4], "last");
}

#[test]
fn a_full_screen_with_500_lines_of_history_snapshots_below_100_kb() {
    let mut screen = Screen::new(size(80, 24), 10 << 20);
    for number in 0..524 {
        let line = format!(
            "{number:>5} {}",
            "the quick brown fox jumps over the lazy dog ".repeat(2)
        );
        screen.feed(format!("{}\r\n", &line[..79]).as_bytes());
    }
    assert!(screen.term.grid().history_size() >= 500);
    let snapshot = screen.snapshot();
    assert!(snapshot.len() < 100_000, "{} bytes", snapshot.len());
}

#[test]
fn every_parser_call_reaches_the_term() {
    // The tracker forwards by hand; a call it forgot would silently do nothing. Compare with a bare `Term`.
    let output = "text\ttab\x08\x1b[2;3H\x1b[1;31mA\x1b[2@\x1b[1P\x1b[2X\x1b[K\x1b[1J\x1b[2L\x1b[1M\
                  \x1b[S\x1b[T\x1bM\x1bD\x1bE\x1b[3A\x1b[2B\x1b[4C\x1b[1D\x1b[2E\x1b[1F\x1b[5G\x1b[3d\
                  \x1b[2I\x1b[1Z\x1b7\x1b[4;4H\x1b8\x1b[?7l\x1b[?25l\x1b[4h\x1b=\x1b(0q\x0e\x0f\x1b[5 q\
                  \x1b]8;;u\x1b\\l\x1b]8;;\x1b\\\x1b#8\x1b[?1049hmore\x1b[3;4r\x1b[?6h\x1bHb\x1b[3g中\u{301}";
    let screen = fed(12, 6, output.as_bytes());
    let mut term = Term::new(Config::default(), &TermSize::new(12, 6), VoidListener);
    let mut parser: Processor = Processor::new();
    parser.advance(&mut term, output.as_bytes());
    assert_eq!(actual_grid(screen.term.grid()), actual_grid(term.grid()));
    assert_eq!(screen.term.mode(), term.mode());
    assert_eq!(screen.term.cursor_style(), term.cursor_style());
}

#[test]
fn a_screen_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Screen>();
}

#[test]
fn a_file_transfer_leaves_the_screen_and_the_scrollback_as_they_were_but_for_its_last_word() {
    let mut output =
        b"before\r\n$ tsz f\r\n\x1b7::TRZSZ:TRANSFER:S:1.1.7:9636428792800\r\n#CFG:eJyrVg==\n"
            .to_vec();
    for _ in 0..3000 {
        output.extend_from_slice(
            b"#DATA:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1\n",
        );
    }
    output.extend_from_slice(b"\x1b8\x1b[0JSaved 1 file/directory\r\n- f\r\n$ ");
    let mut screen = fed(80, 24, &output);
    let lines = screen.lines();
    assert_eq!(
        lines[..5],
        ["before", "$ tsz f", "Saved 1 file/directory", "- f", "$"],
        "{lines:?}"
    );
    let snapshot = screen.snapshot();
    assert!(
        !snapshot.windows(6).any(|w| w == b"#DATA:"),
        "the transfer is in the snapshot"
    );
}
