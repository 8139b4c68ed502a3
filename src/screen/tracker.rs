//! A `Handler` that forwards every call of the escape-sequence parser to the `Term`, and remembers the state
//! `Term` keeps private but a snapshot must reproduce: the scroll region, the SI/SO character set and the
//! tab stops. Each rule below mirrors the `Term` method it follows (alacritty_terminal 0.26).

use super::bounds::{Bounds, held_link_bytes};
use alacritty_terminal::event::EventListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::term::{Term, TermMode};
use alacritty_terminal::vte::ansi::cursor_icon::CursorIcon;
use alacritty_terminal::vte::ansi::{
    Attr, CharsetIndex, ClearMode, CursorShape, CursorStyle, Handler, Hyperlink, KeyboardModes,
    KeyboardModesApplyBehavior, LineClearMode, Mode, ModifyOtherKeys, NamedPrivateMode,
    PrivateMode, Rgb, ScpCharPath, ScpUpdateMode, StandardCharset, TabulationClearMode,
};

/// Distance between the default tab stops.
const TAB_INTERVAL: usize = 8;

/// Terminal state that `Term` does not let us read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Hidden {
    /// The scroll region as the last accepted DECSTBM gave it, `(top, bottom)` 1-based and inclusive;
    /// `None` while the region is the whole screen.
    pub scroll_region: Option<(usize, usize)>,
    /// The character set SI (G0) or SO (G1) selected.
    pub active_charset: CharsetIndex,
    /// Whether each column is a tab stop.
    pub tab_stops: Vec<bool>,
}

impl Hidden {
    /// The state of a fresh (or fully reset) terminal `columns` wide.
    pub fn new(columns: usize) -> Hidden {
        Hidden {
            scroll_region: None,
            active_charset: CharsetIndex::G0,
            tab_stops: default_tab_stops(columns),
        }
    }

    /// Follows `Term::resize` to a new size: the scroll region becomes the whole screen; at a new width, tab
    /// stops are kept where they still fit and new columns get the default ones.
    pub fn resized(&mut self, columns: usize) {
        self.scroll_region = None;
        let defaults = default_tab_stops(columns);
        let kept = self.tab_stops.len().min(columns);
        self.tab_stops.truncate(kept);
        self.tab_stops.extend_from_slice(&defaults[kept..]);
    }
}

/// A tab stop every [`TAB_INTERVAL`] columns, starting at column 0.
pub(super) fn default_tab_stops(columns: usize) -> Vec<bool> {
    (0..columns)
        .map(|column| column % TAB_INTERVAL == 0)
        .collect()
}

/// The `Handler` given to the parser for one `Screen::feed`.
pub(super) struct Tracker<'a, T: EventListener> {
    term: &'a mut Term<T>,
    hidden: &'a mut Hidden,
    bounds: &'a mut Bounds,
}

impl<'a, T: EventListener> Tracker<'a, T> {
    /// Forwards to `term`, keeping `hidden` up to date and what `term` keeps within `bounds`.
    pub fn new(term: &'a mut Term<T>, hidden: &'a mut Hidden, bounds: &'a mut Bounds) -> Self {
        Tracker {
            term,
            hidden,
            bounds,
        }
    }

    /// The cursor's column (tab stops are set and cleared there).
    fn cursor_column(&self) -> usize {
        self.term.grid().cursor.point.column.0
    }

    /// DECCOLM (`CSI ? 3 h/l`) makes `Term` reset the scroll region.
    fn note_private_mode(&mut self, mode: PrivateMode) {
        if mode == PrivateMode::Named(NamedPrivateMode::ColumnMode) {
            self.hidden.scroll_region = None;
        }
    }
}

