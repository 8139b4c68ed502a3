//! The round trip with random output: text (ASCII, wide, combining, line-drawing letters), line breaks,
//! colours and attributes, cursor moves, erasing and inserting, scrolling and scroll regions, the alternate
//! screen, modes, tab stops, character sets, saved cursors, titles and links. Each case runs
//! `PROPTEST_CASES` times (256 unless set).
//!
//! Half the cases resize A halfway through its output. After the snapshot comparison, A and B both get more
//! random output and are compared again: state a snapshot forgot to carry (a scroll region, a tab stop, a
//! pending wrap) shows in where that output lands.

use std::mem;

use proptest::prelude::*;

use super::{Expect, GARBAGE, compare, expected_cursor, size};
use crate::screen::{Screen, cells};
use alacritty_terminal::grid::{Dimensions, Grid};
use alacritty_terminal::index::{Column, Line, Point};
use alacritty_terminal::term::TermMode;
use alacritty_terminal::term::cell::Cell;

/// Control sequences without parameters to choose from.
const SEQUENCES: &[&str] = &[
    "\r\n",
    "\n",
    "\r",
    "\t",
    "\x08",
    "\x1bM",
    "\x1bD",
    "\x1bE",
    "\x1b7",
    "\x1b8",
    "\x1bH",
    "\x1b[g",
    "\x1b[3g",
    "\x1b(0",
    "\x1b(B",
    "\x1b)0",
    "\x0e",
    "\x0f",
    "\x1b[?1049h",
    "\x1b[?1049l",
    "\x1b[r",
    "\x1b[?1h",
    "\x1b[?1l",
    "\x1b=",
    "\x1b>",
    "\x1b[?25l",
    "\x1b[?25h",
    "\x1b[?7l",
    "\x1b[?7h",
    "\x1b[?6h",
    "\x1b[?6l",
    "\x1b[4h",
    "\x1b[4l",
    "\x1b[20h",
    "\x1b[20l",
    "\x1b[?1000h",
    "\x1b[?1002h",
    "\x1b[?1003l",
    "\x1b[?1006h",
    "\x1b[?1005h",
    "\x1b[?2004h",
    "\x1b[?1004h",
    "\x1b[0m",
    "\x1b[1m",
    "\x1b[2m",
    "\x1b[3m",
    "\x1b[4m",
    "\x1b[4:3m",
    "\x1b[7m",
    "\x1b[8m",
    "\x1b[9m",
    "\x1b[22;24;27m",
    "\x1b[31m",
    "\x1b[42m",
    "\x1b[95m",
    "\x1b[104m",
    "\x1b[38;5;200m",
    "\x1b[48;5;21m",
    "\x1b[38;2;1;2;3m",
    "\x1b[48;2;250;0;9m",
    "\x1b[58;5;9m",
    "\x1b[59m",
    "\x1b[39;49m",
    "\x1b]8;;http://a/\x1b\\",
    "\x1b]8;id=b;http://b/\x1b\\",
    "\x1b]8;;\x1b\\",
    "\x1b]2;t\x07",
    "\x1b]0;\x07",
    "\x1b[4 q",
    "\x1b[0 q",
    "\x1b]4;3;rgb:01/02/03\x07",
    "\x1b]104\x07",
    "\x1bc",
    "\x1b[?3h",
];

/// Sequences left out after the snapshot (see `output_after`).
const AFTER_SNAPSHOT_EXCLUDED: &[&str] = &["\x1b8", "\x1b]8;;http://a/\x1b\\"];

/// Characters for text: ASCII (some of it line-drawing letters), wide, and a combining mark.
const CHARACTERS: &[char] = &[
    'a', 'b', 'q', 'x', 'l', ' ', '-', '中', '文', 'é', '\u{301}',
];

/// CSI finals that take a count.
const COUNTED: &[char] = &[
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'd', '@', 'P', 'X', 'L', 'M', 'S', 'T', 'I', 'Z', 'b',
];

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// One piece of program output; `after_snapshot` leaves out what `output_after` explains.
fn piece(after_snapshot: bool) -> impl Strategy<Value = String> {
    let sequences: Vec<&str> = SEQUENCES
        .iter()
        .copied()
        .filter(|&sequence| !after_snapshot || !AFTER_SNAPSHOT_EXCLUDED.contains(&sequence))
        .collect();
    let counted_finals: Vec<char> = COUNTED
        .iter()
        .copied()
        .filter(|&last| !after_snapshot || last != 'b')
        .collect();
    let text = prop::collection::vec(prop::sample::select(CHARACTERS), 1..12)
        .prop_map(|characters| characters.into_iter().collect::<String>());
    let counted = (1u16..14, prop::sample::select(counted_finals))
        .prop_map(|(count, last)| format!("\x1b[{count}{last}"));
    let erase = (0u16..4, prop::sample::select(&['J', 'K'][..]))
        .prop_map(|(mode, last)| format!("\x1b[{mode}{last}"));
    let position = (1u16..12, 1u16..20).prop_map(|(row, column)| format!("\x1b[{row};{column}H"));
    let region = (0u16..10, 0u16..10).prop_map(|(top, bottom)| format!("\x1b[{top};{bottom}r"));
    prop_oneof![
        6 => text,
        6 => prop::sample::select(sequences).prop_map(str::to_owned),
        2 => counted,
        1 => erase,
        2 => position,
        1 => region,
    ]
}

