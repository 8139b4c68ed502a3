//! A `Session`: one program running under a real pseudo-terminal, driven without a thread of its own.
//!
//! The PTY master is read and written through tokio's `AsyncFd`; the program's exit is seen through a pidfd.
//! portable-pty opens the PTY, `spawn.rs` starts the program on it; the session then keeps only its own
//! non-blocking copy of the master (three descriptors per session with the socket and the pidfd, so more sessions
//! fit under the open-file limit; a fourth only while input waits for the program to read).
//! A session knows nothing about WebSockets: connections attach to it from the outside.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use portable_pty::{PtySize, native_pty_system};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, WaitId, WaitIdOptions, WaitOptions};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::account::Account;
use super::burst::Burst;
use super::process::{self, Teardown};
use super::spawn::{self, Program};
use super::sys::{self, Stop};
use crate::protocol::{ExitStatus, Size};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    /// The program and its arguments. Empty means `$SHELL`, else `/bin/sh`.
    pub command: Vec<String>,
    /// The initial terminal size.
    pub size: Size,
    /// The `TERM` the program sees.
    pub term: String,
    /// How long hung-up processes get before SIGKILL.
    pub kill_grace: Duration,
    /// Where the program starts; `None` means webterm's own directory (the account's home with `account`).
    pub cwd: Option<PathBuf>,
    /// The program's environment besides `TERM` and `COLORTERM`; `None` means webterm's own.
    pub env: Option<Vec<(String, String)>>,
    /// The account to run the program as; `None` means webterm's own.
    pub account: Option<Account>,
}

/// Why a session could not start or be driven.
#[derive(Debug, thiserror::Error)]
pub enum PtyError {
    /// The kernel would not give us a pseudo-terminal.
    #[error("could not open a pseudo-terminal: {0}")]
    Open(String),
    /// The program could not be started.
    #[error("could not start `{command}`: {reason}; check the `session.command` setting")]
    Spawn {
        /// The program.
        command: String,
        /// What went wrong.
        reason: String,
    },
    /// The PTY could not be resized.
    #[error("could not resize the terminal: {0}")]
    Resize(String),
    /// A system call on the PTY or the process failed.
    #[error("pseudo-terminal I/O failed: {0}")]
    Io(#[from] io::Error),
}

/// One program under one pseudo-terminal.
pub struct Session {
    id: String,
    command: String,
    size: Size,
    /// The PTY master, non-blocking, registered for reading only. Were it registered for writing too, each
    /// time the program read its input the master would turn writable and wake the hub's thread: once per
    /// keystroke, for nothing.
    io: AsyncFd<OwnedFd>,
    /// A copy of the master registered for writing, only while input waits for the program to read.
    blocked: RefCell<Option<AsyncFd<OwnedFd>>>,
    pid: i32,
    pidfd: AsyncFd<OwnedFd>,
    status: OnceLock<ExitStatus>,
    kill_grace: Duration,
    torn_down: bool,
}

/// The `PATH` a program gets when `session.env_allow` does not let webterm's own through.
pub const STANDARD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The program a session runs when none is configured.
pub fn default_command() -> Vec<String> {
    let shell = std::env::var("SHELL").ok().filter(|s| !s.is_empty());
    vec![shell.unwrap_or_else(|| "/bin/sh".to_string())]
}

impl Session {
    /// Opens a PTY of the requested size and starts the program on it, as the leader of a new session.
    pub fn spawn(options: &SpawnOptions) -> Result<Session, PtyError> {
        let argv = match (&options.account, options.command.is_empty()) {
            (_, false) => options.command.clone(),
            (Some(account), true) => vec![account.shell.clone()],
            (None, true) => default_command(),
        };
        let command = argv.join(" ");
        let argv = match &options.account {
            Some(account) => account.wrap(&argv),
            None => argv,
        };
        let pair = native_pty_system()
            .openpty(pty_size(options.size))
            .map_err(|e| PtyError::Open(e.to_string()))?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut program = Program {
            argv,
            // SECURITY: with `session.env_allow`, only the allowed variables of webterm's environment reach the
            // program.
            env: match &options.env {
                Some(env) => env
                    .iter()
                    .map(|(name, value)| (name.into(), value.into()))
                    .collect(),
                None => std::env::vars_os().collect(),
            },
            cwd: None,
        };
        if program.get("PATH").is_none() {
            // Programs are found through PATH; without webterm's, the standard one.
            program.set("PATH", STANDARD_PATH);
        }
        match &options.account {
            Some(account) => {
                program.set("HOME", &account.home);
                program.set("USER", &account.name);
                program.set("LOGNAME", &account.name);
                program.set("SHELL", &account.shell);
            }
            None => {
                let shell = spawn::login_shell(program.get("SHELL"));
                program.set("SHELL", shell);
            }
        }
        program.set(process::SESSION_ENV, &id);
        program.set("TERM", &options.term);
        program.set("COLORTERM", "truecolor");
        program.cwd = options
            .cwd
            .clone()
            // Checked at start, but it may have gone since.
            .filter(|dir| dir.is_dir())
            .or_else(|| {
                let home = &options.account.as_ref()?.home;
                Some(if home.is_dir() {
                    home.clone()
                } else {
                    PathBuf::from("/")
                })
            });

        let spawn_error = |reason: String| PtyError::Spawn {
            command: command.clone(),
            reason,
        };
        let tty = pair
            .master
            .tty_name()
            .ok_or_else(|| PtyError::Open("the PTY has no slave device".into()))?;
        let mut failure = None;
        let spawned = process::spawn_leader(|| {
            spawn::spawn(&program, &tty)
                .inspect_err(|error| failure = Some(error.to_string()))
                .ok()
        });
        // The child opened the slave itself (so that it is its controlling terminal); our copy would keep the
        // PTY open after the program exits.
        drop(pair.slave);
        let Some(pid) = spawned else {
            return Err(spawn_error(
                failure.unwrap_or_else(|| "no process id".into()),
            ));
        };

        let pidfd = Pid::from_raw(pid)
            .ok_or_else(|| io::Error::other("invalid pid"))
            .and_then(|pid| Ok(rustix::process::pidfd_open(pid, PidfdFlags::NONBLOCK)?));
        let io = pair
            .master
            .as_raw_fd()
            .ok_or_else(|| io::Error::other("the PTY master has no file descriptor"))
            .and_then(sys::dup_nonblocking);
        // Our copy does everything from here on (reads, writes, resizes).
        drop(pair.master);
        let (pidfd, io) = match (
            pidfd.and_then(|fd| sys::async_fd(fd, Interest::READABLE)),
            io.and_then(|fd| sys::async_fd(fd, Interest::READABLE)),
        ) {
            (Ok(pidfd), Ok(io)) => (pidfd, io),
            (Err(error), _) | (_, Err(error)) => {
                Teardown::start(pid, false, &id, Duration::ZERO).finish_blocking();
                let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
                process::forget_leader(pid);
                return Err(error.into());
            }
        };
        Ok(Session {
            id,
            command,
            size: options.size,
            io,
            blocked: RefCell::new(None),
            pid,
            pidfd,
            status: OnceLock::new(),
            kill_grace: options.kill_grace,
            torn_down: false,
        })
    }

