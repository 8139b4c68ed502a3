//! The JSON control messages of wire protocol v1 (`docs/protocol.md`). Pure: no I/O.
//!
//! `frontend/src/protocol.ts` mirrors this module (this file and `options`) name for name.
//!
//! The parts: this file holds the sizes, the messages each way and their limits; `options` holds the page's
//! terminal settings that `hello` carries (`ClientOptions`, `Theme`, `CursorStyle`, `Renderer`); `tests` holds
//! the round trips.

mod options;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use crate::auth::Role;
pub use options::{ClientOptions, CursorStyle, Renderer, Theme};

/// The protocol version announced in `hello`.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest number of columns or rows a client may ask for.
pub const MAX_DIMENSION: u16 = 1_000;

/// The largest number of cells (columns times rows) a client may ask for. The server's model of the screen
/// allocates every cell of its main and alternate screens up front (about 24 bytes each, and up to 1,000 spare
/// rows of the width), so a 10,000 x 10,000 terminal would take gigabytes; at most this many, a session's screen
/// stays within a few tens of MB whatever its clients ask. A 4K display with a small font (640 x 180) is
/// 115,200 cells.
pub const MAX_CELLS: u32 = 250_000;

/// The most output bytes a client that acknowledges (`ack`) gets ahead of its last acknowledgement.
pub const ACK_WINDOW: u64 = 1024 * 1024;

/// The terminal size used when a client does not give one.
pub const DEFAULT_SIZE: Size = Size { cols: 80, rows: 24 };

/// A terminal size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Columns, 1..=MAX_DIMENSION.
    pub cols: u16,
    /// Rows, 1..=MAX_DIMENSION; `cols * rows` is at most [`MAX_CELLS`].
    pub rows: u16,
}

impl Size {
    /// Checks both dimensions and their product; the error says what is wrong in words a client can show.
    pub fn new(cols: u32, rows: u32) -> Result<Size, String> {
        let check = |name: &str, value: u32| -> Result<u16, String> {
            if value == 0 || value > u32::from(MAX_DIMENSION) {
                Err(format!(
                    "{name} must be between 1 and {MAX_DIMENSION}, got {value}"
                ))
            } else {
                Ok(value as u16)
            }
        };
        let size = Size {
            cols: check("cols", cols)?,
            rows: check("rows", rows)?,
        };
        // SECURITY: each side alone may still make a screen too large to allocate (see MAX_CELLS).
        if cols * rows > MAX_CELLS {
            return Err(format!(
                "cols x rows must be at most {MAX_CELLS} cells, got {cols} x {rows}"
            ));
        }
        Ok(size)
    }
}

/// A control message from the client (a text frame).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClientMessage {
    /// Resize the terminal. Values are checked by [`ClientMessage::parse`].
    Resize {
        /// Columns.
        cols: u32,
        /// Rows.
        rows: u32,
    },
    /// Stop reading the PTY for this client.
    Pause,
    /// Start reading again.
    Resume,
    /// Under the `single` input policy: make this client the one that types. With `from`, this is a page taking
    /// back the control its previous connection (client `from` of the session, from that connection's `hello`)
    /// had when it dropped: granted only while that connection still has control, or when control went to
    /// another client only because it dropped; refused (answered `control` false) when someone took it since.
    #[serde(rename = "take_control")]
    TakeControl {
        /// The client number of this page's previous connection to the session.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u64>,
    },
    /// The client has processed (drawn) `bytes` bytes of output in all since it connected. From its first
    /// `ack` on, the server sends a client at most [`ACK_WINDOW`] bytes beyond what it acknowledged, so the
    /// output in flight stays bounded whatever the network buffers in between.
    Ack {
        /// Output bytes processed so far on this connection; never less than in an earlier `ack`.
        bytes: u64,
    },
    /// Is the connection alive? The server answers `pong`. Browsers cannot see WebSocket ping frames, so the
    /// page sends this every `heartbeat` seconds and after a sleep, and reconnects when no answer comes.
    Ping,
    /// A page whose previous connection to the session (client `from`) dropped asks how much of the input it sent
    /// there the session took, to send the rest again. From now on the session takes no more input from `from`
    /// (what is still on its way from it is sent again by the page). Answered with `input_taken`.
    #[serde(rename = "resume_input")]
    ResumeInput {
        /// The client number of this page's previous connection to the session.
        from: u64,
    },
    /// A file transfer runs in the output for this client (`active`), or no longer does. While one runs, the client
    /// never falls behind: the session reads the program's output only when this client has room for it (the
    /// program waits), instead of sending it a snapshot for what it missed, which would break the transfer.
    Transfer {
        /// Whether a transfer runs now.
        active: bool,
    },
}

