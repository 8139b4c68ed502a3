//! What output may make the screen keep beyond its cells, bounded. The scrollback budget counts cells; these
//! come on top and grow with output alone, so each has a limit: the title (and the titles pushed to be restored
//! later), the zero-width characters on one cell, and the links (counted again, now and then, as they scroll
//! away). Past a limit the terminal still shows the output; the server's screen, and so a snapshot, leaves the
//! excess out.

use alacritty_terminal::grid::{Dimensions, Grid};
use alacritty_terminal::index::Line;
use alacritty_terminal::term::cell::{Cell, Hyperlink as CellLink};
use alacritty_terminal::vte::ansi::Hyperlink;
use unicode_width::UnicodeWidthChar;

/// The longest title kept, in bytes.
pub const MAX_TITLE: usize = 1024;

/// The most titles kept pushed (`CSI 22 t`); alacritty keeps 4,096.
pub const MAX_PUSHED_TITLES: usize = 16;

/// The most zero-width characters (combining marks) kept on one cell.
pub const MAX_ZERO_WIDTH: usize = 16;

/// Bytes of link targets (and ids) the screen may hold; past them, new links are shown as plain text.
pub const MAX_LINK_BYTES: usize = 4 * 1024 * 1024;

/// Bytes of link targets offered between two counts of what the screen still holds: a count reads every cell,
/// so a program that keeps the screen full of links cannot make each new link cost one.
const LINK_BYTES_BETWEEN_COUNTS: usize = MAX_LINK_BYTES / 2;

/// The counts behind the limits, kept across reads of output.
#[derive(Debug, Default)]
pub(super) struct Bounds {
    zero_width_run: usize,
    pushed_titles: usize,
    titles_not_pushed: usize,
    /// Bytes of the links given to each screen (primary, alternate) since it was last counted: at least what it
    /// holds (a link can scroll away or be overwritten).
    link_bytes: [usize; 2],
    links_offered_since_count: usize,
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

    /// The link to give the active screen (the alternate one or not) for `link`: none while the screens hold
    /// [`MAX_LINK_BYTES`] of links. Past that, what the active screen holds is counted again (`held`, now and then):
    /// links that scrolled out of the scrollback or were overwritten no longer count.
    pub fn link(
        &mut self,
        link: Option<Hyperlink>,
        alternate: bool,
        held: impl FnOnce() -> usize,
    ) -> Option<Hyperlink> {
        let link = link?;
        let size = link.uri.len() + link.id.as_ref().map_or(0, String::len);
        let fits = |bytes: &[usize; 2]| bytes[0] + bytes[1] + size <= MAX_LINK_BYTES;
        if !fits(&self.link_bytes) && self.links_offered_since_count >= LINK_BYTES_BETWEEN_COUNTS {
            self.link_bytes[usize::from(alternate)] = held();
            self.links_offered_since_count = 0;
        }
        self.links_offered_since_count += size;
        if !fits(&self.link_bytes) {
            return None;
        }
        self.link_bytes[usize::from(alternate)] += size;
        Some(link)
    }

    /// A full reset (RIS) emptied the screen, its pushed titles and its links.
    pub fn reset(&mut self) {
        *self = Bounds::default();
    }
}

/// Bytes of the links `grid` holds, scrollback included: each run of cells with the same link counts it once.
pub(super) fn held_link_bytes(grid: &Grid<Cell>) -> usize {
    let mut bytes = 0;
    let mut previous: Option<CellLink> = None;
    for line in grid.topmost_line().0..=grid.bottommost_line().0 {
        for cell in &grid[Line(line)] {
            let link = cell.hyperlink();
            if let Some(link) = link
                .as_ref()
                .filter(|&link| previous.as_ref() != Some(link))
            {
                bytes += link.uri().len() + link.id().len();
            }
            previous = link;
        }
    }
    bytes
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

    /// A one-cell link to a URI of about 1000 bytes, its own for each `n`.
    fn link(n: usize) -> String {
        format!(
            "\x1b]8;;http://{n}/{}\x1b\\l\x1b]8;;\x1b\\",
            "x".repeat(1000)
        )
    }

    /// A 200 by 50 screen with a link on each cell (but the last: no scrolling), about 10 MB of them.
    fn fill_with_links() -> Screen {
        let mut screen = Screen::new(
            Size {
                cols: 200,
                rows: 50,
            },
            1 << 20,
        );
        for n in 0..200 * 50 - 1 {
            screen.feed(link(n).as_bytes());
        }
        screen
    }

    fn linked(screen: &Screen, line: i32, column: usize) -> bool {
        screen.term.grid()[Line(line)][Column(column)]
            .hyperlink()
            .is_some()
    }

    #[test]
    fn links_past_the_budget_are_shown_as_plain_text_until_a_reset() {
        let mut screen = fill_with_links();
        assert!(linked(&screen, 0, 0), "the first link");
        assert!(
            !linked(&screen, 49, 198),
            "the last link is past the budget"
        );
        screen.feed(format!("\x1bc{}", link(0)).as_bytes());
        assert!(linked(&screen, 0, 0), "a reset starts over");
    }

    #[test]
    fn links_that_scrolled_away_or_were_overwritten_no_longer_count() {
        // About 10 MB of links, but never more than the scrollback holds at once.
        let mut screen = screen();
        for n in 0..10_000 {
            screen.feed(format!("{}\r\n", link(n)).as_bytes());
        }
        let last = screen.term.grid().screen_lines() as i32 - 2;
        assert!(linked(&screen, last, 0), "a link after 10 MB of them");
        // About 10 MB of links on one cell.
        for n in 0..10_000 {
            screen.feed(format!("\r{}", link(n)).as_bytes());
        }
        assert!(
            linked(&screen, last + 1, 0),
            "a link on a cell that had 10 MB of them"
        );
    }

    #[test]
    fn links_on_the_primary_screen_count_while_the_alternate_one_is_shown() {
        let mut screen = fill_with_links();
        screen.feed(b"\x1b[?1049h\x1b[H");
        for n in 0..5_000 {
            screen.feed(format!("\r{}", link(n)).as_bytes());
        }
        assert!(
            !linked(&screen, 0, 0),
            "the primary screen holds the budget"
        );
        // Clearing the screen moves it into the scrollback: then the scrollback is cleared.
        screen.feed(b"\x1b[?1049l\x1b[2J\x1b[3J\x1b[H");
        for n in 0..5_000 {
            screen.feed(format!("\r{}", link(n)).as_bytes());
        }
        assert!(linked(&screen, 0, 0), "the primary screen was cleared");
    }
}