    /// The session's id, unique for the life of the server.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The program and its arguments as configured, for logs and recordings.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The process id of the program (the session leader).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The current terminal size.
    pub fn size(&self) -> Size {
        self.size
    }

    /// Resizes the terminal; the kernel sends SIGWINCH to the foreground job.
    pub fn resize(&mut self, size: Size) -> Result<(), PtyError> {
        let winsize = rustix::termios::Winsize {
            ws_row: size.rows,
            ws_col: size.cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(self.io.get_ref(), winsize)
            .map_err(|e| PtyError::Resize(e.to_string()))?;
        self.size = size;
        Ok(())
    }

    /// Waits for output, then takes everything that is ready, up to [`Burst::CHUNK`] bytes. Empty means no
    /// process holds the terminal open any more. Cancel-safe: no byte is lost if the future is dropped.
    ///
    /// The bytes are read into one buffer per thread and copied out, so that an idle session holds no buffer
    /// (a 64 KiB buffer per session cost about 8 KiB of resident memory each: BENCHMARKS.md).
    ///
    /// This and the other waits here poll tokio's readiness instead of awaiting its futures: a session's hub
    /// waits on all of them at once for as long as the session lives, and each such future is about 200 bytes.
    pub async fn read(&self) -> io::Result<Bytes> {
        poll_fn(|cx| self.poll_read(cx)).await
    }

    fn poll_read(&self, cx: &mut Context<'_>) -> Poll<io::Result<Bytes>> {
        thread_local! {
            static BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0; Burst::CHUNK]);
        }
        loop {
            let mut guard = ready!(self.io.poll_read_ready(cx))?;
            // No await while the buffer is borrowed: the whole read happens in this poll.
            let read = BUFFER.with_borrow_mut(|buf| {
                let (filled, stop) = sys::read_ready(self.io.get_ref(), buf);
                match stop {
                    Stop::Failed(error) => return Err(io::Error::from(error)),
                    Stop::Drained => {
                        guard.clear_ready();
                        if filled == 0 {
                            return Ok(None);
                        }
                    }
                    Stop::Full | Stop::Ended => {}
                }
                Ok(Some(Bytes::copy_from_slice(&buf[..filled])))
            })?;
            if let Some(bytes) = read {
                return Poll::Ready(Ok(bytes));
            }
        }
    }

