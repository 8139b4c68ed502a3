//! Round trips of what cells hold: text, scrollback, colours and attributes, soft wraps, wide characters
//! and combining marks.

use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::{Column, Line};
use alacritty_terminal::term::cell::Flags;
use alacritty_terminal::vte::ansi::{Color, NamedColor, Rgb};

use super::{cell, fed, round_trip};

#[test]
fn plain_lines_and_scrollback_survive_a_round_trip() {
    let mut output = String::new();
    for number in 0..100 {
        output.push_str(&format!("line {number}\r\n"));
    }
    output.push_str("$ ");
    let mut a = fed(20, 5, output.as_bytes());
    assert_eq!(a.term.grid().history_size(), 96);

    let b = round_trip(&mut a);
    assert_eq!(b.lines(), ["line 96", "line 97", "line 98", "line 99", "$"]);
    assert_eq!(b.cursor(), (4, 2));
    assert_eq!(b.term.grid()[Line(-96)][Column(5)].c, '0');
}

#[test]
fn colours_of_every_kind_and_each_attribute_survive() {
    let mut a = fed(
        40,
        6,
        b"\x1b[31mred\x1b[0m \x1b[92mbright\x1b[0m \x1b[38;5;208morange\x1b[0m \x1b[38;2;1;2;3mrgb\r\n\
          \x1b[0;41mbg\x1b[0m \x1b[105mbright\x1b[0m \x1b[48;5;17mindexed\x1b[0m \x1b[48;2;9;8;7mrgb\x1b[0m\r\n\
          \x1b[1mbold\x1b[0m \x1b[2mdim\x1b[0m \x1b[3mitalic\x1b[0m \x1b[4munder\x1b[0m \x1b[7minverse\x1b[0m\r\n\
          \x1b[8mhidden\x1b[0m \x1b[9mstrike\x1b[0m \x1b[1;2mboth\x1b[0m \x1b[4:2mdouble\x1b[4:3mcurl\x1b[0m\r\n\
          \x1b[4:4mdotted\x1b[4:5mdashed\x1b[58;5;3mcolour\x1b[58;2;4;5;6mrgb\x1b[0m\r\n\
          \x1b[44m    \x1b[K\x1b[0m\x1b]8;id=x;http://example.com/\x1b\\link\x1b]8;;\x1b\\ \x1b[7;33m",
    );
    let b = round_trip(&mut a);
    assert_eq!(cell(&b, 0, 0).fg, Color::Named(NamedColor::Red));
    assert_eq!(cell(&b, 0, 4).fg, Color::Named(NamedColor::BrightGreen));
    assert_eq!(cell(&b, 0, 11).fg, Color::Indexed(208));
    assert_eq!(cell(&b, 0, 18).fg, Color::Spec(Rgb { r: 1, g: 2, b: 3 }));
    assert_eq!(cell(&b, 1, 0).bg, Color::Named(NamedColor::Red));
    assert!(cell(&b, 2, 0).flags.contains(Flags::BOLD));
    assert!(cell(&b, 3, 15).flags.contains(Flags::BOLD | Flags::DIM));
    assert!(cell(&b, 3, 20).flags.contains(Flags::DOUBLE_UNDERLINE));
    // `\x1b[K` with a blue pen painted the rest of row 5 blue.
    assert_eq!(cell(&b, 5, 39).bg, Color::Named(NamedColor::Blue));
    assert_eq!(
        cell(&b, 5, 4).hyperlink().map(|link| link.uri().to_owned()),
        Some("http://example.com/".to_owned())
    );
    // The pen the program will draw with next came along too.
    let template = &b.term.grid().cursor.template;
    assert!(template.flags.contains(Flags::INVERSE));
    assert_eq!(template.fg, Color::Named(NamedColor::Yellow));
}

#[test]
fn a_soft_wrapped_line_flows_into_the_next_row() {
    let mut a = fed(10, 4, b"0123456789abcdefghij0123\r\nnext");
    let b = round_trip(&mut a);
    assert_eq!(b.lines(), ["0123456789", "abcdefghij", "0123", "next"]);
    assert!(cell(&b, 0, 9).flags.contains(Flags::WRAPLINE));
    assert!(cell(&b, 1, 9).flags.contains(Flags::WRAPLINE));
    assert!(!cell(&b, 2, 9).flags.contains(Flags::WRAPLINE));
    let snapshot = String::from_utf8(a.snapshot()).unwrap();
    assert!(
        snapshot.contains("0123456789abcdefghij0123\r\n"),
        "the wrapped text is written in one run: {snapshot:?}"
    );

    // Wrapping at the bottom scrolls in a line cleared with the pen's background (red here); the program
    // then cleared the rest of it with the default one, and so must the snapshot.
    let mut a = fed(5, 2, b"1\r\n2\r\n3\r\nabcd\x1b[41mef\x1b[0m\x1b[K");
    let b = round_trip(&mut a);
    assert_eq!(cell(&b, 1, 0).bg, Color::Named(NamedColor::Red));
    assert_eq!(cell(&b, 1, 1).bg, Color::Named(NamedColor::Background));
}

#[test]
fn wide_characters_survive_including_one_that_wraps_at_the_last_column() {
    // Row 0: 9 columns of ASCII, then 中 does not fit in the last column and wraps.
    let mut a = fed(10, 4, "123456789中文字\r\n\x1b[32m日本\x1b[0m語".as_bytes());
    assert!(
        cell(&a, 0, 9)
            .flags
            .contains(Flags::LEADING_WIDE_CHAR_SPACER)
    );
    let b = round_trip(&mut a);
    assert_eq!(b.lines(), ["123456789", "中文字", "日本語", ""]);
    assert!(
        cell(&b, 0, 9)
            .flags
            .contains(Flags::LEADING_WIDE_CHAR_SPACER | Flags::WRAPLINE)
    );
    assert!(cell(&b, 1, 0).flags.contains(Flags::WIDE_CHAR));
    assert!(cell(&b, 1, 1).flags.contains(Flags::WIDE_CHAR_SPACER));
    assert_eq!(b.cursor(), (2, 6));
}

#[test]
fn combining_characters_stay_in_their_cell() {
    // e + combining acute, x with two marks, and a mark written where there is no character before it.
    let mut a = fed(
        12,
        3,
        "cafe\u{301} x\u{308}\u{323}y\r\n\u{301}at column 0".as_bytes(),
    );
    let b = round_trip(&mut a);
    assert_eq!(cell(&b, 0, 3).zerowidth(), Some(&['\u{301}'][..]));
    assert_eq!(
        cell(&b, 0, 5).zerowidth(),
        Some(&['\u{308}', '\u{323}'][..])
    );
    assert_eq!(b.lines()[0], "cafe\u{301} x\u{308}\u{323}y");
}
