//! The `[client]` table: how the page sets up its terminal (font, colors, cursor, scrollback, renderer,
//! clipboard). Sent to every page in `hello` as [`ClientOptions`].

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::protocol::{ClientOptions, CursorStyle, Renderer, Theme};

/// The `[client]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientConfig {
    /// A CSS font-family list.
    pub font_family: String,
    /// The font size in CSS pixels, 6 to 72.
    pub font_size: u16,
    /// The cursor's shape: "block", "underline" or "bar".
    pub cursor_style: CursorStyle,
    /// Lines kept above the screen, 0 to 1000000.
    pub scrollback: u32,
    /// "webgl" (falls back to the DOM when WebGL is missing) or "dom".
    pub renderer: Renderer,
    /// Copy the selection to the clipboard as soon as it is made.
    pub copy_on_select: bool,
    /// Let programs in the terminal write the user's clipboard with OSC 52.
    pub clipboard_osc52: bool,
    /// Terminal colors.
    pub theme: ThemeConfig,
}

/// The `[client.theme]` table: CSS hex colors; absent ones keep the page's own.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThemeConfig {
    /// Text.
    pub foreground: Option<String>,
    /// Background.
    pub background: Option<String>,
    /// The cursor.
    pub cursor: Option<String>,
    /// Text under a block cursor.
    pub cursor_accent: Option<String>,
    /// The selection.
    pub selection_background: Option<String>,
    /// ANSI color 0.
    pub black: Option<String>,
    /// ANSI color 1.
    pub red: Option<String>,
    /// ANSI color 2.
    pub green: Option<String>,
    /// ANSI color 3.
    pub yellow: Option<String>,
    /// ANSI color 4.
    pub blue: Option<String>,
    /// ANSI color 5.
    pub magenta: Option<String>,
    /// ANSI color 6.
    pub cyan: Option<String>,
    /// ANSI color 7.
    pub white: Option<String>,
    /// ANSI color 8.
    pub bright_black: Option<String>,
    /// ANSI color 9.
    pub bright_red: Option<String>,
    /// ANSI color 10.
    pub bright_green: Option<String>,
    /// ANSI color 11.
    pub bright_yellow: Option<String>,
    /// ANSI color 12.
    pub bright_blue: Option<String>,
    /// ANSI color 13.
    pub bright_magenta: Option<String>,
    /// ANSI color 14.
    pub bright_cyan: Option<String>,
    /// ANSI color 15.
    pub bright_white: Option<String>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            font_family: r#""DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, "Liberation Mono", monospace"#
                .into(),
            font_size: 15,
            cursor_style: CursorStyle::Block,
            scrollback: 5000,
            renderer: Renderer::Webgl,
            copy_on_select: false,
            clipboard_osc52: false,
            theme: ThemeConfig {
                foreground: Some("#d4d4d4".into()),
                background: Some("#1e1e1e".into()),
                cursor: Some("#d4d4d4".into()),
                selection_background: Some("#264f78".into()),
                ..ThemeConfig::default()
            },
        }
    }
}

impl ThemeConfig {
    /// Every color with its key in the config file.
    fn colors(&self) -> [(&'static str, &Option<String>); 21] {
        [
            ("foreground", &self.foreground),
            ("background", &self.background),
            ("cursor", &self.cursor),
            ("cursor_accent", &self.cursor_accent),
            ("selection_background", &self.selection_background),
            ("black", &self.black),
            ("red", &self.red),
            ("green", &self.green),
            ("yellow", &self.yellow),
            ("blue", &self.blue),
            ("magenta", &self.magenta),
            ("cyan", &self.cyan),
            ("white", &self.white),
            ("bright_black", &self.bright_black),
            ("bright_red", &self.bright_red),
            ("bright_green", &self.bright_green),
            ("bright_yellow", &self.bright_yellow),
            ("bright_blue", &self.bright_blue),
            ("bright_magenta", &self.bright_magenta),
            ("bright_cyan", &self.bright_cyan),
            ("bright_white", &self.bright_white),
        ]
    }
}

impl ClientConfig {
    /// Checks ranges and colors; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.font_family.trim().is_empty() || self.font_family.chars().any(char::is_control) {
            return Err(ConfigError::Invalid(
                "client.font_family must be a non-empty CSS font-family list like \"Menlo, monospace\"".into(),
            ));
        }
        if !(6..=72).contains(&self.font_size) {
            return Err(ConfigError::Invalid(format!(
                "client.font_size must be between 6 and 72, got {}",
                self.font_size
            )));
        }
        if self.scrollback > 1_000_000 {
            return Err(ConfigError::Invalid(format!(
                "client.scrollback must be at most 1000000 lines, got {}",
                self.scrollback
            )));
        }
        for (key, color) in self.theme.colors() {
            if let Some(color) = color.as_deref().filter(|c| !is_hex_color(c)) {
                return Err(ConfigError::Invalid(format!(
                    "client.theme.{key} must be a hex color like \"#1e1e1e\", got {color:?}"
                )));
            }
        }
        Ok(())
    }

    /// What `hello` tells the page.
    pub fn options(&self) -> ClientOptions {
        let t = &self.theme;
        ClientOptions {
            font_family: self.font_family.clone(),
            font_size: self.font_size,
            theme: Theme {
                foreground: t.foreground.clone(),
                background: t.background.clone(),
                cursor: t.cursor.clone(),
                cursor_accent: t.cursor_accent.clone(),
                selection_background: t.selection_background.clone(),
                black: t.black.clone(),
                red: t.red.clone(),
                green: t.green.clone(),
                yellow: t.yellow.clone(),
                blue: t.blue.clone(),
                magenta: t.magenta.clone(),
                cyan: t.cyan.clone(),
                white: t.white.clone(),
                bright_black: t.bright_black.clone(),
                bright_red: t.bright_red.clone(),
                bright_green: t.bright_green.clone(),
                bright_yellow: t.bright_yellow.clone(),
                bright_blue: t.bright_blue.clone(),
                bright_magenta: t.bright_magenta.clone(),
                bright_cyan: t.bright_cyan.clone(),
                bright_white: t.bright_white.clone(),
            },
            cursor_style: self.cursor_style,
            scrollback: self.scrollback,
            renderer: self.renderer,
            copy_on_select: self.copy_on_select,
            clipboard_osc52: self.clipboard_osc52,
        }
    }
}

/// `#rgb`, `#rrggbb` or `#rrggbbaa`.
fn is_hex_color(color: &str) -> bool {
    color.strip_prefix('#').is_some_and(|hex| {
        matches!(hex.len(), 3 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_reach_hello() {
        let config = ClientConfig::default();
        config.validate().unwrap();
        let options = config.options();
        assert_eq!(options.font_size, 15);
        assert_eq!(options.theme.background.as_deref(), Some("#1e1e1e"));
        assert!(!options.clipboard_osc52, "OSC 52 is opt-in");
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        let mut config = ClientConfig::default();
        config.theme.red = Some("red; background: url(x)".into());
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("client.theme.red")
        );
        let config = ClientConfig {
            font_size: 200,
            ..ClientConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("client.font_size")
        );
        let config = ClientConfig {
            font_family: " ".into(),
            ..ClientConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("client.font_family")
        );
    }
}
