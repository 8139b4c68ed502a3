//! The page's terminal settings sent in `hello`: `ClientOptions` and the `Theme`, `CursorStyle` and `Renderer`
//! it names. Part of wire protocol v1 (`docs/protocol.md`), mirrored name for name by `frontend/src/protocol.ts`.
//! Pure: no I/O.

use serde::{Deserialize, Serialize};

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
