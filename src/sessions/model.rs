//! The session's [`Screen`], parsed off the hub's thread. The hub hands program output over and goes on reading
//! the PTY and sending to clients while a thread of tokio's blocking pool feeds the output to the screen, so the
//! parsing overlaps the I/O instead of adding to it. The hub reads the PTY only while the output waiting to be
//! parsed stays under [`MAX_BACKLOG`], so memory stays bounded when parsing is the slower side.

use std::mem;

use tokio::task::JoinHandle;

use crate::protocol::Size;
use crate::screen::Screen;

/// Output waiting to be parsed beyond which the hub stops reading the PTY.
pub const MAX_BACKLOG: usize = 256 * 1024;

/// What happens to the screen, in order.
enum Change {
    Output(Vec<u8>),
    Resize(Size),
}

/// A screen with a queue of changes in front of it. See the module documentation.
pub struct Model {
    /// The screen, unless a parse has it.
    screen: Option<Box<Screen>>,
    /// The parse in flight: it gives the screen back.
    parsing: Option<JoinHandle<Box<Screen>>>,
    /// Changes not handed to a parse yet.
    backlog: Vec<Change>,
    /// Bytes of output in `backlog`.
    backlog_bytes: usize,
    /// For a fresh screen, should a parse ever panic.
    size: Size,
    scrollback: usize,
}

impl Model {
    /// A blank screen of `size` keeping `scrollback` bytes of history.
    pub fn new(size: Size, scrollback: usize) -> Model {
        Model {
            screen: Some(Box::new(Screen::new(size, scrollback))),
            parsing: None,
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

    /// Queues a new size (after the output queued before it).
    pub fn resize(&mut self, size: Size) {
        self.size = size;
        self.backlog.push(Change::Resize(size));
        self.start();
    }

    /// Whether the hub may read more output.
    pub fn has_room(&self) -> bool {
        self.backlog_bytes < MAX_BACKLOG
    }

    /// Whether a parse is in flight (then [`Model::parsed`] resolves when it is done).
    pub fn is_parsing(&self) -> bool {
        self.parsing.is_some()
    }

    /// Waits for the parse in flight, then starts the next one if output is waiting. Cancel-safe.
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
        self.start();
    }

    /// A snapshot of the screen with every change so far, or `None` while a parse is in flight (then try again
    /// after [`Model::parsed`]).
    pub fn snapshot(&mut self) -> Option<Vec<u8>> {
        let screen = self.screen.as_mut()?;
        for change in self.backlog.drain(..) {
            apply(screen, change);
        }
        self.backlog_bytes = 0;
        Some(screen.snapshot())
    }

    /// Hands the backlog to a parse unless one is in flight.
    fn start(&mut self) {
        if self.parsing.is_some() || self.backlog.is_empty() {
            return;
        }
        let mut screen = self
            .screen
            .take()
            .expect("the screen is here when no parse is in flight");
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
