//! How the snapshot writes each cell of a grid, and the cell states a client cannot hold.
//!
//! A snapshot rebuilds cells by printing characters, so it can only make cells that printing makes. A few
//! alacritty states cannot be made that way, and xterm.js has no equivalent for them either; [`normalized`]
//! turns them into the cell a client can hold:
//! - half of a wide character whose other half was erased or shifted away (ECH, EL, ICH, DCH): a blank
//!   with the same colours (xterm.js blanks the orphaned half too);
//! - a wrap-ahead spacer (the empty last cell left when a wide character did not fit) whose wide character
//!   is no longer at the start of the next row: a blank;
//! - a soft-wrap mark anywhere but the last column of a row that has a row below it: dropped (alacritty
//!   only reads it there; xterm.js records wrapping on the continuation row, so a wrap off the bottom of
//!   the grid cannot be expressed);
//! - a tab character left in a cell by HT (alacritty keeps it for copying text): a space.

use alacritty_terminal::grid::{Dimensions, Grid};
use alacritty_terminal::index::{Column, Line, Point};
use alacritty_terminal::term::cell::{Cell, Flags};

/// The flags SGR sets: a printed cell gets exactly these from the pen.
pub(super) const STYLE: Flags = Flags::BOLD
    .union(Flags::DIM)
    .union(Flags::ITALIC)
    .union(Flags::ALL_UNDERLINES)
    .union(Flags::INVERSE)
    .union(Flags::HIDDEN)
    .union(Flags::STRIKEOUT);

/// The cell at `point` as a client can hold it (see the module documentation).
pub(super) fn normalized(grid: &Grid<Cell>, point: Point) -> Cell {
    let cell = &grid[point];
    let mut c = if cell.c == '\t' { ' ' } else { cell.c };
    let mut flags = cell.flags;
    let mut zerowidth = cell.zerowidth().unwrap_or_default();
    if flags.contains(Flags::WIDE_CHAR) && !is_wide_char(grid, point) {
        flags.remove(Flags::WIDE_CHAR);
        c = ' ';
        zerowidth = &[];
    }
    if flags.contains(Flags::WIDE_CHAR_SPACER) && !is_wide_char_spacer(grid, point) {
        flags.remove(Flags::WIDE_CHAR_SPACER);
    }
    if flags.contains(Flags::LEADING_WIDE_CHAR_SPACER) && !is_wrap_ahead_spacer(grid, point) {
        flags.remove(Flags::LEADING_WIDE_CHAR_SPACER);
    }
    if flags.contains(Flags::WRAPLINE) && !can_wrap(grid, point) {
        flags.remove(Flags::WRAPLINE);
    }

    let mut normal = Cell {
        c,
        fg: cell.fg,
        bg: cell.bg,
        flags,
        extra: None,
    };
    // Built through the setters, so an `extra` left empty (alacritty sometimes keeps one) becomes `None`.
    for &character in zerowidth {
        normal.push_zerowidth(character);
    }
    normal.set_underline_color(cell.underline_color());
    normal.set_hyperlink(cell.hyperlink());
    normal
}

/// Whether the cell at `point` comes out of printing another cell: the right half of a wide character, or
/// a wrap-ahead spacer, which printing the wide character at the start of the next row makes.
pub(super) fn printed_by_neighbour(grid: &Grid<Cell>, point: Point) -> bool {
    is_wide_char_spacer(grid, point) || is_wrap_ahead_spacer(grid, point)
}

/// Whether row `line` soft-wraps into the next one (its last cell carries the wrap mark).
pub(super) fn wraps(grid: &Grid<Cell>, line: Line) -> bool {
    let point = Point::new(line, grid.last_column());
    grid[point].flags.contains(Flags::WRAPLINE) && can_wrap(grid, point)
}

