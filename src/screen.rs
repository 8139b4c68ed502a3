//! The server-side model of a session's terminal. Everything the program writes goes through an
//! `alacritty_terminal::Term`, so a client that attaches late (or falls behind) is sent the current state as
//! a [`Screen::snapshot`] instead of everything the program ever wrote.
//!
//! The parts: `tracker` forwards the parser's calls to the `Term` and keeps the state `Term` does not let
//! us read back; `cells` decides how each grid cell is written (and which cell states a client cannot hold);
//! `pen` writes the attributes characters are printed with; `snapshot` writes the rest; `sequence` follows
//! where the output stands between escape sequences, and bounds the strings the parser keeps; `bounds` bounds
//! what the `Term` keeps beyond its cells (titles, combining marks, links); `transfers` keeps file transfers (trzsz)
//! out of the model.

mod bounds;
mod cells;
mod pen;
mod sequence;
mod snapshot;
#[cfg(test)]
mod tests;
mod tracker;
mod transfers;

use std::mem;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alacritty_terminal::event::{Event, EventListener};
use alacritty_terminal::grid::{Dimensions, Grid};
use alacritty_terminal::index::Line;
use alacritty_terminal::term::cell::Cell;
use alacritty_terminal::term::test::TermSize;
use alacritty_terminal::term::{Config, Term, TermMode};
use alacritty_terminal::vte::ansi::{Processor, Timeout};

use crate::protocol::Size;

/// The narrowest terminal the model keeps: alacritty needs two columns to hold a wide character.
const MIN_COLUMNS: u16 = 2;

/// A session's terminal as the program drew it: screen, scrollback, cursor, modes and title.
pub struct Screen {
    term: Term<TitleEvents>,
    parser: Processor<NoSyncUpdates>,
    sequences: sequence::Sequences,
    transfers: transfers::Transfers,
    bounds: bounds::Bounds,
    hidden: tracker::Hidden,
    titles: mpsc::Receiver<Option<String>>,
    title: Option<String>,
    scrollback_bytes: usize,
}

impl Screen {
    /// An empty terminal of `size`. `scrollback_bytes` is the memory budget for the scrollback: it keeps
    /// `scrollback_bytes / (cols * size_of::<Cell>())` lines (alacritty also keeps up to 1,000 spare rows
    /// allocated once the scrollback has grown). The model is never narrower than 2 columns.
    pub fn new(size: Size, scrollback_bytes: usize) -> Screen {
        let size = at_least_min_columns(size);
        let (sender, titles) = mpsc::channel();
        let config = Config {
            scrolling_history: scrollback_lines(size, scrollback_bytes),
            ..Config::default()
        };
        let term = Term::new(config, &term_size(size), TitleEvents(sender));
        Screen {
            term,
            parser: Processor::new(),
            sequences: sequence::Sequences::new(),
            transfers: transfers::Transfers::default(),
            bounds: bounds::Bounds::default(),
            hidden: tracker::Hidden::new(usize::from(size.cols)),
            titles,
            title: None,
            scrollback_bytes,
        }
    }