impl<T: EventListener> Handler for Tracker<'_, T> {
    fn set_scrolling_region(&mut self, top: usize, bottom: Option<usize>) {
        self.term.set_scrolling_region(top, bottom);
        let lines = self.term.screen_lines();
        let bottom = bottom.unwrap_or(lines);
        // `Term` ignores a region whose top is not above its bottom.
        if top < bottom {
            let whole_screen = top <= 1 && bottom >= lines;
            self.hidden.scroll_region = if whole_screen {
                None
            } else {
                Some((top, bottom))
            };
        }
    }

    fn set_active_charset(&mut self, index: CharsetIndex) {
        self.term.set_active_charset(index);
        self.hidden.active_charset = index;
    }

    fn set_horizontal_tabstop(&mut self) {
        self.term.set_horizontal_tabstop();
        let column = self.cursor_column();
        self.hidden.tab_stops[column] = true;
    }

    fn clear_tabs(&mut self, mode: TabulationClearMode) {
        match mode {
            TabulationClearMode::Current => {
                let column = self.cursor_column();
                self.hidden.tab_stops[column] = false;
            }
            TabulationClearMode::All => self.hidden.tab_stops.fill(false),
        }
        self.term.clear_tabs(mode);
    }

    fn reset_state(&mut self) {
        self.term.reset_state();
        *self.hidden = Hidden::new(self.term.columns());
        self.bounds.reset();
        // `Term` drops its title here without telling its listener; tell it, so that `Screen::title` stays
        // `Term`'s title (which resizing reports).
        self.term.set_title(None);
    }

    fn set_private_mode(&mut self, mode: PrivateMode) {
        self.term.set_private_mode(mode);
        self.note_private_mode(mode);
    }

    fn unset_private_mode(&mut self, mode: PrivateMode) {
        self.term.unset_private_mode(mode);
        self.note_private_mode(mode);
    }

    // Everything below only forwards.

    fn set_title(&mut self, title: Option<String>) {
        self.term.set_title(Bounds::title(title));
    }

    fn set_cursor_style(&mut self, style: Option<CursorStyle>) {
        self.term.set_cursor_style(style);
    }

    fn set_cursor_shape(&mut self, shape: CursorShape) {
        self.term.set_cursor_shape(shape);
    }

    fn input(&mut self, c: char) {
        if self.bounds.keeps_char(c) {
            self.term.input(c);
        }
    }

    fn goto(&mut self, line: i32, column: usize) {
        self.term.goto(line, column);
    }

    fn goto_line(&mut self, line: i32) {
        self.term.goto_line(line);
    }

    fn goto_col(&mut self, column: usize) {
        self.term.goto_col(column);
    }

    fn insert_blank(&mut self, count: usize) {
        self.term.insert_blank(count);
    }

    fn move_up(&mut self, lines: usize) {
        self.term.move_up(lines);
    }

    fn move_down(&mut self, lines: usize) {
        self.term.move_down(lines);
    }

    fn identify_terminal(&mut self, intermediate: Option<char>) {
        self.term.identify_terminal(intermediate);
    }

    fn device_status(&mut self, kind: usize) {
        self.term.device_status(kind);
    }

    fn move_forward(&mut self, columns: usize) {
        self.term.move_forward(columns);
    }

    fn move_backward(&mut self, columns: usize) {
        self.term.move_backward(columns);
    }

    fn move_down_and_cr(&mut self, lines: usize) {
        self.term.move_down_and_cr(lines);
    }

    fn move_up_and_cr(&mut self, lines: usize) {
        self.term.move_up_and_cr(lines);
    }

    fn put_tab(&mut self, count: u16) {
        self.term.put_tab(count);
    }

    fn backspace(&mut self) {
        self.term.backspace();
    }

    fn carriage_return(&mut self) {
        self.term.carriage_return();
    }

    fn linefeed(&mut self) {
        self.term.linefeed();
    }

    fn bell(&mut self) {
        self.term.bell();
    }

    fn substitute(&mut self) {
        self.term.substitute();
    }

    fn newline(&mut self) {
        self.term.newline();
    }

    fn scroll_up(&mut self, lines: usize) {
        self.term.scroll_up(lines);
    }

    fn scroll_down(&mut self, lines: usize) {
        self.term.scroll_down(lines);
    }

    fn insert_blank_lines(&mut self, lines: usize) {
        self.term.insert_blank_lines(lines);
    }

    fn delete_lines(&mut self, lines: usize) {
        self.term.delete_lines(lines);
    }

    fn erase_chars(&mut self, count: usize) {
        self.term.erase_chars(count);
    }

    fn delete_chars(&mut self, count: usize) {
        self.term.delete_chars(count);
    }

    fn move_backward_tabs(&mut self, count: u16) {
        self.term.move_backward_tabs(count);
    }

    fn move_forward_tabs(&mut self, count: u16) {
        self.term.move_forward_tabs(count);
    }

    fn save_cursor_position(&mut self) {
        self.term.save_cursor_position();
    }

    fn restore_cursor_position(&mut self) {
        self.term.restore_cursor_position();
    }

    fn clear_line(&mut self, mode: LineClearMode) {
        self.term.clear_line(mode);
    }

    fn clear_screen(&mut self, mode: ClearMode) {
        self.term.clear_screen(mode);
    }

    fn set_tabs(&mut self, interval: u16) {
        self.term.set_tabs(interval);
    }

    fn reverse_index(&mut self) {
        self.term.reverse_index();
    }

    fn terminal_attribute(&mut self, attr: Attr) {
        self.term.terminal_attribute(attr);
    }

    fn set_mode(&mut self, mode: Mode) {
        self.term.set_mode(mode);
    }

    fn unset_mode(&mut self, mode: Mode) {
        self.term.unset_mode(mode);
    }

    fn report_mode(&mut self, mode: Mode) {
        self.term.report_mode(mode);
    }

    fn report_private_mode(&mut self, mode: PrivateMode) {
        self.term.report_private_mode(mode);
    }

    fn set_keypad_application_mode(&mut self) {
        self.term.set_keypad_application_mode();
    }

    fn unset_keypad_application_mode(&mut self) {
        self.term.unset_keypad_application_mode();
    }

    fn configure_charset(&mut self, index: CharsetIndex, charset: StandardCharset) {
        self.term.configure_charset(index, charset);
    }

    fn set_color(&mut self, index: usize, color: Rgb) {
        self.term.set_color(index, color);
    }

    fn dynamic_color_sequence(&mut self, prefix: String, index: usize, terminator: &str) {
        self.term.dynamic_color_sequence(prefix, index, terminator);
    }

    fn reset_color(&mut self, index: usize) {
        self.term.reset_color(index);
    }

    fn clipboard_store(&mut self, clipboard: u8, base64: &[u8]) {
        self.term.clipboard_store(clipboard, base64);
    }

    fn clipboard_load(&mut self, clipboard: u8, terminator: &str) {
        self.term.clipboard_load(clipboard, terminator);
    }

    fn decaln(&mut self) {
        self.term.decaln();
    }

    fn push_title(&mut self) {
        if self.bounds.pushes_title() {
            self.term.push_title();
        }
    }

    fn pop_title(&mut self) {
        if self.bounds.pops_title() {
            self.term.pop_title();
        }
    }

    fn text_area_size_pixels(&mut self) {
        self.term.text_area_size_pixels();
    }

    fn text_area_size_chars(&mut self) {
        self.term.text_area_size_chars();
    }

    fn set_hyperlink(&mut self, hyperlink: Option<Hyperlink>) {
        let alternate = self.term.mode().contains(TermMode::ALT_SCREEN);
        let term = &*self.term;
        let link = self
            .bounds
            .link(hyperlink, alternate, || held_link_bytes(term.grid()));
        self.term.set_hyperlink(link);
    }

    fn set_mouse_cursor_icon(&mut self, icon: CursorIcon) {
        self.term.set_mouse_cursor_icon(icon);
    }

    fn report_keyboard_mode(&mut self) {
        self.term.report_keyboard_mode();
    }

    fn push_keyboard_mode(&mut self, mode: KeyboardModes) {
        self.term.push_keyboard_mode(mode);
    }

    fn pop_keyboard_modes(&mut self, to_pop: u16) {
        self.term.pop_keyboard_modes(to_pop);
    }

    fn set_keyboard_mode(&mut self, mode: KeyboardModes, behavior: KeyboardModesApplyBehavior) {
        Handler::set_keyboard_mode(self.term, mode, behavior);
    }

    fn set_modify_other_keys(&mut self, mode: ModifyOtherKeys) {
        self.term.set_modify_other_keys(mode);
    }

    fn report_modify_other_keys(&mut self) {
        self.term.report_modify_other_keys();
    }

    fn set_scp(&mut self, char_path: ScpCharPath, update_mode: ScpUpdateMode) {
        self.term.set_scp(char_path, update_mode);
    }
}
