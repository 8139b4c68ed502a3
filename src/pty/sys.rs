//! The few places where the PTY layer meets raw file descriptors and signal numbers.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use rustix::fs::OFlags;
use rustix::io::Errno;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Duplicates the PTY master `raw` and makes the copy non-blocking, for tokio's `AsyncFd`.
///
/// O_NONBLOCK lives on the open file description, so the original descriptor becomes non-blocking too; the
/// session closes that one right after (`Session::spawn`) and keeps the copy.
pub fn dup_nonblocking(raw: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: `raw` is the master descriptor owned by portable-pty's `MasterPty`, which the caller keeps
    // alive for the duration of this call; the borrow ends before this function returns.
    let borrowed = unsafe { BorrowedFd::borrow_raw(raw) };
    let fd = rustix::io::fcntl_dupfd_cloexec(borrowed, 0)?;
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags | OFlags::NONBLOCK)?;
    Ok(fd)
}

/// Why [`read_ready`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The buffer is full; more may be ready.
    Full,
    /// Nothing more is ready now (EAGAIN).
    Drained,
    /// No process holds the terminal open any more: Linux answers EIO (or 0) once every slave descriptor is
    /// closed and what they wrote is read.
    Ended,
    /// Reading failed otherwise.
    Failed(Errno),
}

/// Reads the non-blocking PTY master `fd` into `buf` until it is full or nothing more is ready; returns how many
/// bytes came and why it stopped. The one read loop of the hub's own reads and of a flood's thread.
pub fn read_ready(fd: &OwnedFd, buf: &mut [u8]) -> (usize, Stop) {
    let mut filled = 0;
    loop {
        match rustix::io::read(fd, &mut buf[filled..]) {
            Ok(0) | Err(Errno::IO) => return (filled, Stop::Ended),
            Ok(n) => {
                filled += n;
                if filled == buf.len() {
                    return (filled, Stop::Full);
                }
            }
            Err(Errno::AGAIN) => return (filled, Stop::Drained),
            Err(Errno::INTR) => {}
            Err(error) => return (filled, Stop::Failed(error)),
        }
    }
}

/// Registers an owned descriptor with tokio's reactor, for `interest` only: readiness nobody waits for would
/// still wake the thread.
pub fn async_fd(fd: OwnedFd, interest: Interest) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: an `OwnedFd` is open and refers to the same file description for as long as it is owned,
    // and the `AsyncFd` owns it until it is dropped.
    Ok(unsafe { AsyncFd::register_with_interest(fd, interest) }?)
}

/// The conventional name of a signal number, like `SIGKILL`.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        26 => "SIGVTALRM",
        27 => "SIGPROF",
        31 => "SIGSYS",
        other => return format!("SIG{other}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_have_their_usual_names() {
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(1), "SIGHUP");
        assert_eq!(signal_name(64), "SIG64");
    }
}