    /// Feeds program output. Chunks may split escape sequences and UTF-8 characters anywhere.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut tracker = tracker::Tracker::new(&mut self.term, &mut self.hidden, &mut self.bounds);
        let parser = &mut self.parser;
        let sequences = &mut self.sequences;
        self.transfers.filter(bytes, Instant::now(), |shown| {
            sequences.scan(shown, |part| parser.advance(&mut tracker, part));
        });
        self.take_title_events();
    }

    /// Resizes the terminal (the PTY was resized): reflows the primary screen like alacritty does and
    /// recomputes how many scrollback lines the budget buys at the new width.
    pub fn resize(&mut self, size: Size) {
        let size = at_least_min_columns(size);
        if size == self.size() {
            // `Term::resize` changes nothing either (in particular, it keeps the scroll region).
            return;
        }
        self.term.resize(term_size(size));
        self.hidden.resized(usize::from(size.cols));
        let config = Config {
            scrolling_history: scrollback_lines(size, self.scrollback_bytes),
            ..Config::default()
        };
        self.term.set_options(config);
        self.take_title_events();
    }

    /// The terminal's size.
    pub fn size(&self) -> Size {
        Size {
            cols: u16::try_from(self.term.columns()).unwrap_or(u16::MAX),
            rows: u16::try_from(self.term.screen_lines()).unwrap_or(u16::MAX),
        }
    }

    /// Escape sequences that rebuild this state when written to a terminal of the same size, fresh or used:
    /// they start with `ESC c` (full reset). See `snapshot.rs` for what they carry and what they cannot. They end
    /// with the start of the escape sequence (or UTF-8 character) the output is in the middle of, if any, so that
    /// the output that comes next reads the same after them as it does here.
    ///
    /// Takes `&mut self` only because `Term` shows the primary grid while the alternate screen is active
    /// by switching to it and back; the state is the same afterwards.
    pub fn snapshot(&mut self) -> Vec<u8> {
        let mut writer = snapshot::Writer::new();
        writer.palette(self.term.colors());
        let alternate = self.term.mode().contains(TermMode::ALT_SCREEN);
        self.with_primary_grid(|primary| {
            writer.grid(primary);
            if alternate {
                writer.enter_alternate_screen(primary);
            }
        });
        if alternate {
            writer.grid(self.term.grid());
        }
        writer.state(&self.term, &self.hidden);
        writer.title(self.title());
        let mut snapshot = writer.finish();
        snapshot.extend_from_slice(self.sequences.tail());
        snapshot
    }

    /// The visible screen as text, one string per row, trailing spaces trimmed.
    pub fn lines(&self) -> Vec<String> {
        let grid = self.term.grid();
        (0..grid.screen_lines())
            .map(|line| cells::text(grid, Line(line as i32)))
            .collect()
    }

    /// The cursor as (row, column), 0-based, within the visible screen.
    pub fn cursor(&self) -> (u16, u16) {
        let point = self.term.grid().cursor.point;
        let row = u16::try_from(point.line.0).unwrap_or(0);
        let column = u16::try_from(point.column.0).unwrap_or(u16::MAX);
        (row, column)
    }

    /// The window title the program set with OSC 0 or OSC 2, if any (an empty title counts as none).
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref().filter(|title| !title.is_empty())
    }

    /// Runs `read` on the primary grid.
    ///
    /// `Term` only shows the active grid, so while the alternate screen is active this switches to the
    /// primary screen for the call and back again, then puts back a copy of the alternate grid: switching
    /// to the alternate screen clears it. The switch also saves the primary cursor (DECSC), as entering the
    /// alternate screen did; only a resize in between could have made the saved one differ, and the
    /// snapshot could not reproduce that difference anyway (`?1049h` saves the cursor it moves from).
    fn with_primary_grid<R>(&mut self, read: impl FnOnce(&Grid<Cell>) -> R) -> R {
        if !self.term.mode().contains(TermMode::ALT_SCREEN) {
            return read(self.term.grid());
        }
        let alternate = self.term.grid().clone();
        self.term.swap_alt();
        let result = read(self.term.grid());
        self.term.swap_alt();
        *self.term.grid_mut() = alternate;
        result
    }

    /// Applies the title changes the `Term` reported since the last call.
    fn take_title_events(&mut self) {
        while let Ok(title) = self.titles.try_recv() {
            self.title = title;
        }
    }
}

/// The `Term`'s event listener: passes title changes on to the [`Screen`] and drops everything else.
/// Answers to terminal queries (`Event::PtyWrite`) are the clients' job: each one runs a real terminal.
struct TitleEvents(mpsc::Sender<Option<String>>);

impl EventListener for TitleEvents {
    fn send_event(&self, event: Event) {
        let title = match event {
            Event::Title(title) => Some(title),
            Event::ResetTitle => None,
            _ => return,
        };
        // The receiver lives in the same `Screen` as the `Term`, so it is never gone while this runs.
        let _ = self.0.send(title);
    }
}

/// Applies synchronized updates (`CSI ? 2026 h`) at once. vte's default holds the bytes of an update back
/// until it ends or a timer fires; that is for renderers, and nothing here would run the timer.
#[derive(Default)]
struct NoSyncUpdates;

impl Timeout for NoSyncUpdates {
    fn set_timeout(&mut self, _duration: Duration) {}

    fn clear_timeout(&mut self) {}

    fn pending_timeout(&self) -> bool {
        false
    }
}

/// How many scrollback lines `scrollback_bytes` buys at the width of `size`.
fn scrollback_lines(size: Size, scrollback_bytes: usize) -> usize {
    scrollback_bytes / (usize::from(size.cols) * mem::size_of::<Cell>())
}

/// `size` widened to [`MIN_COLUMNS`] if needed.
fn at_least_min_columns(size: Size) -> Size {
    Size {
        cols: size.cols.max(MIN_COLUMNS),
        rows: size.rows.max(1),
    }
}

/// `size` in the form `Term` takes.
fn term_size(size: Size) -> TermSize {
    TermSize::new(usize::from(size.cols), usize::from(size.rows))
}
