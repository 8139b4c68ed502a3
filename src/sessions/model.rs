//! The session's [`Screen`], parsed off the hub's thread. The hub hands program output over and goes on reading
//! the PTY and sending to clients while a thread of tokio's blocking pool feeds the output to the screen, so the
//! parsing overlaps the I/O instead of adding to it. The hub reads the PTY only while the output waiting to be
//! parsed stays under [`MAX_BACKLOG`] bytes and [`MAX_CHANGES`] changes, so memory stays bounded when parsing is
//! the slower side. Resizes in a row wait as one (the last): a client that resizes as fast as it can while a
//! parse runs replaces the waiting size instead of queuing a change for each.
//!
//! The screen (two grids of cells, about 100 KiB at 80x24) is made only once it is needed: when a snapshot is
//! asked for, or when more than [`LAZY_BYTES`] of output (or [`LAZY_CHANGES`] changes) have come. Until then the
//! changes wait in the backlog, so a session idle at its prompt costs its few bytes of output, not a screen.

use std::mem;

use tokio::task::JoinHandle;

use crate::protocol::Size;
use crate::screen::Screen;

/// Output waiting to be parsed beyond which the hub stops reading the PTY.
pub const MAX_BACKLOG: usize = 256 * 1024;

/// Changes waiting to be parsed beyond which the hub stops reading the PTY: outputs and resizes in turn would
/// otherwise queue a change for each byte of output (resizes in a row wait as one, see [`Model::resize`]).
pub const MAX_CHANGES: usize = 1024;

/// Output kept unparsed, before the screen exists, until the screen is made.
pub const LAZY_BYTES: usize = 16 * 1024;

/// Changes (outputs and resizes) kept, before the screen exists, until the screen is made.
pub const LAZY_CHANGES: usize = 64;

/// What happens to the screen, in order.
enum Change {
    Output(Vec<u8>),
    Resize(Size),
}

/// A screen with a queue of changes in front of it. See the module documentation.
pub struct Model {
    /// The screen, unless a parse has it or it is not made yet ([`Model::made`]).
    screen: Option<Box<Screen>>,
    /// The size the screen starts at when it is made; the backlog's resizes follow.
    initial_size: Size,
    /// The parse in flight: it gives the screen back.
    parsing: Option<JoinHandle<Box<Screen>>>,
    /// A snapshot was asked for during the parse in flight: when it is done, the next parse waits for the
    /// snapshot (until [`Model::resume`]), or under steady output a parse would always be in flight and the
    /// snapshot never come.
    wanted: bool,
    /// Changes not handed to a parse yet.
    backlog: Vec<Change>,
    /// Bytes of output in `backlog`.
    backlog_bytes: usize,
    /// For a fresh screen, should a parse ever panic.
    size: Size,
    scrollback: usize,
}

impl Model {
    /// A blank screen of `size` keeping `scrollback` bytes of history (made when first needed).
    pub fn new(size: Size, scrollback: usize) -> Model {
        Model {
            screen: None,
            initial_size: size,
            parsing: None,
            wanted: false,
            backlog: Vec::new(),
            backlog_bytes: 0,
            size,
            scrollback,
        }
    }

