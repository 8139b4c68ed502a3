//! Tests for `Screen`, and the helpers they share. Most follow one pattern: feed screen A, write its snapshot
//! into a fresh screen B (and into a screen C that showed other output first, to prove the reset), then
//! compare B and C with A cell by cell, cursor by cursor, mode by mode.
//!
//! The tests: `content` (what cells hold), `state` (cursors, modes, scroll region, alternate screen, title),
//! `model` (feeding, scrollback budget, resizing), `properties` (the round trip with random output).

mod content;
mod model;
mod properties;
mod state;

use alacritty_terminal::grid::{Cursor, Dimensions, Grid};
use alacritty_terminal::index::{Column, Line, Point};
use alacritty_terminal::term::TermMode;
use alacritty_terminal::term::cell::{Cell, Flags};
use alacritty_terminal::term::color::COUNT;

use super::{Screen, cells};
use crate::protocol::Size;

/// Output a used terminal might have shown before a snapshot arrives: every kind of state a snapshot
/// must undo (alternate screen, scroll region, modes, tab stops, character sets, palette, title, link).
const GARBAGE: &[u8] = b"old output\r\n\x1b[1;31;44mred on blue\x1b]2;old title\x07\x1b]4;1;rgb:12/34/56\x07\
\x1b]11;rgb:ff/ff/00\x07\x1b]8;;http://old/\x1b\\link\x1b[3;5r\x1b[?1000h\x1b[?1006h\x1b[?2004h\x1b[?1h\
\x1b=\x1b[4h\x1b[?25l\x1b[5 q\x1bH\x1b)0\x0e\x1b(0\x1b7\x1b[?1049hin the alternate screen\x1b[?6h";

/// A scrollback budget large enough for every test that does not test the budget.
const ROOMY: usize = 1 << 20;

/// A `Size` of `cols` x `rows`.
fn size(cols: u16, rows: u16) -> Size {
    Size { cols, rows }
}

/// A screen of `cols` x `rows` that was fed `bytes`.
fn fed(cols: u16, rows: u16, bytes: &[u8]) -> Screen {
    let mut screen = Screen::new(size(cols, rows), ROOMY);
    screen.feed(bytes);
    screen
}

/// Writes `a`'s snapshot into a fresh screen and into one that showed [`GARBAGE`], checks both against
/// `a`, and returns the fresh one.
fn round_trip(a: &mut Screen) -> Screen {
    let snapshot = a.snapshot();
    assert!(snapshot.starts_with(b"\x1bc"), "a snapshot starts with RIS");
    let mut fresh = Screen::new(a.size(), a.scrollback_bytes);
    fresh.feed(&snapshot);
    let mut used = Screen::new(a.size(), a.scrollback_bytes);
    used.feed(GARBAGE);
    used.feed(&snapshot);
    if let Err(difference) = compare(a, &mut fresh, Expect::Snapshot) {
        panic!(
            "{difference}\nsnapshot: {:?}",
            String::from_utf8_lossy(&snapshot)
        );
    }
    if let Err(difference) = compare(a, &mut used, Expect::Snapshot) {
        panic!(
            "after other output: {difference}\nsnapshot: {:?}",
            String::from_utf8_lossy(&snapshot)
        );
    }
    fresh
}

/// What `compare` expects of the second screen.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// It was rebuilt from the first one's snapshot: it holds the first one's state as a client can hold it
    /// (`cells::normalized`, and a pending wrap only where `cells::reprint_start` allows one).
    Snapshot,
    /// Both went through the same output since: compare them the same way.
    Same,
}

/// One grid as the comparison sees it.
#[derive(Debug, PartialEq)]
struct GridState {
    rows: Vec<Vec<Cell>>,
    cursor: Cursor<Cell>,
    saved_cursor: Cursor<Cell>,
}

/// `grid`'s rows from the oldest scrollback line down, each cell as a client can hold it, and its cursors.
fn expected_grid(grid: &Grid<Cell>) -> GridState {
    let rows = (grid.topmost_line().0..=grid.bottommost_line().0)
        .map(|line| {
            (0..grid.columns())
                .map(|column| cells::normalized(grid, Point::new(Line(line), Column(column))))
                .collect()
        })
        .collect();
    GridState {
        rows,
        cursor: expected_cursor(grid, &grid.cursor),
        saved_cursor: expected_cursor(grid, &grid.saved_cursor),
    }
}

/// `cursor` as a snapshot can restore it: a pending wrap only where printing the last cell again makes one.
fn expected_cursor(grid: &Grid<Cell>, cursor: &Cursor<Cell>) -> Cursor<Cell> {
    let mut expected = cursor.clone();
    expected.input_needs_wrap = cursor.input_needs_wrap
        && cursor.point.column == grid.last_column()
        && cells::reprint_start(grid, cursor.point).is_some();
    expected
}