/// How many columns of row `line` the snapshot prints: all of a wrapping row; otherwise up to the last cell
/// that differs from a blank one.
pub(super) fn used_columns(grid: &Grid<Cell>, line: Line) -> usize {
    if wraps(grid, line) {
        return grid.columns();
    }
    let blank = Cell::default();
    (0..grid.columns())
        .rev()
        .find(|&column| normalized(grid, Point::new(line, Column(column))) != blank)
        .map_or(0, |column| column + 1)
}

/// The first column of what has to be printed again to put the cursor back into the "wrap pending" state
/// at `point` (the last column), or `None` if printing it again would change the row: when the cell
/// carries a soft-wrap mark or is a wrap-ahead spacer (alacritty keeps a pending wrap across LF, RI and
/// scrolling; xterm.js drops it there, so these cases only arise after moves a client forgets anyway).
pub(super) fn reprint_start(grid: &Grid<Cell>, point: Point) -> Option<usize> {
    let cell = normalized(grid, point);
    if cell
        .flags
        .intersects(Flags::WRAPLINE | Flags::LEADING_WIDE_CHAR_SPACER)
    {
        None
    } else if cell.flags.contains(Flags::WIDE_CHAR_SPACER) {
        Some(point.column.0 - 1)
    } else {
        Some(point.column.0)
    }
}

/// Row `line` as text: characters with their combining marks, halves of wide characters once, trailing
/// spaces trimmed.
pub(super) fn text(grid: &Grid<Cell>, line: Line) -> String {
    let mut text = String::new();
    for column in 0..grid.columns() {
        let point = Point::new(line, Column(column));
        let cell = normalized(grid, point);
        let spacer = Flags::WIDE_CHAR_SPACER | Flags::LEADING_WIDE_CHAR_SPACER;
        if cell.flags.intersects(spacer) {
            continue;
        }
        text.push(cell.c);
        text.extend(cell.zerowidth().unwrap_or_default());
    }
    text.truncate(text.trim_end_matches(' ').len());
    text
}

/// Whether the two cells were printed with the same pen.
pub(super) fn same_style(a: &Cell, b: &Cell) -> bool {
    a.fg == b.fg
        && a.bg == b.bg
        && a.flags & STYLE == b.flags & STYLE
        && a.underline_color() == b.underline_color()
        && a.hyperlink() == b.hyperlink()
}

/// Whether `point` is the left half of a wide character with its right half in place.
fn is_wide_char(grid: &Grid<Cell>, point: Point) -> bool {
    grid[point].flags.contains(Flags::WIDE_CHAR)
        && point.column < grid.last_column()
        && grid[point.line][point.column + 1]
            .flags
            .contains(Flags::WIDE_CHAR_SPACER)
}

/// Whether `point` is the right half of a wide character with its left half in place.
fn is_wide_char_spacer(grid: &Grid<Cell>, point: Point) -> bool {
    grid[point].flags.contains(Flags::WIDE_CHAR_SPACER)
        && point.column.0 > 0
        && is_wide_char(grid, Point::new(point.line, point.column - 1))
}

/// Whether `point` is a wrap-ahead spacer that printing the next row's first character remakes: the last
/// cell of a soft-wrapped row, blank, with the pen of the wide character that starts the next row.
fn is_wrap_ahead_spacer(grid: &Grid<Cell>, point: Point) -> bool {
    let cell = &grid[point];
    if !cell.flags.contains(Flags::LEADING_WIDE_CHAR_SPACER)
        || !cell.flags.contains(Flags::WRAPLINE)
        || !can_wrap(grid, point)
        || cell.zerowidth().is_some_and(|marks| !marks.is_empty())
    {
        return false;
    }
    let next = Point::new(point.line + 1, Column(0));
    is_wide_char(grid, next) && same_style(cell, &grid[next])
}

/// Whether a soft-wrap mark at `point` can be reproduced: the last column, with a row below.
fn can_wrap(grid: &Grid<Cell>, point: Point) -> bool {
    point.column == grid.last_column() && point.line < grid.bottommost_line()
}