    /// Queues program output.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.backlog_bytes += bytes.len();
        match self.backlog.last_mut() {
            Some(Change::Output(queued)) => queued.extend_from_slice(bytes),
            _ => self.backlog.push(Change::Output(bytes.to_vec())),
        }
        self.start();
    }

    /// Queues a new size (after the output queued before it). A size still waiting with no output after it is
    /// replaced: only the last of resizes in a row matters to the screen.
    pub fn resize(&mut self, size: Size) {
        self.size = size;
        match self.backlog.last_mut() {
            Some(Change::Resize(waiting)) => *waiting = size,
            _ => self.backlog.push(Change::Resize(size)),
        }
        self.start();
    }

    /// Whether the hub may read more output.
    pub fn has_room(&self) -> bool {
        self.backlog_bytes < MAX_BACKLOG && self.backlog.len() < MAX_CHANGES
    }

    /// Whether a parse is in flight (then [`Model::parsed`] resolves when it is done).
    pub fn is_parsing(&self) -> bool {
        self.parsing.is_some()
    }

    /// Waits for the parse in flight, then starts the next one if output is waiting, unless a snapshot was
    /// asked for meanwhile: then the output waits for it, until [`Model::resume`]. Cancel-safe.
    pub async fn parsed(&mut self) {
        let Some(parsing) = self.parsing.as_mut() else {
            return std::future::pending().await;
        };
        let screen = parsing.await;
        self.parsing = None;
        self.screen = Some(screen.unwrap_or_else(|error| {
            // A bug in the terminal model must not end the session: its clients keep their live output, and
            // later snapshots start from a blank screen.
            tracing::error!(%error, "parsing the output failed; the server's screen starts over");
            Box::new(Screen::new(self.size, self.scrollback))
        }));
        if !mem::take(&mut self.wanted) {
            self.start();
        }
    }

    /// A snapshot of the screen with every change so far, or `None` while a parse is in flight (then try again
    /// after [`Model::parsed`]).
    pub fn snapshot(&mut self) -> Option<Vec<u8>> {
        if self.is_parsing() {
            self.wanted = true;
            return None;
        }
        let screen = self
            .screen
            .get_or_insert_with(|| Box::new(Screen::new(self.initial_size, self.scrollback)));
        for change in self.backlog.drain(..) {
            apply(screen, change);
        }
        self.backlog_bytes = 0;
        Some(screen.snapshot())
    }

    /// Starts parsing the output that waits, unless a parse is in flight: after a snapshot was asked for during a
    /// parse, once the clients that wanted it had their chance to take it (the hub's `catch_up`). Without this the
    /// output would wait for good when they left, or had no room: no room to read means no output to start it.
    pub fn resume(&mut self) {
        self.start();
    }

    /// Whether the screen exists, here or in a parse.
    fn made(&self) -> bool {
        self.screen.is_some() || self.is_parsing()
    }

    /// Hands the backlog to a parse unless one is in flight.
    fn start(&mut self) {
        if self.parsing.is_some() || self.backlog.is_empty() {
            return;
        }
        if !self.made() && self.backlog_bytes < LAZY_BYTES && self.backlog.len() < LAZY_CHANGES {
            return;
        }
        // No parse is in flight, so a screen that is not here is not made yet.
        let mut screen = self
            .screen
            .take()
            .unwrap_or_else(|| Box::new(Screen::new(self.initial_size, self.scrollback)));
        let changes = mem::take(&mut self.backlog);
        self.backlog_bytes = 0;
        self.parsing = Some(tokio::task::spawn_blocking(move || {
            for change in changes {
                apply(&mut screen, change);
            }
            screen
        }));
    }
}

