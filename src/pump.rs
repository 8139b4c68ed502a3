//! The pump: moves bytes and control messages between one PTY [`Session`] and one WebSocket.
//!
//! One task per connection, no thread: every wait below is a cancel-safe future in one `select!`.
//! Backpressure holds end to end: the PTY is read only when the outgoing queue has no output frame waiting,
//! and the queue is handed to the socket only as fast as the socket takes it, so a slow client makes the
//! kernel block the program. Client frames are read only when their input has reached the PTY.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_ws::{CloseCode, CloseReason, Message};
use bytes::Bytes;
use futures_util::{Sink, StreamExt};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::protocol::{
    ClientMessage, ClientOptions, ExitStatus, PROTOCOL_VERSION, ServerMessage, Size,
};
use crate::pty::Session;
use crate::recording::Recorder;
use crate::shutdown::Shutdown;
use crate::ws::{Incoming, Reader};

/// The largest output frame: one read of the PTY, batched up to this size.
pub const MAX_OUTPUT_FRAME: usize = 64 * 1024;

/// Queued control replies (errors, pongs) beyond which client frames are no longer read.
const OUTBOX_LIMIT: usize = 16;

/// How long output is still read after the program exited, when another process keeps the terminal open.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// How long a client gets to take the last messages and the close frame before the connection is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// What a pump needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often to ping the client.
    pub ping_interval: Duration,
    /// How long a silent client is kept.
    pub ping_timeout: Duration,
    /// Whether this client's input reaches the program.
    pub writable: bool,
    /// How the page should set up its terminal (`[client]`), sent in `hello`.
    pub options: ClientOptions,
    /// Where traffic, errors and exits are counted.
    pub metrics: Arc<Metrics>,
    /// Tells the pump the server is shutting down.
    pub shutdown: Shutdown,
    /// The tab title until the program sets one (a `[[terminal]]`'s `title`).
    pub title: Option<String>,
    /// Where the session is recorded, if anywhere, and whether input is recorded too.
    pub recording: Option<(PathBuf, bool)>,
}

impl Settings {
    /// The settings for a connection under `config`, before the client's role is known.
    pub fn new(config: &Config, metrics: Arc<Metrics>, shutdown: Shutdown) -> Settings {
        Settings {
            ping_interval: config.websocket.ping_interval(),
            ping_timeout: config.websocket.ping_timeout(),
            writable: config.session.writable,
            options: config.client.options(),
            metrics,
            shutdown,
            title: None,
            recording: config
                .session
                .record_dir
                .clone()
                .map(|dir| (dir, config.session.record_input)),
        }
    }
}

/// Why a connection ended; logged through `Debug`.
#[derive(Debug)]
#[allow(dead_code)]
enum End {
    /// The program exited and the client was told.
    Exited(ExitStatus),
    /// The client sent a close frame, or broke the protocol and was sent one.
    Closed(u16),
    /// The TCP connection went away.
    ConnectionLost,
    /// The client stopped answering pings.
    PingTimeout,
    /// The server is shutting down and the client was told.
    Shutdown,
}

fn text(message: ServerMessage) -> Message {
    Message::Text(message.to_json().into())
}

fn close(code: u16) -> Message {
    Message::Close(Some(CloseReason {
        code: CloseCode::from(code),
        description: None,
    }))
}

