//! Writes a terminal's state as escape sequences that rebuild it on a terminal of the same size.
//!
//! A snapshot carries, in this order:
//! 1. `ESC c` (full reset), then the colour palette changes (OSC 4, 10, 11, 12).
//! 2. The primary screen: the scrollback oldest first, then the visible rows. Each cell keeps its colours
//!    (named, 256-indexed, truecolor), its SGR attributes (bold, dim, italic, the five underline styles and
//!    the underline colour, inverse, hidden, strikethrough), its hyperlink (OSC 8), its wide character and
//!    its combining marks. A soft-wrapped row flows into the next one, so a client of the same width
//!    records the same wrap and reflows the same way on resize.
//! 3. With the alternate screen active: the primary cursor (which `?1049h` saves), `?1049h`, then the
//!    alternate screen the same way.
//! 4. The active screen's saved cursor (DECSC), the tab stops, the scroll region, the modes that change
//!    what the keyboard and mouse send or how output lands (cursor keys, keypad, mouse reporting and its
//!    encoding, focus events, bracketed paste, autowrap, insert, newline, origin, cursor visibility), the
//!    cursor (position, a pending wrap, pen, character sets), the cursor style, SI/SO, and the title.
//!
//! What it cannot carry:
//! - the cell states listed in `cells.rs`, and a pending wrap where `cells::reprint_start` says so;
//! - the saved cursor of the inactive alternate screen (alacritty keeps it from one alternate-screen session
//!   to the next; a reset terminal has none), and the title stack (CSI 22/23 t), which `Term` keeps private;
//! - a cursor outside the scroll region while origin mode is on: CUP cannot get there;
//! - the character REP (CSI b) would repeat: the parser's own state;
//! - the kitty keyboard protocol: webterm's `Term` runs with it off, so there is none to carry.

use std::ops::Range;

use alacritty_terminal::grid::{Charsets, Cursor, Dimensions, Grid};
use alacritty_terminal::index::{Column, Line, Point};
use alacritty_terminal::term::Term;
use alacritty_terminal::term::TermMode;
use alacritty_terminal::term::cell::Cell;
use alacritty_terminal::term::color::Colors;
use alacritty_terminal::vte::ansi::{
    CharsetIndex, CursorShape, CursorStyle, NamedColor, Rgb, StandardCharset,
};

use super::cells;
use super::pen::{Pen, without_controls};
use super::tracker::{self, Hidden};

/// The modes a snapshot restores: the flag, the sequence that sets it and the one that resets it.
/// Origin mode comes last because setting it moves the cursor home.
const MODES: [(TermMode, &str, &str); 16] = [
    (TermMode::SHOW_CURSOR, "\x1b[?25h", "\x1b[?25l"),
    (TermMode::APP_CURSOR, "\x1b[?1h", "\x1b[?1l"),
    (TermMode::APP_KEYPAD, "\x1b=", "\x1b>"),
    (TermMode::MOUSE_REPORT_CLICK, "\x1b[?1000h", "\x1b[?1000l"),
    (TermMode::MOUSE_DRAG, "\x1b[?1002h", "\x1b[?1002l"),
    (TermMode::MOUSE_MOTION, "\x1b[?1003h", "\x1b[?1003l"),
    (TermMode::UTF8_MOUSE, "\x1b[?1005h", "\x1b[?1005l"),
    (TermMode::SGR_MOUSE, "\x1b[?1006h", "\x1b[?1006l"),
    (TermMode::FOCUS_IN_OUT, "\x1b[?1004h", "\x1b[?1004l"),
    (TermMode::BRACKETED_PASTE, "\x1b[?2004h", "\x1b[?2004l"),
    (TermMode::ALTERNATE_SCROLL, "\x1b[?1007h", "\x1b[?1007l"),
    (TermMode::URGENCY_HINTS, "\x1b[?1042h", "\x1b[?1042l"),
    (TermMode::LINE_WRAP, "\x1b[?7h", "\x1b[?7l"),
    (TermMode::INSERT, "\x1b[4h", "\x1b[4l"),
    (TermMode::LINE_FEED_NEW_LINE, "\x1b[20h", "\x1b[20l"),
    (TermMode::ORIGIN, "\x1b[?6h", "\x1b[?6l"),
];

/// The character sets with the ESC intermediate that designates each.
const CHARSET_SLOTS: [(CharsetIndex, char); 4] = [
    (CharsetIndex::G0, '('),
    (CharsetIndex::G1, ')'),
    (CharsetIndex::G2, '*'),
    (CharsetIndex::G3, '+'),
];

/// Builds a snapshot, keeping track of the receiving terminal's pen and character sets so that it only
/// writes changes.
pub(super) struct Writer {
    out: String,
    pen: Pen,
    charsets: Charsets,
}

impl Writer {
    /// Starts with a full reset (`ESC c`), so that the receiver may hold anything.
    pub fn new() -> Writer {
        Writer {
            out: String::from("\x1bc"),
            pen: Pen::reset(),
            charsets: Charsets::default(),
        }
    }