    /// Hands reading to a thread of its own, for a flood of output (see [`Burst`]). `None` when no thread is
    /// free; then [`Session::read`] goes on as before.
    pub fn burst(&self) -> Option<Burst> {
        let copy = rustix::io::fcntl_dupfd_cloexec(self.io.get_ref(), 0)
            .inspect_err(|error| tracing::warn!(%error, "cannot copy the PTY master for a burst"))
            .ok()?;
        Burst::start(copy)
    }

    /// Writes input to the program; returns how much the kernel took. Cancel-safe.
    pub async fn write(&self, data: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, data)).await
    }

    fn poll_write(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let mut blocked = self.blocked.borrow_mut();
        loop {
            let Some(copy) = blocked.as_ref() else {
                match rustix::io::write(self.io.get_ref(), data) {
                    Err(Errno::INTR) => continue,
                    // The terminal's input buffer is full: wait for room on a copy registered for writing.
                    Err(Errno::AGAIN) => {
                        let copy = rustix::io::fcntl_dupfd_cloexec(self.io.get_ref(), 0)?;
                        *blocked = Some(sys::async_fd(copy, Interest::WRITABLE)?);
                        continue;
                    }
                    written => return Poll::Ready(Ok(written?)),
                }
            };
            let mut guard = ready!(copy.poll_write_ready(cx))?;
            match rustix::io::write(self.io.get_ref(), data) {
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => guard.clear_ready(),
                written => {
                    *blocked = None;
                    return Poll::Ready(Ok(written?));
                }
            }
        }
    }

    /// Waits for the program to end and reaps it. Cancel-safe; later calls return the same status.
    pub async fn wait(&self) -> io::Result<ExitStatus> {
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = self.status.get() {
                return Poll::Ready(Ok(status.clone()));
            }
            let mut guard = ready!(self.pidfd.poll_read_ready(cx))?;
            let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG;
            match rustix::process::waitid(WaitId::PidFd(self.pidfd.get_ref().as_fd()), options) {
                Ok(Some(status)) => {
                    let status = match status.terminating_signal() {
                        Some(signal) => ExitStatus::Signal {
                            signal: sys::signal_name(signal),
                        },
                        None => ExitStatus::Code {
                            code: status.exit_status().unwrap_or(0),
                        },
                    };
                    process::forget_leader(self.pid);
                    let _ = self.status.set(status);
                }
                Ok(None) => guard.clear_ready(),
                Err(error) => return Poll::Ready(Err(error.into())),
            }
        }
    }

    /// Ends the session: hangs up every process in it, kills what is left after the grace period, and
    /// reaps the program. Returns how the program ended.
    pub async fn shutdown(self) -> Option<ExitStatus> {
        let grace = self.kill_grace;
        self.shutdown_within(grace).await
    }

    /// How long [`Session::shutdown`] waits between the hang-up and SIGKILL (`session.kill_grace_ms`).
    pub fn kill_grace(&self) -> Duration {
        self.kill_grace
    }

    /// [`Session::shutdown`], with SIGKILL after `kill_grace` instead of the session's own.
    pub async fn shutdown_within(mut self, kill_grace: Duration) -> Option<ExitStatus> {
        // Until `wait` below, a leader not reaped yet keeps its pid (a zombie's is not given to another process).
        Teardown::start(self.pid, self.status.get().is_some(), &self.id, kill_grace)
            .finish()
            .await;
        let status = self.wait().await.ok();
        self.torn_down = true;
        status
    }
}

impl Drop for Session {
    /// The safety net for sessions dropped without [`Session::shutdown`] (a panic, a runtime going away):
    /// the teardown runs on a thread of its own so that nothing is left behind.
    fn drop(&mut self) {
        let reaped = self.status.get().is_some();
        if self.torn_down || reaped && process::session_tree(self.pid, true, &self.id).is_empty() {
            return;
        }
        let (pid, grace) = (self.pid, self.kill_grace);
        let teardown = Teardown::start(pid, reaped, &self.id, grace);
        let spawned = std::thread::Builder::new()
            .name("webterm-teardown".into())
            .spawn(move || {
                teardown.finish_blocking();
                if !reaped {
                    let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
                    process::forget_leader(pid);
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, pid, "could not start a teardown thread; processes may be left behind");
        }
    }
}

fn pty_size(size: Size) -> PtySize {
    PtySize {
        rows: size.rows,
        cols: size.cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}
