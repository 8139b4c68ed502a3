//! A flood of output, read on a thread of its own.
//!
//! The hub reads the PTY from its task, between sending frames to its clients. That suits a shell at its
//! prompt, but not a program that writes as fast as it can: the terminal's line discipline hands the reader a
//! few KiB at a time and refills only after a read has made room, so every moment the hub spends on its clients
//! is a moment the program waits. A read on a thread of its own, next to the hub rather than in it, raised the
//! rate of `cargo bench --bench webterm -- --only throughput` from about half the bare PTY's to about two
//! thirds of it in the median, and letting it read four chunks ahead of the hub to about the bare PTY's own
//! (BENCHMARKS.md).
//!
//! So once a read shows a flood ([`Burst::after`]), the hub hands reading to a [`Burst`]: a thread that reads
//! until the output pauses for [`QUIET`], passing each read on through a channel of [`CHANNEL`] chunks. The hub
//! takes a chunk only when it has room, so back-pressure is as before: a full channel stops the thread, and a full
//! PTY stops the program. At most [`MAX_THREADS`] bursts run in the whole server, so that many flooding sessions do
//! not mean as many threads; past that, hubs read for themselves. An idle session has no thread.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use tokio::sync::mpsc;

use super::sys::Stop;

/// A read at least this large means the program writes faster than the hub reads: time for a burst.
const FLOOD: usize = 16 * 1024;

/// The thread ends after this long without output; the hub reads for itself again.
pub const QUIET: Duration = Duration::from_millis(250);

/// Chunks the thread may read ahead of the hub. With one, the thread waited for the hub after every chunk and
/// the program waited with it; with four, the throughput bench's median rate rose by about a quarter
/// (BENCHMARKS.md), at 256 KiB at most per flooding session.
const CHANNEL: usize = 4;

/// Burst threads at once in the whole server; past it, hubs read for themselves.
pub const MAX_THREADS: usize = 32;

static THREADS: AtomicUsize = AtomicUsize::new(0);

/// A thread reading the PTY master. See the module documentation.
pub struct Burst {
    chunks: mpsc::Receiver<Bytes>,
}

impl Burst {
    /// The largest chunk: one read of the PTY.
    pub const CHUNK: usize = 64 * 1024;

    /// Whether a read of `n` bytes shows a flood.
    pub fn after(n: usize) -> bool {
        n >= FLOOD
    }

    /// Starts a thread reading `master` (a non-blocking copy of the PTY master, closed when the thread ends).
    /// `None` when `MAX_THREADS` are running or no thread can be started.
    pub fn start(master: OwnedFd) -> Option<Burst> {
        let slot = Slot::take()?;
        let (sender, chunks) = mpsc::channel(CHANNEL);
        let spawned = std::thread::Builder::new()
            .name("webterm-burst".into())
            .spawn(move || {
                let _slot = slot;
                read_until_quiet(&master, &sender)
            });
        match spawned {
            Ok(_) => Some(Burst { chunks }),
            Err(error) => {
                tracing::warn!(%error, "cannot start a thread to read a flood; the session reads it itself");
                None
            }
        }
    }

    /// The next chunk of output, in order. `None` once the thread has ended (the output paused, the terminal
    /// closed, or reading failed): the caller reads for itself again and sees the end there. Cancel-safe.
    pub async fn next(&mut self) -> Option<Bytes> {
        self.chunks.recv().await
    }
}

/// One of the [`MAX_THREADS`] places, given back when dropped.
struct Slot;

impl Slot {
    fn take() -> Option<Slot> {
        THREADS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_THREADS).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        THREADS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The thread: waits up to [`QUIET`] for output, reads what is ready (up to [`Burst::CHUNK`]), passes it on.
/// Ends when the output pauses, at the end of the terminal or an error (left for the hub's own read to see), or
/// when the hub is gone.
fn read_until_quiet(master: &OwnedFd, chunks: &mpsc::Sender<Bytes>) {
    let quiet = Timespec::try_from(QUIET).expect("a short timeout fits a timespec");
    loop {
        let mut wait = [PollFd::new(master, PollFlags::IN)];
        match rustix::event::poll(&mut wait, Some(&quiet)) {
            Ok(0) => return,
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(_) => return,
        }
        if chunks.is_closed() {
            return;
        }
        let (chunk, more) = read_ready(master);
        if !chunk.is_empty() && chunks.blocking_send(Bytes::from(chunk)).is_err() {
            return;
        }
        if !more {
            return;
        }
    }
}

/// Reads until [`Burst::CHUNK`] bytes or nothing more is ready. Also says whether reading may go on: not after
/// the end of the terminal (the hub's own read sees it again and ends the session) or an error.
fn read_ready(master: &OwnedFd) -> (Vec<u8>, bool) {
    let mut chunk = vec![0u8; Burst::CHUNK];
    let (filled, stop) = super::sys::read_ready(master, &mut chunk);
    let more = matches!(stop, Stop::Full | Stop::Drained);
    chunk.truncate(filled);
    (chunk, more)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::time::Instant;

    use portable_pty::{PtySize, native_pty_system};

    use super::*;

    /// The tests count threads against the one server-wide limit, so they run one at a time.
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// A PTY: a non-blocking copy of its master and its slave (where a program's output goes in).
    fn pty() -> (OwnedFd, std::fs::File) {
        let pair = native_pty_system()
            .openpty(PtySize::default())
            .expect("a PTY");
        let master = crate::pty::sys::dup_nonblocking(pair.master.as_raw_fd().expect("an fd"))
            .expect("a copy of the master");
        let slave = crate::pty::spawn::open_slave(&pair.master.tty_name().expect("a slave"))
            .expect("the slave");
        // Raw, so that the bytes arrive as written.
        let mut termios = rustix::termios::tcgetattr(&slave).expect("termios");
        termios.make_raw();
        rustix::termios::tcsetattr(&slave, rustix::termios::OptionalActions::Now, &termios)
            .expect("raw");
        (master, std::fs::File::from(slave))
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| b'a' + (i % 26) as u8).collect()
    }

