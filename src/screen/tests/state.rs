//! Round trips of the state beyond the cells: the alternate screen, cursors, the scroll region, modes, tab
//! stops, character sets, the title and the palette.

use alacritty_terminal::term::TermMode;
use alacritty_terminal::term::cell::Flags;
use alacritty_terminal::vte::ansi::{Color, NamedColor, Rgb};

use super::{Expect, cell, compare, fed, round_trip};

#[test]
fn a_vim_like_alternate_screen_survives_with_the_primary_screen_below_it() {
    let mut a = fed(
        20,
        5,
        b"$ ls\r\nfile1  file2\r\n$ vim file1\x1b[?1049h\x1b[?1h\x1b=\x1b[?2004h\x1b[H\x1b[2J\
          hello vim\r\n~\r\n~\r\n~\x1b[5;1H\x1b[7m\"file1\" 1L, 10B\x1b[0m\x1b[1;3H",
    );
    let mut b = round_trip(&mut a);
    assert_eq!(b.lines(), ["hello vim", "~", "~", "~", "\"file1\" 1L, 10B"]);
    assert!(cell(&b, 4, 0).flags.contains(Flags::INVERSE));
    assert_eq!(b.cursor(), (0, 2));
    let modes = TermMode::ALT_SCREEN
        | TermMode::APP_CURSOR
        | TermMode::APP_KEYPAD
        | TermMode::BRACKETED_PASTE;
    assert!(b.term.mode().contains(modes));

    // Leaving vim shows the shell again, on both, with the cursor where vim found it.
    a.feed(b"\x1b[?1049l\x1b[?1l\x1b>\r\n$ ");
    b.feed(b"\x1b[?1049l\x1b[?1l\x1b>\r\n$ ");
    assert_eq!(compare(&mut a, &mut b, Expect::Same), Ok(()));
    assert_eq!(b.lines(), ["$ ls", "file1  file2", "$ vim file1", "$", ""]);
}

#[test]
fn the_primary_pen_comes_back_when_the_alternate_screen_ends() {
    // The shell's pen is blue on yellow when the program takes over the screen, and the program clears
    // the alternate screen with the default pen: it must be blank, not yellow, and the pen blue on yellow
    // again afterwards.
    let mut a = fed(10, 3, b"\x1b[34;43mabc\x1b[?1049h\x1b[0m\x1b[2Jx");
    let mut b = round_trip(&mut a);
    assert_eq!(cell(&b, 0, 5).bg, Color::Named(NamedColor::Background));
    a.feed(b"\x1b[?1049ly");
    b.feed(b"\x1b[?1049ly");
    assert_eq!(compare(&mut a, &mut b, Expect::Same), Ok(()));
    assert_eq!(cell(&b, 0, 3).bg, Color::Named(NamedColor::Yellow));
    assert_eq!(cell(&b, 0, 3).fg, Color::Named(NamedColor::Blue));
}

#[test]
fn the_scroll_region_survives_and_keeps_scrolling_the_same_rows() {
    let mut a = fed(
        10,
        6,
        b"top\x1b[2;5r\x1b[2;1Hfirst\x1b[5;1Hlast\x1b[6;1Hstatus",
    );
    let mut b = round_trip(&mut a);
    assert_eq!(b.hidden.scroll_region, Some((2, 5)));
    // A new line at the bottom of the region scrolls only rows 2 to 5.
    a.feed(b"\x1b[5;1H\nnew");
    b.feed(b"\x1b[5;1H\nnew");
    assert_eq!(compare(&mut a, &mut b, Expect::Same), Ok(()));
    assert_eq!(b.lines(), ["top", "", "", "last", "new", "status"]);
}

#[test]
fn mouse_and_keyboard_modes_survive() {
    for modes in [
        &b"\x1b[?1000h\x1b[?1006h\x1b[?1004h"[..],
        b"\x1b[?1002h\x1b[?1005h",
        b"\x1b[?1003h\x1b[?2004h\x1b[?25l",
        b"\x1b[?7l\x1b[4h\x1b[20h\x1b[?1007l\x1b[?1042l",
        b"\x1b[3;4r\x1b[?6h\x1b[2;2H",
        b"\x1b[3 q",
        b"\x1b[?12h",
    ] {
        let mut a = fed(10, 5, modes);
        let b = round_trip(&mut a);
        assert_eq!(b.term.mode(), a.term.mode());
    }
}

#[test]
fn the_saved_cursor_tab_stops_and_character_sets_survive() {
    let mut a = fed(
        30,
        4,
        b"\x1b[3g\x1b[5GX\x1bH\x1b[13GY\x1bH\x1b[2;7H\x1b[32m\x1b(0\x1b7\x1b(B\x1b[0m\x1b)0\x0eqqq\x1b[1;1H",
    );
    let mut b = round_trip(&mut a);
    for bytes in [&b"\tT\tU"[..], b"\x1b8lqk", b"\x0flqk"] {
        a.feed(bytes);
        b.feed(bytes);
        assert_eq!(compare(&mut a, &mut b, Expect::Same), Ok(()));
    }
    // HT stopped at the two tab stops; ESC 8 brought back G0 as line drawing but G1 (selected by SO) as
    // ASCII; SI then selected G0.
    assert_eq!(b.lines()[0], "    XT      YU");
    assert_eq!(b.lines()[1], "      lqk┌─┐");
}

#[test]
fn a_pending_wrap_survives() {
    // The cursor sits on the last column waiting to wrap: the next character goes to the next row.
    let mut a = fed(5, 3, "abcde\x1b[2;1H123中".as_bytes());
    assert!(a.term.grid().cursor.input_needs_wrap);
    let mut b = round_trip(&mut a);
    a.feed(b"x");
    b.feed(b"x");
    assert_eq!(compare(&mut a, &mut b, Expect::Same), Ok(()));
    assert_eq!(b.lines(), ["abcde", "123中", "x"]);
}

#[test]
fn the_title_set_with_osc_2_or_osc_0_survives() {
    let mut a = fed(10, 2, b"\x1b]2;first\x07\x1b]0;second \xe2\x9c\x93\x1b\\");
    assert_eq!(a.title(), Some("second ✓"));
    let b = round_trip(&mut a);
    assert_eq!(b.title(), Some("second ✓"));

    // No title replaces the receiver's old one with an empty one.
    let mut untitled = fed(10, 2, b"text");
    let b = round_trip(&mut untitled);
    assert_eq!(b.title(), None);
}

#[test]
fn palette_changes_survive() {
    let mut a = fed(
        10,
        2,
        b"\x1b]4;1;rgb:ff/80/00\x07\x1b]10;#102030\x07\x1b]12;rgb:01/02/03\x07",
    );
    let b = round_trip(&mut a);
    assert_eq!(
        b.term.colors()[1],
        Some(Rgb {
            r: 255,
            g: 128,
            b: 0
        })
    );
    assert_eq!(
        b.term.colors()[NamedColor::Foreground],
        Some(Rgb {
            r: 16,
            g: 32,
            b: 48
        })
    );
    assert_eq!(b.term.colors()[NamedColor::Background], None);
}