/// Output for A before the snapshot.
fn output_before() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(false), 0..60).prop_map(|pieces| pieces.concat())
}

/// Output for A and B after the snapshot. No ESC 8: it would restore the alternate screen's saved cursor
/// from an earlier alternate-screen session, which a snapshot cannot carry (see `snapshot.rs`). No REP
/// (CSI b): it repeats the last character the parser saw, which is not terminal state. No link without an
/// id: alacritty numbers those from a global counter, so A and B would name the same link differently.
fn output_after() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(true), 0..20).prop_map(|pieces| pieces.concat())
}

/// Whether the snapshot of `screen` carries all of its state: no cell `cells::normalized` changes (apart
/// from tab characters, which behave like spaces), no pending wrap it cannot restore, and no cursor outside
/// the scroll region in origin mode. Only then must later output land the same on A and B.
fn snapshot_is_exact(screen: &mut Screen) -> bool {
    let primary_exact = screen.with_primary_grid(grid_is_exact);
    let alternate_exact =
        !screen.term.mode().contains(TermMode::ALT_SCREEN) || grid_is_exact(screen.term.grid());
    primary_exact && alternate_exact && !cursor_outside_origin_region(screen)
}

/// See [`snapshot_is_exact`].
fn grid_is_exact(grid: &Grid<Cell>) -> bool {
    let cells_exact = (grid.topmost_line().0..=grid.bottommost_line().0).all(|line| {
        (0..grid.columns()).all(|column| {
            let point = Point::new(Line(line), Column(column));
            cells::normalized(grid, point).flags == grid[point].flags
        })
    });
    cells_exact
        && expected_cursor(grid, &grid.cursor) == grid.cursor
        && expected_cursor(grid, &grid.saved_cursor) == grid.saved_cursor
}

/// Whether origin mode is on and the cursor is outside the scroll region, where CUP cannot put it.
fn cursor_outside_origin_region(screen: &Screen) -> bool {
    let Some((top, bottom)) = screen.hidden.scroll_region else {
        return false;
    };
    let line = screen.term.grid().cursor.point.line.0 as usize;
    screen.term.mode().contains(TermMode::ORIGIN) && (line + 1 < top || line + 1 > bottom)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_output_survives_a_round_trip(
        cols in 4u16..=16,
        rows in 3u16..=7,
        history in 0usize..20,
        before in output_before(),
        resize_to in prop::option::of((4u16..=16, 3u16..=7)),
        before_after_resize in output_before(),
        after in output_after(),
    ) {
        let budget = history * usize::from(cols) * mem::size_of::<Cell>();
        let mut a = Screen::new(size(cols, rows), budget);
        a.feed(before.as_bytes());
        if let Some((cols, rows)) = resize_to {
            a.resize(size(cols, rows));
            a.feed(before_after_resize.as_bytes());
        }
        let snapshot = a.snapshot();
        for earlier in [&b""[..], GARBAGE] {
            let mut b = Screen::new(a.size(), budget);
            b.feed(earlier);
            b.feed(&snapshot);
            let result = compare(&mut a, &mut b, Expect::Snapshot);
            prop_assert!(
                result.is_ok(),
                "{}\nsnapshot: {:?}",
                result.unwrap_err(),
                String::from_utf8_lossy(&snapshot)
            );
        }

        // After a resize, alacritty itself may clear lines differently later: a row keeps a count of the
        // cells written since its last reset, and widening leaves cells past that count that a reset then
        // skips. That count is `Term`'s own business, so only compare later output without a resize.
        if resize_to.is_none() && snapshot_is_exact(&mut a) {
            let mut b = Screen::new(a.size(), budget);
            b.feed(&snapshot);
            a.feed(after.as_bytes());
            b.feed(after.as_bytes());
            let result = compare(&mut a, &mut b, Expect::Same);
            prop_assert!(
                result.is_ok(),
                "after more output: {}\nsnapshot: {:?}",
                result.unwrap_err(),
                String::from_utf8_lossy(&snapshot)
            );
        }
    }
}