    /// Writes `data` to the slave on a thread, counting what the kernel took; keeps the slave open until
    /// `close` is set.
    fn program(
        mut slave: std::fs::File,
        data: Vec<u8>,
        written: Arc<AtomicUsize>,
    ) -> std::thread::JoinHandle<std::fs::File> {
        std::thread::spawn(move || {
            for piece in data.chunks(4096) {
                slave.write_all(piece).expect("write to the slave");
                written.fetch_add(piece.len(), Ordering::SeqCst);
            }
            slave
        })
    }

    async fn collect(burst: &mut Burst, len: usize) -> Vec<u8> {
        let mut got = Vec::new();
        while got.len() < len {
            let chunk = tokio::time::timeout(Duration::from_secs(10), burst.next())
                .await
                .expect("output in time")
                .expect("the thread still reads");
            assert!(chunk.len() <= Burst::CHUNK);
            got.extend_from_slice(&chunk);
        }
        got
    }

    #[tokio::test]
    async fn a_flood_arrives_whole_and_in_order_and_the_thread_ends_once_it_pauses() {
        let _serial = SERIAL.lock().await;
        let (master, slave) = pty();
        let data = pattern(8 << 20);
        let writer = program(slave, data.clone(), Arc::default());
        let mut burst = Burst::start(master).expect("a thread");
        assert_eq!(THREADS.load(Ordering::SeqCst), 1);
        let got = collect(&mut burst, data.len()).await;
        assert!(got == data, "the output came changed or out of order");
        // The program is still there (its terminal is open) but quiet: the thread ends after QUIET.
        let _slave = writer.join().expect("the writer");
        let quiet_from = Instant::now();
        let end = tokio::time::timeout(Duration::from_secs(10), burst.next()).await;
        assert_eq!(end.expect("the thread ends"), None);
        // Not at once: it waited for the quiet (the margin is for a test thread that ran late).
        assert!(
            quiet_from.elapsed() >= QUIET / 2,
            "{:?}",
            quiet_from.elapsed()
        );
        drop(burst);
        for _ in 0..100 {
            if THREADS.load(Ordering::SeqCst) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the thread's place was not given back");
    }

    #[tokio::test]
    async fn the_thread_stops_reading_while_its_chunks_are_not_taken() {
        let _serial = SERIAL.lock().await;
        let (master, slave) = pty();
        let data = pattern(16 << 20);
        let written = Arc::new(AtomicUsize::new(0));
        let writer = program(slave, data.clone(), written.clone());
        let mut burst = Burst::start(master).expect("a thread");
        tokio::time::sleep(Duration::from_millis(500)).await;
        // The channel's chunks, one in the thread, and what the kernel holds: the program is stopped.
        let held = written.load(Ordering::SeqCst);
        assert!(
            held < 1 << 20,
            "{held} bytes taken from a program nobody reads"
        );
        let got = collect(&mut burst, data.len()).await;
        assert!(got == data, "the output came changed or out of order");
        drop(writer.join().expect("the writer"));
    }

    #[tokio::test]
    async fn the_end_of_the_terminal_ends_the_thread_after_the_last_output() {
        let _serial = SERIAL.lock().await;
        let (master, slave) = pty();
        let data = pattern(1 << 20);
        let writer = program(slave, data.clone(), Arc::default());
        let mut burst = Burst::start(master).expect("a thread");
        let got = collect(&mut burst, data.len()).await;
        assert!(got == data);
        drop(writer.join().expect("the writer"));
        let end = tokio::time::timeout(Duration::from_secs(10), burst.next()).await;
        assert_eq!(end.expect("the thread ends"), None);
    }

    #[tokio::test]
    async fn no_more_than_max_threads_run_at_once() {
        let _serial = SERIAL.lock().await;
        let taken: Vec<Slot> = (0..MAX_THREADS).map_while(|_| Slot::take()).collect();
        assert_eq!(taken.len(), MAX_THREADS);
        let (master, _slave) = pty();
        assert!(Burst::start(master).is_none(), "a thread past the limit");
        drop(taken);
        let (master, _slave) = pty();
        assert!(
            Burst::start(master).is_some(),
            "a thread once places are free"
        );
    }
}