    /// The colours the program changed with OSC 4/10/11/12, after resetting all of them: a full reset
    /// keeps them (in alacritty at least), and the receiver may have others from before.
    pub fn palette(&mut self, colors: &Colors) {
        self.out
            .push_str("\x1b]104\x1b\\\x1b]110\x1b\\\x1b]111\x1b\\\x1b]112\x1b\\");
        for index in 0..256 {
            if let Some(rgb) = colors[index] {
                self.out
                    .push_str(&format!("\x1b]4;{index};{}\x1b\\", color_spec(rgb)));
            }
        }
        let dynamic = [
            (10, NamedColor::Foreground),
            (11, NamedColor::Background),
            (12, NamedColor::Cursor),
        ];
        for (code, name) in dynamic {
            if let Some(rgb) = colors[name] {
                self.out
                    .push_str(&format!("\x1b]{code};{}\x1b\\", color_spec(rgb)));
            }
        }
    }

    /// Every row of `grid`, scrollback first, starting from the top-left corner of an empty screen.
    pub fn grid(&mut self, grid: &Grid<Cell>) {
        let top = grid.topmost_line().0;
        let bottom = grid.bottommost_line().0;
        let mut wrapped = false;
        for line in top..=bottom {
            if line > top && !wrapped {
                self.newline();
            }
            self.row(grid, Line(line), wrapped);
            wrapped = cells::wraps(grid, Line(line));
        }
    }

    /// Puts the cursor where the primary screen `primary` has it, then switches to a cleared alternate
    /// screen with the cursor home (`?1049h` saves that cursor and restores it on the way back).
    pub fn enter_alternate_screen(&mut self, primary: &Grid<Cell>) {
        self.cursor(primary, &primary.cursor, 0..primary.screen_lines());
        self.out.push_str("\x1b[?1049h");
        // The alternate screen was cleared with the pen's background, which must be the default one.
        if !self.pen.has_default_background() {
            self.set_pen(&Pen::reset());
            self.out.push_str("\x1b[2J");
        }
        self.out.push_str("\x1b[H");
        // The alternate screen got the primary cursor's character sets; its cells need ASCII.
        self.designate(&Charsets::default());
    }

    /// Everything after the grids: saved cursor, tab stops, scroll region, modes, cursor, cursor style and
    /// the selected character set, for the active screen of `term`.
    pub fn state<T>(&mut self, term: &Term<T>, hidden: &Hidden) {
        let grid = term.grid();
        if grid.saved_cursor != Cursor::default() {
            self.cursor(grid, &grid.saved_cursor, 0..grid.screen_lines());
            self.out.push_str("\x1b7");
        }
        self.tab_stops(&hidden.tab_stops);
        if let Some((top, bottom)) = hidden.scroll_region {
            self.out.push_str(&format!("\x1b[{top};{bottom}r"));
        }
        self.modes(*term.mode());

        let reachable = if term.mode().contains(TermMode::ORIGIN) {
            origin_rows(hidden, grid.screen_lines())
        } else {
            0..grid.screen_lines()
        };
        self.cursor(grid, &grid.cursor, reachable);
        self.cursor_style(term.cursor_style());
        if hidden.active_charset == CharsetIndex::G1 {
            // SO: print through G1.
            self.out.push('\x0e');
        }
    }

    /// The window title; an empty one when there is none, to replace whatever the receiver shows.
    pub fn title(&mut self, title: Option<&str>) {
        let title = without_controls(title.unwrap_or_default());
        self.out.push_str(&format!("\x1b]2;{title}\x1b\\"));
    }