/// Where a snapshot can put `a`'s active cursor in origin mode: CUP only reaches the scroll region, and
/// alacritty's relative moves (CUU, CUD) can leave it (`Term::move_up` passes `goto` an absolute row).
fn expect_origin_clamp(a: &Screen, cursor: &mut Cursor<Cell>) {
    if !a.term.mode().contains(TermMode::ORIGIN) {
        return;
    }
    let lines = a.term.screen_lines();
    let (start, end) = match a.hidden.scroll_region {
        Some((top, bottom)) => ((top - 1).min(lines), bottom.min(lines)),
        None => (0, lines),
    };
    let line = cursor.point.line.0 as usize;
    if line < start || line >= end {
        // Where `Term::goto` puts CUP to the region's nearest row (or to its first row, if it is empty).
        let target = if start < end {
            line.clamp(start, end - 1)
        } else {
            start
        };
        cursor.point.line = Line(target.min(end - 1) as i32);
        cursor.input_needs_wrap = false;
    }
}

/// `grid`'s rows and cursors exactly as they are.
fn actual_grid(grid: &Grid<Cell>) -> GridState {
    let rows = (grid.topmost_line().0..=grid.bottommost_line().0)
        .map(|line| {
            (0..grid.columns())
                .map(|column| grid[Line(line)][Column(column)].clone())
                .collect()
        })
        .collect();
    GridState {
        rows,
        cursor: grid.cursor.clone(),
        saved_cursor: grid.saved_cursor.clone(),
    }
}

/// The first difference between `a` and `b` that a user or a program could notice, if any.
fn compare(a: &mut Screen, b: &mut Screen, expect: Expect) -> Result<(), String> {
    let b_grid = |grid: &Grid<Cell>| match expect {
        Expect::Snapshot => actual_grid(grid),
        Expect::Same => expected_grid(grid),
    };
    if a.size() != b.size() {
        return Err(format!("size {:?} != {:?}", a.size(), b.size()));
    }
    let mut a_primary = a.with_primary_grid(expected_grid);
    if expect == Expect::Snapshot && !a.term.mode().contains(TermMode::ALT_SCREEN) {
        expect_origin_clamp(a, &mut a_primary.cursor);
    }
    let b_primary = b.with_primary_grid(b_grid);
    compare_grids("primary screen", &a_primary, &b_primary)?;
    if a.term.mode() != b.term.mode() {
        return Err(format!("modes {:?} != {:?}", a.term.mode(), b.term.mode()));
    }
    if a.term.mode().contains(TermMode::ALT_SCREEN) {
        let mut a_alternate = expected_grid(a.term.grid());
        if expect == Expect::Snapshot {
            expect_origin_clamp(a, &mut a_alternate.cursor);
        }
        let mut b_alternate = b_grid(b.term.grid());
        if expect == Expect::Same {
            // It may come from an alternate-screen session before the snapshot, which carries no such thing.
            b_alternate.saved_cursor = a_alternate.saved_cursor.clone();
        }
        compare_grids("alternate screen", &a_alternate, &b_alternate)?;
    }
    if a.hidden != b.hidden {
        return Err(format!("tracked state {:?} != {:?}", a.hidden, b.hidden));
    }
    if a.term.cursor_style() != b.term.cursor_style() {
        let styles = (a.term.cursor_style(), b.term.cursor_style());
        return Err(format!("cursor styles {styles:?}"));
    }
    for index in 0..COUNT {
        if a.term.colors()[index] != b.term.colors()[index] {
            let colors = (a.term.colors()[index], b.term.colors()[index]);
            return Err(format!("palette colour {index}: {colors:?}"));
        }
    }
    if a.title() != b.title() {
        return Err(format!("titles {:?} != {:?}", a.title(), b.title()));
    }
    Ok(())
}

/// The first difference between two grids.
fn compare_grids(name: &str, a: &GridState, b: &GridState) -> Result<(), String> {
    if a.rows.len() != b.rows.len() {
        return Err(format!(
            "{name}: {} rows (scrollback included) != {}\n{}\n---\n{}",
            a.rows.len(),
            b.rows.len(),
            rows_text(&a.rows),
            rows_text(&b.rows)
        ));
    }
    for (index, (a_row, b_row)) in a.rows.iter().zip(&b.rows).enumerate() {
        if let Some(column) = (0..a_row.len()).find(|&column| a_row[column] != b_row[column]) {
            return Err(format!(
                "{name}: row {index} of {}, column {column}: {:?} != {:?}\n{}\n---\n{}",
                a.rows.len(),
                a_row[column],
                b_row[column],
                rows_text(&a.rows),
                rows_text(&b.rows)
            ));
        }
    }
    if a.cursor != b.cursor {
        return Err(format!("{name}: cursor {:?} != {:?}", a.cursor, b.cursor));
    }
    if a.saved_cursor != b.saved_cursor {
        let cursors = (&a.saved_cursor, &b.saved_cursor);
        return Err(format!("{name}: saved cursor {cursors:?}"));
    }
    Ok(())
}

/// Rows as text, for failure messages.
fn rows_text(rows: &[Vec<Cell>]) -> String {
    let text = |row: &Vec<Cell>| -> String {
        let line: String = row.iter().map(|cell| cell.c).collect();
        let wrap = row
            .last()
            .is_some_and(|cell| cell.flags.contains(Flags::WRAPLINE));
        format!("|{line}|{}", if wrap { " wraps" } else { "" })
    };
    rows.iter().map(text).collect::<Vec<_>>().join("\n")
}

/// The cell at `row`, `column` of the visible screen.
fn cell(screen: &Screen, row: i32, column: usize) -> Cell {
    screen.term.grid()[Line(row)][Column(column)].clone()
}
