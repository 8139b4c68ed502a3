//! Reading a password from stdin for `webterm hash-password`: one line, not echoed when stdin is a terminal.

use std::io::BufRead;

use rustix::termios::{self, LocalModes, OptionalActions};

/// Why no password was read.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// stdin could not be read.
    #[error("cannot read the password from stdin: {0}")]
    Read(#[from] std::io::Error),
    /// stdin ended before a line came.
    #[error(
        "no password on stdin; type it and press Enter, or pipe it in: printf '%s\\n' PASSWORD | webterm hash-password"
    )]
    Nothing,
}

/// Reads one line from stdin, without its line ending. On a terminal, prompts on stderr and turns echo off meanwhile.
pub fn read_password() -> Result<String, PromptError> {
    let stdin = std::io::stdin();
    let _echo_off = if termios::isatty(&stdin) {
        eprint!("password (not shown): ");
        EchoOff::new(&stdin)
    } else {
        None
    };
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line)?;
    if _echo_off.is_some() {
        eprintln!();
    }
    if read == 0 {
        return Err(PromptError::Nothing);
    }
    let password = line.strip_suffix('\n').unwrap_or(&line);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_owned())
}

/// Turns the terminal's echo off until dropped.
struct EchoOff {
    saved: termios::Termios,
}

impl EchoOff {
    fn new(stdin: &std::io::Stdin) -> Option<EchoOff> {
        let saved = termios::tcgetattr(stdin).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        termios::tcsetattr(stdin, OptionalActions::Now, &quiet).ok()?;
        Some(EchoOff { saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &self.saved);
    }
}