fn apply(screen: &mut Screen, change: Change) {
    match change {
        Change::Output(bytes) => screen.feed(&bytes),
        Change::Resize(size) => screen.resize(size),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[tokio::test]
    async fn a_quiet_session_has_no_screen_until_a_snapshot_needs_one() {
        let mut model = Model::new(Size { cols: 80, rows: 24 }, 1 << 20);
        model.feed(b"$ prompt");
        model.resize(Size {
            cols: 100,
            rows: 30,
        });
        assert!(!model.made() && !model.is_parsing(), "nothing to parse yet");
        let snapshot = model.snapshot().expect("no parse in flight");
        assert!(model.made());
        assert!(contains(&snapshot, b"$ prompt"), "{snapshot:?}");
        // Made at the first size, then resized by the backlog.
        let screen = model.screen.as_ref().expect("made");
        assert_eq!(
            screen.size(),
            Size {
                cols: 100,
                rows: 30
            }
        );
        assert_eq!(screen.lines()[0].trim_end(), "$ prompt");
    }

    #[tokio::test]
    async fn more_output_than_the_lazy_limit_makes_the_screen_and_parses_it_off_the_thread() {
        let mut model = Model::new(Size { cols: 80, rows: 24 }, 1 << 20);
        model.feed(&vec![b'x'; LAZY_BYTES - 1]);
        assert!(!model.is_parsing());
        model.feed(b"y\r\nlast line");
        assert!(
            model.is_parsing(),
            "past the limit the screen is made and parsed"
        );
        assert_eq!(
            model.snapshot(),
            None,
            "no snapshot while a parse has the screen"
        );
        model.parsed().await;
        let snapshot = model.snapshot().expect("the parse is done");
        assert!(contains(&snapshot, b"last line"));
    }

    #[tokio::test]
    async fn many_changes_without_much_output_make_the_screen_instead_of_piling_up() {
        let mut model = Model::new(Size { cols: 80, rows: 24 }, 1 << 20);
        for cols in 0..LAZY_CHANGES as u16 / 2 {
            model.feed(b"x");
            model.resize(Size {
                cols: 20 + cols,
                rows: 24,
            });
        }
        assert!(model.made(), "the backlog is bounded in changes too");
        model.parsed().await;
        assert!(model.backlog.is_empty());
    }

    /// A model with a parse in flight.
    fn parsing() -> Model {
        let mut model = Model::new(Size { cols: 80, rows: 24 }, 1 << 20);
        model.feed(&vec![b'x'; LAZY_BYTES]);
        assert!(model.is_parsing());
        model
    }

    /// The `n`th of many sizes, each different from the one before.
    fn nth_size(n: u16) -> Size {
        Size {
            cols: 40 + n % 97,
            rows: 10 + n % 31,
        }
    }

    #[tokio::test]
    async fn a_snapshot_asked_for_during_a_parse_comes_before_the_next_parse_starts() {
        let mut model = parsing();
        assert_eq!(model.snapshot(), None, "a parse has the screen");
        // Steady output meanwhile: without the wish it would start the next parse at once, and so on.
        model.feed(b"\r\nwhile parsing");
        model.parsed().await;
        assert!(!model.is_parsing(), "the output waits for the snapshot");
        let snapshot = model.snapshot().expect("no parse in flight");
        assert!(contains(&snapshot, b"while parsing"), "it has every change");
        model.feed(b"after");
        assert!(
            model.is_parsing(),
            "then output is parsed off the thread again"
        );
    }

    #[tokio::test]
    async fn output_held_for_a_snapshot_nobody_took_is_parsed_once_resumed() {
        let mut model = parsing();
        assert_eq!(model.snapshot(), None, "a client asks, then leaves");
        while model.has_room() {
            model.feed(&[b'y'; 4096]);
        }
        model.parsed().await;
        assert!(
            !model.is_parsing() && !model.has_room(),
            "held for the snapshot"
        );
        model.resume();
        assert!(
            model.is_parsing(),
            "no snapshot taken: the output is parsed"
        );
        model.parsed().await;
        assert!(model.has_room(), "and there is room to read again");
    }

    #[tokio::test]
    async fn resizes_in_a_row_while_a_parse_runs_wait_as_one_the_last() {
        let mut model = parsing();
        for n in 0..10_000 {
            model.resize(nth_size(n));
        }
        assert_eq!(model.backlog.len(), 1, "one resize waits, not 10,000");
        assert!(model.has_room());
        model.parsed().await;
        model.parsed().await;
        assert_eq!(
            model.screen.as_ref().expect("parsed").size(),
            nth_size(9_999)
        );
    }

    #[tokio::test]
    async fn output_and_resizes_in_turn_while_a_parse_runs_fill_the_backlog_only_up_to_max_changes()
    {
        let mut model = parsing();
        let mut n = 0;
        // As the hub does: output is read only while there is room; resizes come whenever a client sends one.
        while model.has_room() {
            assert!(n < 10 * MAX_CHANGES as u16, "no end to the room");
            model.feed(b"y");
            model.resize(nth_size(n));
            n += 1;
        }
        for _ in 0..1_000 {
            n += 1;
            model.resize(nth_size(n));
        }
        assert!(
            model.backlog.len() <= MAX_CHANGES + 1,
            "{} changes",
            model.backlog.len()
        );
        assert!(
            model.backlog_bytes < MAX_BACKLOG / 100,
            "stopped by changes, not bytes"
        );
        model.parsed().await;
        assert!(model.has_room(), "the next parse takes the backlog");
        model.parsed().await;
        assert_eq!(model.screen.as_ref().expect("parsed").size(), nth_size(n));
    }
}