    /// The snapshot.
    pub fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }

    /// Row `line` of `grid`, the cursor at its start. `wrapped`: the row above wraps into this one, and the
    /// cursor is waiting to wrap.
    fn row(&mut self, grid: &Grid<Cell>, line: Line, wrapped: bool) {
        // After a wrap at least one character has to be printed to make it happen.
        let end = cells::used_columns(grid, line).max(usize::from(wrapped));
        // The pen the wrap happened with: a wrap at the bottom of the screen scrolls in a line cleared with
        // its background, and the columns this row leaves unprinted need the default one.
        let mut pen_at_wrap = None;
        for column in 0..end {
            let point = Point::new(line, Column(column));
            if cells::printed_by_neighbour(grid, point) {
                continue;
            }
            self.print(&cells::normalized(grid, point));
            if wrapped && pen_at_wrap.is_none() {
                pen_at_wrap = Some(self.pen.clone());
            }
        }
        let coloured_wrap = pen_at_wrap.is_some_and(|pen| !pen.has_default_background());
        if end < grid.columns() && coloured_wrap {
            self.set_pen(&Pen::reset());
            self.out.push_str("\x1b[K");
        }
    }

    /// Moves to the start of the next row; a line scrolled in gets the default background.
    fn newline(&mut self) {
        if !self.pen.has_default_background() {
            self.set_pen(&Pen::reset());
        }
        self.out.push_str("\r\n");
    }

    /// Prints `cell` at the cursor: its character and combining marks, with its pen.
    fn print(&mut self, cell: &Cell) {
        self.set_pen(&Pen::of(cell));
        self.out.push(cell.c);
        self.out.extend(cell.zerowidth().unwrap_or_default());
    }

    /// Puts `cursor` (a screen's cursor or saved cursor) in place: position, pending wrap, pen and
    /// character sets. CUP reaches the rows `reachable`, counting from its start (in origin mode, the scroll
    /// region); a cursor outside them goes to the nearest one, without a pending wrap.
    fn cursor(&mut self, grid: &Grid<Cell>, cursor: &Cursor<Cell>, reachable: Range<usize>) {
        // A cell printed again must come out as stored, not through a line-drawing set.
        self.designate(&Charsets::default());
        let point = cursor.point;
        let line = usize::try_from(point.line.0).unwrap_or(0);
        let row = if reachable.is_empty() {
            // A region below the screen (DECSTBM with a top past the last row): CUP goes where it can.
            0
        } else {
            line.clamp(reachable.start, reachable.end - 1) - reachable.start
        };
        let at_last_column = point.column == grid.last_column();
        let reprint = if cursor.input_needs_wrap && at_last_column && reachable.contains(&line) {
            cells::reprint_start(grid, point)
        } else {
            None
        };
        match reprint {
            // Printing the last cell again leaves the cursor on it, waiting to wrap.
            Some(column) => {
                self.move_to(row, column);
                let start = Point::new(point.line, Column(column));
                self.print(&cells::normalized(grid, start));
            }
            None => self.move_to(row, point.column.0),
        }
        self.set_pen(&Pen::of(&cursor.template));
        self.designate(&cursor.charsets);
    }

    /// CUP to `row`, `column` (0-based).
    fn move_to(&mut self, row: usize, column: usize) {
        self.out
            .push_str(&format!("\x1b[{};{}H", row + 1, column + 1));
    }

    /// Clears all tab stops and sets `tab_stops`, unless they are the default ones.
    fn tab_stops(&mut self, tab_stops: &[bool]) {
        if tab_stops == tracker::default_tab_stops(tab_stops.len()) {
            return;
        }
        self.out.push_str("\x1b[3g");
        for (column, &stop) in tab_stops.iter().enumerate() {
            if stop {
                // CHA to the column, then HTS.
                self.out.push_str(&format!("\x1b[{}G\x1bH", column + 1));
            }
        }
    }

    /// The modes of [`MODES`] that differ from a reset terminal's.
    fn modes(&mut self, mode: TermMode) {
        let reset = TermMode::default();
        for (flag, set, unset) in MODES {
            if mode.contains(flag) != reset.contains(flag) {
                self.out
                    .push_str(if mode.contains(flag) { set } else { unset });
            }
        }
    }

    /// DECSCUSR, unless `style` is the default one.
    fn cursor_style(&mut self, style: CursorStyle) {
        if style == CursorStyle::default() {
            return;
        }
        let steady = match style.shape {
            CursorShape::Block => 2,
            CursorShape::Underline => 4,
            CursorShape::Beam => 6,
            // Only renderers use these.
            CursorShape::HollowBlock | CursorShape::Hidden => return,
        };
        let code = if style.blinking { steady - 1 } else { steady };
        self.out.push_str(&format!("\x1b[{code} q"));
    }

    /// Designates the character sets that differ from `charsets`.
    fn designate(&mut self, charsets: &Charsets) {
        for (index, intermediate) in CHARSET_SLOTS {
            if self.charsets[index] != charsets[index] {
                let final_byte = match charsets[index] {
                    StandardCharset::Ascii => 'B',
                    StandardCharset::SpecialCharacterAndLineDrawing => '0',
                };
                self.out.push('\x1b');
                self.out.push(intermediate);
                self.out.push(final_byte);
            }
        }
        self.charsets = *charsets;
    }

    /// Switches to `pen`.
    fn set_pen(&mut self, pen: &Pen) {
        self.pen.switch_to(pen, &mut self.out);
        self.pen = pen.clone();
    }
}

/// The rows CUP reaches in origin mode: the scroll region, as `Term` derives it from DECSTBM's parameters.
fn origin_rows(hidden: &Hidden, screen_lines: usize) -> Range<usize> {
    match hidden.scroll_region {
        Some((top, bottom)) => (top - 1).min(screen_lines)..bottom.min(screen_lines),
        None => 0..screen_lines,
    }
}

/// `rgb` in the form OSC 4/10/11/12 take.
fn color_spec(rgb: Rgb) -> String {
    format!("rgb:{:02x}/{:02x}/{:02x}", rgb.r, rgb.g, rgb.b)
}
