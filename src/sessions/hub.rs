//! The hub: the one task that runs a session. It owns the PTY, the server-side screen and the recording, and
//! fans the program's output out to every attached client. It reads the PTY itself, except during a flood of
//! output, which a thread of its own reads for it (`crate::pty::Burst`).
//!
//! Flow control is per client (`clients.rs`). The PTY is read only while at least one client has room (or none
//! is attached), so the slowest client does not set the pace, the fastest does; with one client that pauses or
//! stops reading, the kernel blocks the program. A client that falls behind later gets one snapshot of the screen
//! (which starts with a full reset) instead of what it missed; a client in a file transfer (`transfer`) never
//! falls behind: while one runs, the PTY is read only when that client has room too. Memory per session stays bounded: the client
//! queues, the screen and its scrollback budget, and the output waiting to be parsed into the screen (`model.rs`).

mod commands;
mod ending;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use self::ending::Why;
use super::clients::Clients;
use super::model::Model;
use super::{Attachment, CLIENT_QUEUE, ClientId, Command, Ending, Entry, Info, Rights, Sessions};
use crate::client_limit::ClientSlot;
use crate::metrics::Metrics;
use crate::protocol::{ExitStatus, InputPolicy};
use crate::pty::{Burst, Session};
use crate::queue::{self, Receiver};
use crate::recording::Recorder;
use crate::shutdown::Shutdown;

/// How long output is still read after the program exited, when another process keeps the terminal open (counted
/// while there is room to read it).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// Output read after the program exited beyond which the rest is another process's: what the program wrote last and
/// the terminal still holds is far less (Linux buffers 64 KiB). A flood from a background job would otherwise keep
/// the session for as long as the drain's time takes to count, which with the screen's parse slower than the flood
/// is many times `DRAIN_AFTER_EXIT`.
const DRAIN_BYTES_AFTER_EXIT: usize = 1 << 20;

/// How long a client that fell behind (paused, or slow) has, once the program has exited and all its output is
/// read, to make room for the final screen before it gets the exit without it.
const CATCH_UP_AFTER_EXIT: Duration = Duration::from_secs(5);

/// Input chunks waiting for the hub, from all clients together.
const INPUT_QUEUE: usize = 4;

/// Commands (attach, detach, resize) waiting for the hub.
const COMMAND_QUEUE: usize = 64;

/// What a hub needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// How long the session outlives its last client, once a client that keeps it was attached.
    pub linger: Duration,
    /// The scrollback budget of the screen, in bytes.
    pub scrollback: usize,
    /// Who types when several clients share the session.
    pub input: InputPolicy,
    /// Where traffic and exits are counted.
    pub metrics: Arc<Metrics>,
    /// Tells the hub the server is shutting down.
    pub shutdown: Shutdown,
    /// Where the session is recorded, if anywhere, and whether input is recorded too.
    pub recording: Option<(PathBuf, bool)>,
    /// Stop the server when this session ends (`session.once`).
    pub once: bool,
}

/// A running session. See the module documentation.
pub struct Hub {
    session: Session,
    screen: Model,
    info: Arc<Info>,
    settings: HubSettings,
    sessions: Sessions,
    clients: Clients,
    /// A client that keeps the session alive ([`Rights::keeps`]) has been attached: the session lingers.
    kept: bool,
    recorder: Option<Recorder>,
    bytes_in: usize,
    bytes_out: usize,
    _slot: ClientSlot,
}

