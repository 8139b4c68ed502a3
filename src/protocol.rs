//! The JSON control messages of wire protocol v1 (`docs/protocol.md`). Pure: no I/O.
//!
//! `frontend/src/protocol.ts` mirrors this file name for name.

use serde::{Deserialize, Serialize};

pub use crate::auth::Role;

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
    /// Under the `single` input policy: make this client the one that types.
    #[serde(rename = "take_control")]
    TakeControl,
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

/// How the page should set up its terminal, sent in `hello`; it comes from the `[client]` config table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientOptions {
    /// A CSS font-family list.
    pub font_family: String,
    /// The font size in CSS pixels.
    pub font_size: u16,
    /// Terminal colors; absent ones keep the page's own.
    pub theme: Theme,
    /// The cursor's shape.
    pub cursor_style: CursorStyle,
    /// Lines kept above the screen.
    pub scrollback: u32,
    /// How the terminal is drawn.
    pub renderer: Renderer,
    /// Copy the selection to the clipboard as soon as it is made.
    pub copy_on_select: bool,
    /// Let programs write the clipboard with OSC 52.
    pub clipboard_osc52: bool,
}

/// Terminal colors, each a CSS hex color like `#1e1e1e`; absent ones keep the page's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Theme {
    /// The `foreground` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreground: Option<String>,
    /// The `background` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// The `cursor` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// The `cursor_accent` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_accent: Option<String>,
    /// The `selection_background` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_background: Option<String>,
    /// The `black` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub black: Option<String>,
    /// The `red` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red: Option<String>,
    /// The `green` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green: Option<String>,
    /// The `yellow` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yellow: Option<String>,
    /// The `blue` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue: Option<String>,
    /// The `magenta` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magenta: Option<String>,
    /// The `cyan` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cyan: Option<String>,
    /// The `white` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub white: Option<String>,
    /// The `bright_black` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bright_black: Option<String>,
    /// The `bright_red` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bright_red: Option<String>,
    /// The `bright_green` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bright_green: Option<String>,
    /// The `bright_yellow` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bright_yellow: Option<String>,
    /// The `bright_blue` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bright_blue: Option<String>,
    /// The `bright_magenta` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bright_magenta: Option<String>,
    /// The `bright_cyan` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bright_cyan: Option<String>,
    /// The `bright_white` color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bright_white: Option<String>,
}

/// The cursor's shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CursorStyle {
    /// A full cell.
    #[default]
    Block,
    /// A line under the cell.
    Underline,
    /// A thin bar left of the cell.
    Bar,
}

/// How the page draws the terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Renderer {
    /// WebGL, falling back to the DOM when WebGL is missing or its context is lost.
    #[default]
    Webgl,
    /// The DOM renderer: slower, but works everywhere.
    Dom,
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
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
        /// Whether this client's input reaches the program, now.
        writable: bool,
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
}