/// Runs one connection to its end, then ends the session (hang up, grace, kill, reap).
pub async fn run(
    mut session: Session,
    mut out: actix_ws::Session,
    mut inbox: Reader,
    settings: Settings,
) {
    let size = session.size();
    tracing::info!(
        pid = session.pid(),
        cols = size.cols,
        rows = size.rows,
        "session started"
    );
    let metrics = &settings.metrics;
    metrics.session_started();
    metrics.client_connected();
    tracing::info!(target: "webterm::audit", event = "session.start", command = session.command());
    let started = Instant::now();
    let (mut bytes_in, mut bytes_out) = (0usize, 0usize);
    let mut recorder = settings.recording.as_ref().and_then(|(dir, input)| {
        Recorder::create(dir, session.id(), size, session.command(), *input)
            .inspect(|recorder| tracing::info!(path = %recorder.path().display(), "recording the session"))
            .inspect_err(|error| tracing::error!(%error, dir = %dir.display(), "cannot record this session"))
            .ok()
    });
    let mut outbox = VecDeque::from([text(ServerMessage::Hello {
        protocol: PROTOCOL_VERSION,
        session: session.id().to_string(),
        cols: size.cols,
        rows: size.rows,
        writable: settings.writable,
        options: Some(Box::new(settings.options.clone())),
        title: settings.title.clone(),
    })]);
    let mut buf = vec![0u8; MAX_OUTPUT_FRAME];
    let mut input: Option<Bytes> = None;
    let mut paused = false;
    let mut eof = false;
    let mut exit: Option<ExitStatus> = None;
    let mut drain_deadline = Instant::now();
    let mut closing: Option<End> = None;
    let mut close_deadline: Option<Instant> = None;
    let mut last_heard = Instant::now();
    let mut ticker = interval_at(
        Instant::now() + settings.ping_interval,
        settings.ping_interval,
    );
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);

    let end = loop {
        if let (Some(status), true, None) = (&exit, eof, &closing) {
            outbox.push_back(text(ServerMessage::Exit(status.clone())));
            outbox.push_back(close(1000));
            closing = Some(End::Exited(status.clone()));
        }
        if outbox.is_empty() {
            if let Some(end) = closing.take() {
                break end;
            }
        }
        if closing.is_some() && close_deadline.is_none() {
            close_deadline = Some(Instant::now() + CLOSE_TIMEOUT);
        }
        let output_queued = outbox.iter().any(|m| matches!(m, Message::Binary(_)));
        tokio::select! {
            biased;
            ready = poll_fn(|cx| Pin::new(&mut out).poll_ready(cx)), if !outbox.is_empty() => {
                let next = outbox.pop_front().expect("outbox is not empty");
                if ready.is_err() || Pin::new(&mut out).start_send(next).is_err() {
                    break End::ConnectionLost;
                }
            }
            status = session.wait(), if exit.is_none() => match status {
                Ok(status) => {
                    exit = Some(status);
                    drain_deadline = Instant::now() + DRAIN_AFTER_EXIT;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot wait for the program");
                    break End::ConnectionLost;
                }
            },
            read = session.read(&mut buf), if !paused && !eof && !output_queued && closing.is_none() => match read {
                Ok(0) => eof = true,
                Ok(n) => {
                    metrics.bytes_out(n);
                    bytes_out += n;
                    record(&mut recorder, |r| r.output(&buf[..n]));
                    outbox.push_back(Message::Binary(Bytes::copy_from_slice(&buf[..n])));
                }
                Err(error) => {
                    tracing::warn!(%error, "reading the terminal failed");
                    eof = true;
                }
            },
            written = session.write(input.as_deref().unwrap_or_default()), if input.is_some() => match written {
                Ok(n) => {
                    metrics.bytes_in(n);
                    bytes_in += n;
                    let chunk = input.take().expect("input is pending");
                    record(&mut recorder, |r| r.input(&chunk[..n]));
                    let rest = chunk.slice(n..);
                    input = (!rest.is_empty()).then_some(rest);
                }
                Err(error) => {
                    tracing::debug!(%error, "input dropped: the program no longer reads the terminal");
                    input = None;
                }
            },
            incoming = inbox.next(), if input.is_none() && closing.is_none() && outbox.len() < OUTBOX_LIMIT => {
                last_heard = Instant::now();
                match incoming {
                    None => break End::ConnectionLost,
                    Some(Err(violation)) => {
                        tracing::info!(code = violation.code, reason = violation.reason, "protocol violation");
                        metrics.protocol_error();
                        outbox.push_back(close(violation.code));
                        closing = Some(End::Closed(violation.code));
                    }
                    Some(Ok(Incoming::Binary(bytes))) if settings.writable => {
                        input = (!bytes.is_empty()).then_some(bytes);
                    }
                    Some(Ok(Incoming::Binary(_))) => outbox.push_back(text(ServerMessage::Error {
                        message: "input refused: this connection is read-only".into(),
                    })),
                    Some(Ok(Incoming::Text(text_frame))) => {
                        match control(&mut session, &mut paused, &text_frame, settings.writable) {
                            Ok(Some(size)) => record(&mut recorder, |r| r.resize(size)),
                            Ok(None) => {}
                            Err(message) => {
                                metrics.protocol_error();
                                outbox.push_back(text(ServerMessage::Error { message }));
                            }
                        }
                    }
                    Some(Ok(Incoming::Ping(payload))) => {
                        // Answering the latest ping is enough (RFC 6455 5.5.3).
                        outbox.retain(|m| !matches!(m, Message::Pong(_)));
                        outbox.push_back(Message::Pong(payload));
                    }
                    Some(Ok(Incoming::Pong(_))) => {}
                    Some(Ok(Incoming::Close(frame))) => {
                        let code = frame.map(|f| f.code);
                        outbox.push_back(Message::Close(code.map(|code| CloseReason {
                            code: CloseCode::from(code),
                            description: None,
                        })));
                        closing = Some(End::Closed(code.unwrap_or(1005)));
                    }
                }
            }
            _ = ticker.tick() => {
                if input.is_some() {
                    // The client is waiting on us (the program is not reading), not silent.
                    last_heard = Instant::now();
                }
                if last_heard.elapsed() >= settings.ping_timeout {
                    break End::PingTimeout;
                }
                if !outbox.iter().any(|m| matches!(m, Message::Ping(_))) {
                    outbox.push_back(Message::Ping(Bytes::new()));
                }
            }
            _ = settings.shutdown.started(), if closing.is_none() => {
                outbox.push_back(text(ServerMessage::Shutdown));
                outbox.push_back(close(1001));
                closing = Some(End::Shutdown);
            }
            _ = sleep_until(close_deadline.unwrap_or_else(Instant::now)), if close_deadline.is_some() => {
                // The client does not take its last messages; it has had its chance.
                break closing.take().unwrap_or(End::ConnectionLost);
            }
            _ = sleep_until(drain_deadline), if exit.is_some() && !eof && !paused => {
                // Another process still holds the terminal open; what the program wrote has been read.
                eof = true;
            }
        }
    };
    drop((out, inbox));
    tracing::info!(?end, "connection ended");
    metrics.client_disconnected();
    let command = session.command().to_owned();
    let status = session.shutdown().await;
    metrics.session_ended(status.as_ref());
    if let Some(recorder) = recorder {
        if let Err(error) = recorder.finish() {
            tracing::error!(%error, "the recording is incomplete");
        }
    }
    tracing::info!(
        target: "webterm::audit",
        event = "session.end",
        command,
        duration_ms = started.elapsed().as_millis() as u64,
        bytes_in,
        bytes_out,
        exit = ?status,
    );
}

/// Applies one control message; returns the new size after a resize. `Err` carries the text of the `error`
/// reply.
fn control(
    session: &mut Session,
    paused: &mut bool,
    frame: &str,
    writable: bool,
) -> Result<Option<Size>, String> {
    match ClientMessage::parse(frame).map_err(|e| e.to_string())? {
        ClientMessage::Resize { cols, rows } => {
            // SECURITY: a read-only client must not change what writers see.
            if writable {
                let size = Size::new(cols, rows)?;
                session.resize(size).map_err(|e| e.to_string())?;
                return Ok(Some(size));
            }
        }
        ClientMessage::Pause => *paused = true,
        ClientMessage::Resume => *paused = false,
    }
    Ok(None)
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