/// Who may type when several clients share a session (a route's `input`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputPolicy {
    /// Every client with the `write` role types.
    #[default]
    Shared,
    /// One writer at a time; another takes over with `take_control`.
    Single,
}

/// Why a client's control message was rejected; the text goes back in an `error` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// Not JSON, or not an object with a known `type`.
    #[error("malformed control message: {0}")]
    Malformed(String),
    /// Well formed, but a value is out of range.
    #[error("invalid control message: {0}")]
    Invalid(String),
}

impl ClientMessage {
    /// Decodes and validates one text frame.
    pub fn parse(text: &str) -> Result<ClientMessage, ControlError> {
        let message: ClientMessage =
            serde_json::from_str(text).map_err(|e| ControlError::Malformed(e.to_string()))?;
        if let ClientMessage::Resize { cols, rows } = message {
            Size::new(cols, rows).map_err(ControlError::Invalid)?;
        }
        Ok(message)
    }
}

/// How the program ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExitStatus {
    /// It exited with this code.
    Code {
        /// The exit code, 0..=255.
        code: i32,
    },
    /// A signal killed it; the name is like `SIGKILL`.
    Signal {
        /// The signal's name.
        signal: String,
    },
}

/// A control message from the server (a text frame).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerMessage {
    /// The first message on every connection.
    Hello {
        /// Always [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The session's id.
        session: String,
        /// The terminal path the session runs under (`/`, or a `[[terminal]]`'s `path`), as `/api/sessions` lists it.
        path: String,
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
        /// Whether this client's input reaches the program, now.
        writable: bool,
        /// This client's number in the session (what a later connection of the same page names in
        /// `take_control`'s and `resume_input`'s `from`).
        client: u64,
        /// Whether the session was already running (a reattach); its screen follows as output.
        resumed: bool,
        /// Who may type when several clients share the session.
        input: InputPolicy,
        /// The most this client may do: `read` never types, `write` types (or may take control).
        role: Role,
        /// How the page should set up its terminal; older servers leave it out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        options: Option<Box<ClientOptions>>,
        /// The tab title until the program sets one; absent means the page's own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Seconds between the client's `ping`s (the server's `websocket.ping_interval_secs`).
        heartbeat: u64,
        /// Seconds the session outlives its last client (`session.linger_secs`): 0 means that closing the last
        /// page ends the program, and the page asks before it closes.
        linger: u64,
        /// The user who started the session, when that is not this client's user (an admin, a viewer, a shared
        /// link): the page says whose terminal it shows before anyone types into it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
    },
    /// A control message was rejected; the session goes on.
    Error {
        /// What was wrong.
        message: String,
    },
    /// Whether this client may type changed (the `single` policy's writer changed).
    Control {
        /// Whether this client's input reaches the program from now on.
        writable: bool,
    },
    /// The session's terminal size, after a client that may type resized it (or asked for the size it has).
    /// Every client gets it, the one that asked included, in the order the resizes took effect: the last one a
    /// client got is the size the program draws for.
    Size {
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
    },
    /// The program ended; all its output was sent before this.
    Exit(ExitStatus),
    /// The server is shutting down; the program is being hung up. A close frame 1001 follows.
    Shutdown,
    /// The answer to a client's `ping`.
    Pong,
    /// The answer to `resume_input`: how many bytes of client `from`'s input the session took for the program
    /// (written, in order; input it refused counts as not taken), or `None` when the session does not know
    /// `from` (never attached, or left long ago).
    #[serde(rename = "input_taken")]
    InputTaken {
        /// The client asked about.
        from: u64,
        /// Bytes of its input taken, in all.
        bytes: Option<u64>,
    },
}

impl ServerMessage {
    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }
}