impl Hub {
    /// Registers `session` (started by `owner` under the terminal at `route`), starts its hub, and attaches
    /// the first client with `rights`. `slot` is the session's place among `session.max_sessions`.
    pub fn start(
        session: Session,
        owner: &str,
        route: &str,
        rights: Rights,
        settings: HubSettings,
        sessions: &Sessions,
        slot: ClientSlot,
    ) -> Attachment {
        let size = session.size();
        let info = Arc::new(Info::new(
            session.id().to_owned(),
            owner.to_owned(),
            route.to_owned(),
            session.command().to_owned(),
            settings.input,
            settings.linger,
            size,
        ));
        let (commands, command_queue) = queue::channel(COMMAND_QUEUE);
        let (input, input_queue) = queue::channel(INPUT_QUEUE);
        let entry = Entry {
            info: info.clone(),
            commands,
            input,
            took: Arc::new(Notify::new()),
            ending: Arc::new(OnceLock::new()),
            end: CancellationToken::new(),
        };
        sessions.insert(entry.clone());

        let recorder = settings.recording.as_ref().and_then(|(dir, input)| {
            Recorder::create(dir, session.id(), size, session.command(), *input)
                .inspect(|r| tracing::info!(path = %r.path().display(), "recording the session"))
                .inspect_err(|error| tracing::error!(%error, dir = %dir.display(), "cannot record this session"))
                .ok()
        });
        settings.metrics.session_started();
        tracing::info!(
            pid = session.pid(),
            cols = size.cols,
            rows = size.rows,
            "session started"
        );
        tracing::info!(
            target: "webterm::audit",
            event = "session.start",
            session = session.id(),
            user = owner,
            command = session.command(),
        );
        let input = settings.input;
        let mut hub = Hub {
            screen: Model::new(size, settings.scrollback),
            session,
            info: info.clone(),
            settings,
            sessions: sessions.clone(),
            clients: Clients::new(input),
            kept: false,
            recorder,
            bytes_in: 0,
            bytes_out: 0,
            _slot: slot,
        };
        let (queue, output) = queue::channel(CLIENT_QUEUE);
        let joined = hub.add_client(rights, None, queue, false);
        let span = tracing::info_span!("session", session = %info.id);
        let shutdown = hub.settings.shutdown.clone();
        let run = hub.run(command_queue, input_queue, entry.clone());
        actix_web::rt::spawn(shutdown.track(run.instrument(span)));
        Attachment {
            info,
            client: joined.client,
            writable: joined.writable,
            role: rights.role,
            size: joined.size,
            resumed: false,
            output,
            took: entry.took,
            input: entry.input,
            commands: entry.commands,
            ending: entry.ending,
        }
    }

    async fn run(
        mut self,
        mut commands: Receiver<Command>,
        mut inputs: Receiver<(ClientId, Bytes)>,
        entry: Entry,
    ) {
        let started = Instant::now();
        let mut pending: Option<Bytes> = None;
        // A flood's reader thread, while there is one; then the PTY is read there, not here.
        let mut burst: Option<Burst> = None;
        let mut exit: Option<ExitStatus> = None;
        let mut eof = false;
        let mut drain_deadline = Instant::now();
        // When the loop last looked, and whether there was room to read then (the drain counts only such time).
        let mut drain_checked = Instant::now();
        let mut drain_had_room = true;
        // `bytes_out` when the program exited.
        let mut out_at_exit = 0;
        let mut catch_up_deadline: Option<Instant> = None;
        let mut alone_since: Option<Instant> = None;
        let shutdown = self.settings.shutdown.clone();
        let why = loop {
            self.catch_up();
            // Output held for a snapshot (`Model::parsed`) waits no longer than that: whoever wanted one has it.
            self.screen.resume();
            if let (Some(status), true) = (&exit, eof) {
                // Every client gets all output, then the exit. Those with all of it in their queue get the exit
                // now; one that fell behind first gets the final screen as a snapshot, once it has room (above).
                let _ = entry.ending.set(Ending::Exited(status.clone()));
                self.clients.keep_behind();
                let deadline =
                    *catch_up_deadline.get_or_insert_with(|| Instant::now() + CATCH_UP_AFTER_EXIT);
                if self.clients.is_empty() || Instant::now() >= deadline {
                    break Why::Exited(status.clone());
                }
            }
            if self.clients.is_empty() {
                alone_since.get_or_insert_with(Instant::now);
            } else {
                alone_since = None;
            }
            let room =
                self.screen.has_room() && (self.clients.is_empty() || self.clients.may_read());
            let waiting = self.clients.waiting();
            if exit.is_some() && !eof {
                // The drain's time counts only while output may be read: a client slow to make room must not find
                // it over, and the program's last output (still on its way through the terminal) cut off.
                let now = Instant::now();
                if !drain_had_room {
                    drain_deadline += now - drain_checked;
                }
                (drain_checked, drain_had_room) = (now, room);
                // Checked here too, not only by the timer below: under a flood a read is always ready first.
                if (room && now >= drain_deadline)
                    || self.bytes_out - out_at_exit >= DRAIN_BYTES_AFTER_EXIT
                {
                    eof = true;
                    continue;
                }
            }
            // SECURITY: a session only read-only clients ever saw ends with its last one (see `Rights::keeps`).
            let linger = if self.kept {
                self.settings.linger
            } else {
                Duration::ZERO
            };
            let linger_end = alone_since.map(|since| since + linger);
            tokio::select! {
                biased;
                Some(command) = commands.recv() => self.command(command),
                _ = entry.end.cancelled() => break Why::Deleted,
                _ = shutdown.started() => break Why::Shutdown,
                status = self.session.wait(), if exit.is_none() => match status {
                    Ok(status) => {
                        exit = Some(status);
                        let now = Instant::now();
                        drain_deadline = now + DRAIN_AFTER_EXIT;
                        out_at_exit = self.bytes_out;
                        (drain_checked, drain_had_room) = (now, room);
                    }
                    Err(error) => {
                        tracing::error!(%error, "cannot wait for the program");
                        break Why::Deleted;
                    }
                },
                written = self.session.write(pending.as_deref().unwrap_or_default()), if pending.is_some() => {
                    match written {
                        Ok(n) => {
                            let chunk = pending.take().expect("input is pending");
                            self.wrote(&chunk[..n]);
                            let rest = chunk.slice(n..);
                            pending = (!rest.is_empty()).then_some(rest);
                        }
                        Err(error) => {
                            tracing::debug!(%error, "input dropped: the program no longer reads the terminal");
                            pending = None;
                        }
                    }
                }
                Some((client, bytes)) = inputs.recv(), if pending.is_none() => {
                    // SECURITY: the connection refuses input it may not send; this is the server's own check.
                    if self.clients.takes_input(client, bytes.len()) && !bytes.is_empty() {
                        pending = Some(bytes);
                    }
                }
                // A parse finished: the screen is back (a snapshot can be taken), and there may be room to read.
                _ = self.screen.parsed(), if self.screen.is_parsing() => {}
                read = self.session.read(), if room && !eof && burst.is_none() => match read {
                    Ok(bytes) if bytes.is_empty() => eof = true,
                    Ok(bytes) => {
                        let flood = Burst::after(bytes.len());
                        self.output(bytes);
                        if flood {
                            burst = self.session.burst();
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "reading the terminal ended");
                        eof = true;
                    }
                },
                chunk = next_chunk(&mut burst), if room => match chunk {
                    Some(chunk) => self.output(chunk),
                    // The flood is over (or the terminal ended): read here again.
                    None => burst = None,
                },
                // A client took output: there may be room again, or a lagging client to catch up.
                _ = entry.took.notified(), if !room || waiting => {}
                _ = sleep_until(linger_end.unwrap_or_else(Instant::now)), if linger_end.is_some() && exit.is_none() => {
                    break Why::Expired;
                }
                // A client that fell behind did not make room for the final screen in time.
                _ = sleep_until(catch_up_deadline.unwrap_or_else(Instant::now)), if catch_up_deadline.is_some() => {}
                // Another process may still hold the terminal open: the drain's time is up (decided at the top).
                _ = sleep_until(drain_deadline), if exit.is_some() && !eof && room => {}
            }
        };
        // No new client from here on; a queued attach gets no reply and so "not found".
        self.sessions.remove(&self.info.id);
        drop(commands);
        self.end(why, entry, started).await;
    }

