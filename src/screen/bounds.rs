//! What output may make the screen keep beyond its cells, bounded. The scrollback budget counts cells; these
//! come on top and grow with output alone, so each has a limit: the title (and the titles pushed to be restored
//! later), the zero-width characters on one cell, and the links. Past a limit the terminal still shows the
//! output; the server's screen, and so a snapshot, leaves the excess out.

use alacritty_terminal::vte::ansi::Hyperlink;
use unicode_width::UnicodeWidthChar;

/// The longest title kept, in bytes.
pub const MAX_TITLE: usize = 1024;

/// The most titles kept pushed (`CSI 22 t`); alacritty keeps 4,096.
pub const MAX_PUSHED_TITLES: usize = 16;

/// The most zero-width characters (combining marks) kept on one cell.
pub const MAX_ZERO_WIDTH: usize = 16;

/// Bytes of link targets kept since the last full reset; the links after them are shown as plain text.
pub const MAX_LINK_BYTES: usize = 4 * 1024 * 1024;

/// The counts behind the limits, kept across reads of output.
#[derive(Debug, Default)]
pub(super) struct Bounds {
    zero_width_run: usize,
    pushed_titles: usize,
    titles_not_pushed: usize,
    link_bytes: usize,
}

impl Bounds {
    /// Whether the screen is to get character `c` (not another zero-width one on a cell that has enough).
    pub fn keeps_char(&mut self, c: char) -> bool {
        if c.width() != Some(0) {
            self.zero_width_run = 0;
            return true;
        }
        self.zero_width_run += 1;
        self.zero_width_run <= MAX_ZERO_WIDTH
    }

    /// `title`, cut to [`MAX_TITLE`] bytes.
    pub fn title(title: Option<String>) -> Option<String> {
        title.map(|mut title| {
            if title.len() > MAX_TITLE {
                let cut = (0..=MAX_TITLE)
                    .rev()
                    .find(|&i| title.is_char_boundary(i))
                    .unwrap_or(0);
                title.truncate(cut);
            }
            title
        })
    }

    /// Whether a title push is to reach the screen; the pushes past [`MAX_PUSHED_TITLES`] do not.
    pub fn pushes_title(&mut self) -> bool {
        if self.pushed_titles < MAX_PUSHED_TITLES {
            self.pushed_titles += 1;
            true
        } else {
            self.titles_not_pushed += 1;
            false
        }
    }

    /// Whether a title pop is to reach the screen: not the pops that answer pushes that did not.
    pub fn pops_title(&mut self) -> bool {
        if self.titles_not_pushed > 0 {
            self.titles_not_pushed -= 1;
            false
        } else {
            self.pushed_titles = self.pushed_titles.saturating_sub(1);
            true
        }
    }

    /// The link to give the screen for `link`: none once [`MAX_LINK_BYTES`] of targets have been kept.
    pub fn link(&mut self, link: Option<Hyperlink>) -> Option<Hyperlink> {
        let link = link?;
        self.link_bytes += link.uri.len() + link.id.as_ref().map_or(0, String::len);
        (self.link_bytes <= MAX_LINK_BYTES).then_some(link)
    }

    /// A full reset (RIS) emptied the screen, its pushed titles and its links.
    pub fn reset(&mut self) {
        *self = Bounds::default();
    }
}

#[cfg(test)]
mod tests {
    use alacritty_terminal::grid::Dimensions;
    use alacritty_terminal::index::{Column, Line};

    use super::*;
    use crate::protocol::Size;
    use crate::screen::Screen;

    fn screen() -> Screen {
        Screen::new(Size { cols: 80, rows: 24 }, 1 << 20)
    }

    #[test]
    fn a_long_title_is_kept_cut_to_its_limit_at_a_character_boundary() {
        let mut screen = screen();
        screen.feed(format!("\x1b]2;{}\x07", "é".repeat(100_000)).as_bytes());
        let title = screen.title().expect("a title");
        assert_eq!(title.len(), MAX_TITLE);
        assert!(title.chars().all(|c| c == 'é'));
    }

    #[test]
    fn titles_pushed_past_the_limit_are_not_kept_and_their_pops_do_nothing() {
        let mut screen = screen();
        screen.feed(b"\x1b]2;first\x07\x1b[22t\x1b]2;second\x07");
        // More than alacritty's own limit (4,096), past which it would forget the first titles.
        for n in 0..5000 {
            screen.feed(format!("\x1b[22t\x1b]2;title {n}\x07").as_bytes());
        }
        for _ in 0..5000 {
            screen.feed(b"\x1b[23t");
        }
        assert_eq!(screen.title(), Some("second"), "as many pops as pushes");
        screen.feed(b"\x1b[23t");
        assert_eq!(screen.title(), Some("first"));
    }

    #[test]
    fn a_cell_keeps_only_so_many_combining_marks() {
        let mut screen = screen();
        screen.feed(format!("a{}b\u{301}", "\u{301}".repeat(100_000)).as_bytes());
        let grid = screen.term.grid();
        let marks = |column| {
            grid[Line(0)][Column(column)]
                .zerowidth()
                .map_or(0, <[char]>::len)
        };
        assert_eq!(marks(0), MAX_ZERO_WIDTH);
        assert_eq!(marks(1), 1, "the next character has its own");
        assert_eq!(grid.columns(), 80);
    }

    #[test]
    fn links_past_the_budget_are_shown_as_plain_text() {
        let mut screen = screen();
        let uri = "x".repeat(1000);
        for n in 0..5000 {
            screen.feed(format!("\x1b]8;;http://{n}/{uri}\x1b\\l\x1b]8;;\x1b\\\r\n").as_bytes());
        }
        let grid = screen.term.grid();
        let linked = |line: i32| grid[Line(line)][Column(0)].hyperlink().is_some();
        assert!(
            !linked(grid.screen_lines() as i32 - 2),
            "the last link is past the budget"
        );
        screen.feed(b"\x1bc\x1b]8;;http://after-a-reset/\x1b\\l\x1b]8;;\x1b\\");
        assert!(
            screen.term.grid()[Line(0)][Column(0)].hyperlink().is_some(),
            "a reset starts over"
        );
    }
}