impl ServerMessage {
    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_round_trip() {
        for message in [
            ClientMessage::Resize {
                cols: 100,
                rows: 40,
            },
            ClientMessage::Pause,
            ClientMessage::Resume,
            ClientMessage::TakeControl,
            ClientMessage::Ping,
            ClientMessage::Ack { bytes: 1 << 40 },
        ] {
            let text = serde_json::to_string(&message).unwrap();
            assert_eq!(ClientMessage::parse(&text).unwrap(), message);
        }
        assert_eq!(
            ClientMessage::parse(r#"{"type":"take_control"}"#).unwrap(),
            ClientMessage::TakeControl
        );
    }

    #[test]
    fn server_messages_have_the_documented_shape() {
        let hello = ServerMessage::Hello {
            protocol: 1,
            session: "abc".into(),
            cols: 80,
            rows: 24,
            writable: true,
            resumed: false,
            input: InputPolicy::Shared,
            role: Role::Write,
            options: None,
            title: None,
            heartbeat: 20,
            owner: None,
        };
        assert_eq!(
            hello.to_json(),
            r#"{"type":"hello","protocol":1,"session":"abc","cols":80,"rows":24,"writable":true,"resumed":false,"input":"shared","role":"write","heartbeat":20}"#
        );
        let control = ServerMessage::Control { writable: false };
        assert_eq!(control.to_json(), r#"{"type":"control","writable":false}"#);
        let size = ServerMessage::Size {
            cols: 132,
            rows: 43,
        };
        assert_eq!(size.to_json(), r#"{"type":"size","cols":132,"rows":43}"#);
        let code = ServerMessage::Exit(ExitStatus::Code { code: 3 });
        assert_eq!(code.to_json(), r#"{"type":"exit","code":3}"#);
        let signal = ServerMessage::Exit(ExitStatus::Signal {
            signal: "SIGKILL".into(),
        });
        assert_eq!(signal.to_json(), r#"{"type":"exit","signal":"SIGKILL"}"#);
        let error = ServerMessage::Error {
            message: "no".into(),
        };
        assert_eq!(error.to_json(), r#"{"type":"error","message":"no"}"#);
        assert_eq!(ServerMessage::Shutdown.to_json(), r#"{"type":"shutdown"}"#);
        assert_eq!(ServerMessage::Pong.to_json(), r#"{"type":"pong"}"#);
        let all = [
            hello,
            control,
            size,
            code,
            signal,
            error,
            ServerMessage::Shutdown,
            ServerMessage::Pong,
        ];
        for message in all {
            let back: ServerMessage = serde_json::from_str(&message.to_json()).unwrap();
            assert_eq!(back, message);
        }
    }

    #[test]
    fn hello_carries_the_client_options_in_camel_case() {
        let options = ClientOptions {
            font_family: "monospace".into(),
            font_size: 15,
            theme: Theme {
                background: Some("#000000".into()),
                bright_white: Some("#ffffff".into()),
                ..Theme::default()
            },
            cursor_style: CursorStyle::Bar,
            scrollback: 1000,
            renderer: Renderer::Dom,
            copy_on_select: true,
            clipboard_osc52: false,
        };
        let hello = ServerMessage::Hello {
            protocol: 1,
            session: "abc".into(),
            cols: 80,
            rows: 24,
            writable: true,
            resumed: true,
            input: InputPolicy::Single,
            role: Role::Read,
            options: Some(Box::new(options)),
            title: Some("Logs".into()),
            heartbeat: 20,
            owner: Some("ann".into()),
        };
        let json = hello.to_json();
        assert!(
            json.ends_with(
                r##""options":{"fontFamily":"monospace","fontSize":15,"theme":{"background":"#000000","brightWhite":"#ffffff"},"cursorStyle":"bar","scrollback":1000,"renderer":"dom","copyOnSelect":true,"clipboardOsc52":false},"title":"Logs","heartbeat":20,"owner":"ann"}"##
            ),
            "{json}"
        );
        let back: ServerMessage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, hello);
    }

    #[test]
    fn bad_control_messages_are_rejected_with_a_reason() {
        let malformed = [
            "",
            "{",
            "[]",
            "{}",
            r#"{"type":"explode"}"#,
            r#"{"type":"resize","cols":"80","rows":24}"#,
            r#"{"type":"resize","cols":-1,"rows":24}"#,
            r#"{"type":"resize","cols":80}"#,
            r#"{"type":"ack"}"#,
            r#"{"type":"ack","bytes":-1}"#,
            r#"{"type":"ack","bytes":1.5}"#,
        ];
        for text in malformed {
            assert!(
                matches!(ClientMessage::parse(text), Err(ControlError::Malformed(_))),
                "{text:?} should be malformed"
            );
        }
        for (cols, rows) in [
            (0, 24),
            (80, 0),
            (1_001, 24),
            (80, 4_000_000_000u32),
            (1_000, 1_000),
            (1_000, 251),
        ] {
            let text = format!(r#"{{"type":"resize","cols":{cols},"rows":{rows}}}"#);
            let error = ClientMessage::parse(&text).unwrap_err();
            assert!(matches!(error, ControlError::Invalid(_)), "{text}: {error}");
        }
    }

    #[test]
    fn the_largest_sizes_are_accepted_up_to_the_cell_limit() {
        for (cols, rows) in [
            (1_000, 250),
            (500, 500),
            (250, 1_000),
            (1, 1_000),
            (1_000, 1),
        ] {
            assert_eq!(
                Size::new(cols, rows),
                Ok(Size {
                    cols: cols as u16,
                    rows: rows as u16
                })
            );
        }
        assert_eq!(
            Size::new(501, 500),
            Err("cols x rows must be at most 250000 cells, got 501 x 500".to_owned())
        );
    }

    #[test]
    fn deeply_nested_json_is_rejected_without_a_stack_overflow() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(ClientMessage::parse(&text).is_err());
    }

    #[test]
    fn unknown_fields_are_ignored_for_forward_compatibility() {
        let text = r#"{"type":"pause","since":"v2"}"#;
        assert_eq!(ClientMessage::parse(text).unwrap(), ClientMessage::Pause);
    }
}
