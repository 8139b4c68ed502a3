//! The pen: the attributes SGR and OSC 8 give the characters printed next, and the sequences that switch
//! from one pen to another.

use alacritty_terminal::term::cell::{Cell, Flags, Hyperlink};
use alacritty_terminal::vte::ansi::Color;

use super::cells;

/// SGR parameters for the style flags.
const STYLE_PARAMETERS: [(Flags, &str); 11] = [
    (Flags::BOLD, "1"),
    (Flags::DIM, "2"),
    (Flags::ITALIC, "3"),
    (Flags::UNDERLINE, "4"),
    (Flags::DOUBLE_UNDERLINE, "4:2"),
    (Flags::UNDERCURL, "4:3"),
    (Flags::DOTTED_UNDERLINE, "4:4"),
    (Flags::DASHED_UNDERLINE, "4:5"),
    (Flags::INVERSE, "7"),
    (Flags::HIDDEN, "8"),
    (Flags::STRIKEOUT, "9"),
];

/// What printed characters get: the attributes SGR and OSC 8 set.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pen {
    fg: Color,
    bg: Color,
    flags: Flags,
    underline_color: Option<Color>,
    hyperlink: Option<Hyperlink>,
}

impl Pen {
    /// The pen that prints `cell` (or the cursor's pen, for its template cell).
    pub fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            flags: cell.flags & cells::STYLE,
            underline_color: cell.underline_color(),
            hyperlink: cell.hyperlink(),
        }
    }

    /// The pen after a reset.
    pub fn reset() -> Pen {
        Pen::of(&Cell::default())
    }

    /// Whether the pen has the default background, which erasing and scrolling fill new cells with.
    pub fn has_default_background(&self) -> bool {
        self.bg == Pen::reset().bg
    }

    /// Writes to `out` what switches a terminal from this pen to `to`: one SGR if any attribute changes,
    /// OSC 8 if the hyperlink does.
    pub fn switch_to(&self, to: &Pen, out: &mut String) {
        let attributes = |pen: &Pen| (pen.fg, pen.bg, pen.flags, pen.underline_color);
        if attributes(to) != attributes(self) {
            out.push_str(&sgr(to));
        }
        if to.hyperlink != self.hyperlink {
            out.push_str(&osc_8(to.hyperlink.as_ref()));
        }
    }
}

/// One SGR that resets, then sets every attribute of `pen`.
fn sgr(pen: &Pen) -> String {
    let mut parameters = vec![String::from("0")];
    for (flag, parameter) in STYLE_PARAMETERS {
        if pen.flags.contains(flag) {
            parameters.push(parameter.to_owned());
        }
    }
    parameters.extend(color_parameters(pen.fg, 30, 90, 38));
    parameters.extend(color_parameters(pen.bg, 40, 100, 48));
    parameters.extend(pen.underline_color.and_then(underline_color_parameters));
    format!("\x1b[{}m", parameters.join(";"))
}

/// OSC 8: starts `link`, or ends the current one.
fn osc_8(link: Option<&Hyperlink>) -> String {
    match link {
        Some(link) => {
            let id = without_controls(link.id());
            let uri = without_controls(link.uri());
            format!("\x1b]8;id={id};{uri}\x1b\\")
        }
        None => String::from("\x1b]8;;\x1b\\"),
    }
}

/// SGR parameters selecting `color` as foreground (30, 90, 38) or background (40, 100, 48); none for the
/// default colour, which SGR 0 already selected.
fn color_parameters(color: Color, normal: usize, bright: usize, extended: usize) -> Option<String> {
    match color {
        Color::Named(name) => {
            let index = name as usize;
            if index < 8 {
                Some((normal + index).to_string())
            } else if index < 16 {
                Some((bright + index - 8).to_string())
            } else {
                // The default colours; the parser makes no other named colour.
                None
            }
        }
        Color::Indexed(index) => Some(format!("{extended};5;{index}")),
        Color::Spec(rgb) => Some(format!("{extended};2;{};{};{}", rgb.r, rgb.g, rgb.b)),
    }
}

/// SGR 58 parameters for an underline colour (the parser only makes indexed and truecolor ones).
fn underline_color_parameters(color: Color) -> Option<String> {
    match color {
        Color::Indexed(index) => Some(format!("58;5;{index}")),
        Color::Spec(rgb) => Some(format!("58;2;{};{};{}", rgb.r, rgb.g, rgb.b)),
        Color::Named(_) => None,
    }
}

/// `text` without control characters, which could end an OSC string early.
pub(super) fn without_controls(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}