    /// Drops clients whose connection is gone, and sends every client what it could not be sent before: a
    /// change of control or size, or the screen if it fell behind and has room again.
    fn catch_up(&mut self) {
        if self
            .clients
            .catch_up(|| self.screen.snapshot().map(Bytes::from))
        {
            self.info.live().clients = self.clients.len();
        }
    }

    /// Sends one read of the PTY to every client with room; the others fall behind.
    fn output(&mut self, frame: Bytes) {
        self.settings.metrics.bytes_out(frame.len());
        self.bytes_out += frame.len();
        self.screen.feed(&frame);
        record(&mut self.recorder, |r| r.output(&frame));
        self.info.live().last_activity = std::time::Instant::now();
        self.clients.send_output(&frame);
    }

    /// Counts and records input that reached the program.
    fn wrote(&mut self, bytes: &[u8]) {
        self.settings.metrics.bytes_in(bytes.len());
        self.bytes_in += bytes.len();
        record(&mut self.recorder, |r| r.input(bytes));
        self.info.live().last_activity = std::time::Instant::now();
    }
}

/// The next chunk of a flood's reader thread; never ready without one.
async fn next_chunk(burst: &mut Option<Burst>) -> Option<Bytes> {
    match burst {
        Some(burst) => burst.next().await,
        None => std::future::pending().await,
    }
}

/// Writes to the recording; a failure is logged once and ends the recording, never the session.
fn record(
    recorder: &mut Option<Recorder>,
    write: impl FnOnce(&mut Recorder) -> std::io::Result<()>,
) {
    if let Some(active) = recorder {
        if let Err(error) = write(active) {
            tracing::error!(%error, path = %active.path().display(), "recording stopped");
            *recorder = None;
        }
    }
}
