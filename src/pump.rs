//! The pump: moves bytes and control messages between one WebSocket and the session it is attached to.
//!
//! One task per connection, no thread: every wait below is a cancel-safe future in one `select!`. The session
//! itself (the PTY, the screen) is run by its hub (`sessions::hub`); the pump only carries. Backpressure holds
//! end to end: the pump takes output from its queue only when no output frame waits for the socket, and hands
//! frames to the socket only as fast as the socket takes them; the hub reads the PTY only while some client has
//! room. A client that acknowledges what it has processed (`ack`) also gets no more than [`ACK_WINDOW`] of output
//! beyond its last acknowledgement, however much the socket buffers could hold. Client frames are read while the
//! input waiting for the hub stays under [`TYPED_AHEAD_LIMIT`], so that a program that does not read its input
//! holds up only the input. A connection ends with the closing handshake: whoever closes first, the connection is
//! dropped only once both sides sent their close frame (or [`CLOSE_TIMEOUT`] passed).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::protocol::{
    ACK_WINDOW, ClientMessage, ClientOptions, PROTOCOL_VERSION, Role, ServerMessage,
};
use crate::sessions::{Attachment, Ending, ToClient};
use crate::shutdown::Shutdown;
use crate::ws::{CLOSE_TIMEOUT, Incoming, Outgoing, Reader, Writer};

/// Queued control replies (errors, pongs) beyond which client frames are no longer read.
const OUTBOX_LIMIT: usize = 16;

/// Input the client may send ahead of what the session has taken, beyond which its frames are no longer read. While
/// input waits (a program that does not read), the client's other frames must still be read: its `ack`s and
/// `resume` may be what lets the program's output go on, and so what lets the program get to its input.
const TYPED_AHEAD_LIMIT: usize = 256 * 1024;

/// How often a client whose frames wait unread (its input is at [`TYPED_AHEAD_LIMIT`]) hears a `pong` unasked: its
/// own pings wait behind its input. More often than the page gives a ping it sends on waking up (5 s) to be
/// answered.
const UNASKED_PONG: Duration = Duration::from_secs(1);

/// What a pump needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often to ping the client.
    pub ping_interval: Duration,
    /// How long a silent client is kept.
    pub ping_timeout: Duration,
    /// How the page should set up its terminal (`[client]`), sent in `hello`; boxed, as it is large and only
    /// needed then.
    pub options: Box<ClientOptions>,
    /// Where traffic, errors and exits are counted.
    pub metrics: Arc<Metrics>,
    /// Tells the pump the server is shutting down.
    pub shutdown: Shutdown,
    /// The tab title until the program sets one (a `[[terminal]]`'s `title`).
    pub title: Option<String>,
    /// The client's address and user, for the audit log.
    pub peer: String,
    /// The client's user.
    pub user: String,
}

impl Settings {
    /// The settings for a connection under `config`, before the client's role is known.
    pub fn new(config: &Config, metrics: Arc<Metrics>, shutdown: Shutdown) -> Settings {
        Settings {
            ping_interval: config.websocket.ping_interval(),
            ping_timeout: config.websocket.ping_timeout(),
            options: Box::new(config.client.options()),
            metrics,
            shutdown,
            title: None,
            peer: String::new(),
            user: String::new(),
        }
    }
}

/// Why a connection ended; logged through `Debug`.
#[derive(Debug)]
#[allow(dead_code)]
enum End {
    /// The session ended (the program exited, or it was deleted) and the client was told.
    Ended,
    /// The client sent a close frame, or broke the protocol and was sent one.
    Closed(u16),
    /// The TCP connection went away.
    ConnectionLost,
    /// The client stopped answering pings.
    PingTimeout,
    /// The server is shutting down and the client was told.
    Shutdown,
}

fn text(message: ServerMessage) -> Outgoing {
    Outgoing::Text(message.to_json())
}

/// Runs one connection to its end, then detaches it from its session (which lingers if it was the last).
pub async fn run(mut attachment: Attachment, out: Writer, mut inbox: Reader, settings: Settings) {
    let metrics = &settings.metrics;
    metrics.client_connected();
    tracing::info!(
        target: "webterm::audit",
        event = "session.attach",
        session = attachment.info.id,
        user = settings.user,
        peer = settings.peer,
        role = ?attachment.role,
        resumed = attachment.resumed,
    );
    let started = Instant::now();
    let mut writable = attachment.writable;
    let mut outbox = VecDeque::from([text(ServerMessage::Hello {
        protocol: PROTOCOL_VERSION,
        session: attachment.info.id.clone(),
        path: attachment.info.route.clone(),
        cols: attachment.size.cols,
        rows: attachment.size.rows,
        writable,
        client: attachment.client,
        resumed: attachment.resumed,
        input: attachment.info.input,
        role: attachment.role,
        options: Some(settings.options),
        title: settings.title.clone(),
        heartbeat: settings.ping_interval.as_secs(),
        linger: attachment.info.linger.as_secs(),
        owner: (attachment.info.owner != settings.user).then(|| attachment.info.owner.clone()),
    })]);
    // The input frame waiting for room in the session's queue, and what the client typed after it meanwhile.
    let mut input: Option<Bytes> = None;
    let mut typed_ahead = BytesMut::new();
    let mut paused = false;
    // Output bytes queued for this client, and how many of them it acknowledged (`None` until its first `ack`:
    // a client that never acknowledges is limited by `pause` and the socket alone).
    let mut sent: u64 = 0;
    let mut acked: Option<u64> = None;
    // Why the server is ending the connection, once it is; the client's close frame (or the connection's end)
    // completes the closing handshake (RFC 6455 7.1.1). Dropping the connection while the client's frames are
    // still unread would make the kernel reset it, and a reset throws away the output still queued for the client.
    let mut closing: Option<End> = None;
    let mut client_closed = false;
    let mut close_deadline: Option<Instant> = None;
    let mut last_heard = Instant::now();
    let mut next_unasked_pong = Instant::now();
    let mut ticker = interval_at(
        Instant::now() + settings.ping_interval,
        settings.ping_interval,
    );
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);

    let end = loop {
        if outbox.is_empty() && client_closed {
            if let Some(end) = closing.take() {
                break end;
            }
        }
        if closing.is_some() && close_deadline.is_none() {
            close_deadline = Some(Instant::now() + CLOSE_TIMEOUT);
        }
        let output_queued = outbox.iter().any(|m| matches!(m, Outgoing::Binary(_)));
        let window_open = acked.is_none_or(|acked| sent - acked < ACK_WINDOW);
        // Client frames are read while little input waits; when closing, until the client's close frame.
        let read_client = match closing {
            None => typed_ahead.len() < TYPED_AHEAD_LIMIT && outbox.len() < OUTBOX_LIMIT,
            Some(_) => !client_closed,
        };
        tokio::select! {
            biased;
            room = out.reserve(), if !outbox.is_empty() => {
                let Ok(room) = room else {
                    break End::ConnectionLost;
                };
                room.send(outbox.pop_front().expect("outbox is not empty"));
            }
            from_hub = attachment.output.recv(), if !paused && window_open && !output_queued && closing.is_none() => {
                match from_hub {
                    Some(ToClient::Output(bytes)) => {
                        attachment.took.notify_one();
                        sent += bytes.len() as u64;
                        outbox.push_back(Outgoing::Binary(bytes));
                    }
                    Some(ToClient::Control { writable: now }) => {
                        attachment.took.notify_one();
                        writable = now;
                        outbox.push_back(text(ServerMessage::Control { writable }));
                    }
                    Some(ToClient::Size(size)) => {
                        attachment.took.notify_one();
                        outbox.push_back(text(ServerMessage::Size { cols: size.cols, rows: size.rows }));
                    }
                    Some(ToClient::InputTaken { from, bytes }) => {
                        attachment.took.notify_one();
                        outbox.push_back(text(ServerMessage::InputTaken { from, bytes }));
                    }
                    None => {
                        // The session ended; all its output has been taken.
                        closing = Some(ended(attachment.ending.get(), &mut outbox));
                    }
                }
            }
            permit = attachment.input.reserve(), if input.is_some() => {
                let bytes = input.take().expect("input is pending");
                if let Ok(permit) = permit {
                    permit.send((attachment.client, bytes));
                }
                // The buffer goes whole (not `split`, which would keep its spare room for the connection's life).
                input = (!typed_ahead.is_empty()).then(|| std::mem::take(&mut typed_ahead).freeze());
            }
            incoming = inbox.next(), if read_client => {
                if closing.is_some() {
                    // Only the client's close frame matters now; the frames it sent before it are read and dropped.
                    // After a violation the reader drops them itself, and ends with None after the close frame.
                    if let None | Some(Ok(Incoming::Close(_))) = incoming {
                        client_closed = true;
                    }
                    continue;
                }
                last_heard = Instant::now();
                match incoming {
                    None => break End::ConnectionLost,
                    Some(Err(violation)) => {
                        tracing::info!(code = violation.code, reason = violation.reason, "protocol violation");
                        metrics.protocol_error();
                        outbox.push_back(Outgoing::close(violation.code));
                        closing = Some(End::Closed(violation.code));
                    }
                    Some(Ok(Incoming::Binary(bytes))) if writable => match &input {
                        None => input = (!bytes.is_empty()).then_some(bytes),
                        Some(_) => typed_ahead.extend_from_slice(&bytes),
                    },
                    Some(Ok(Incoming::Binary(_))) => outbox.push_back(text(ServerMessage::Error {
                        message: refusal(&attachment),
                    })),
                    Some(Ok(Incoming::Text(frame))) => match ClientMessage::parse(&frame) {
                        // SECURITY: a client that may not type must not change what writers see either.
                        Ok(ClientMessage::Resize { cols, rows }) if writable => {
                            let size = crate::protocol::Size::new(cols, rows).expect("parse checked the size");
                            attachment.resize(size).await;
                        }
                        Ok(ClientMessage::Resize { .. }) => {}
                        Ok(ClientMessage::Pause) => paused = true,
                        Ok(ClientMessage::Resume) => paused = false,
                        Ok(ClientMessage::TakeControl { from }) if attachment.role == Role::Write => {
                            attachment.take_control(from).await;
                        }
                        Ok(ClientMessage::TakeControl { .. }) => outbox.push_back(text(ServerMessage::Error {
                            message: "take_control refused: this connection is read-only".into(),
                        })),
                        Ok(ClientMessage::Ping) => outbox.push_back(text(ServerMessage::Pong)),
                        // SECURITY: only a client that may type can stop another client's input.
                        Ok(ClientMessage::ResumeInput { from }) if attachment.role == Role::Write => {
                            attachment.resume_input(from).await;
                        }
                        Ok(ClientMessage::ResumeInput { .. }) => outbox.push_back(text(ServerMessage::Error {
                            message: "resume_input refused: this connection is read-only".into(),
                        })),
                        // SECURITY: a client that makes the program wait for it must be one that may type: a
                        // viewer could otherwise stall the session by not reading.
                        Ok(ClientMessage::Transfer { active }) if attachment.role == Role::Write => {
                            attachment.transfer(active).await;
                        }
                        Ok(ClientMessage::Transfer { .. }) => outbox.push_back(text(ServerMessage::Error {
                            message: "transfer refused: this connection is read-only".into(),
                        })),
                        Ok(ClientMessage::Ack { bytes }) => match acknowledge(bytes, sent, acked) {
                            Ok(()) => acked = Some(bytes),
                            Err(message) => {
                                metrics.protocol_error();
                                outbox.push_back(text(ServerMessage::Error { message }));
                            }
                        },
                        Err(error) => {
                            metrics.protocol_error();
                            outbox.push_back(text(ServerMessage::Error { message: error.to_string() }));
                        }
                    },
                    Some(Ok(Incoming::Ping(payload))) => {
                        // Answering the latest ping is enough (RFC 6455 5.5.3).
                        outbox.retain(|m| !matches!(m, Outgoing::Pong(_)));
                        outbox.push_back(Outgoing::Pong(payload));
                    }
                    Some(Ok(Incoming::Pong(_))) => {}
                    Some(Ok(Incoming::Close(frame))) => {
                        outbox.push_back(Outgoing::close_answering(frame.as_ref()));
                        closing = Some(End::Closed(frame.map_or(1005, |f| f.code)));
                        client_closed = true;
                    }
                }
            }
            _ = ticker.tick(), if closing.is_none() => {
                if typed_ahead.len() >= TYPED_AHEAD_LIMIT {
                    // Its frames are not read until the program reads its input: the client is waiting on us, not
                    // silent (and it hears from us: below).
                    last_heard = Instant::now();
                }
                if last_heard.elapsed() >= settings.ping_timeout {
                    break End::PingTimeout;
                }
                if !outbox.iter().any(|m| matches!(m, Outgoing::Ping(_))) {
                    outbox.push_back(Outgoing::Ping(Bytes::new()));
                }
            }
            _ = settings.shutdown.started(), if closing.is_none() => {
                outbox.push_back(text(ServerMessage::Shutdown));
                outbox.push_back(Outgoing::close(1001));
                closing = Some(End::Shutdown);
            }
            // Its pings wait unread behind its input: it hears from us unasked, or it would take the silence for a
            // dead connection (and reconnect, the rest of its input lost).
            _ = sleep_until(next_unasked_pong), if closing.is_none() && typed_ahead.len() >= TYPED_AHEAD_LIMIT => {
                if outbox.is_empty() {
                    outbox.push_back(text(ServerMessage::Pong));
                }
                next_unasked_pong = Instant::now() + UNASKED_PONG;
            }
            _ = sleep_until(close_deadline.unwrap_or_else(Instant::now)), if close_deadline.is_some() => {
                // The client does not take its last messages or answer our close frame; it has had its chance.
                break closing.take().unwrap_or(End::ConnectionLost);
            }
        }
    };
    drop((out, inbox));
    tracing::info!(?end, "connection ended");
    metrics.client_disconnected();
    tracing::info!(
        target: "webterm::audit",
        event = "session.detach",
        session = attachment.info.id,
        user = settings.user,
        peer = settings.peer,
        duration_ms = started.elapsed().as_millis() as u64,
    );
    attachment.detach().await;
}

/// The messages that end a connection whose session ended; returns why, for the log.
fn ended(ending: Option<&Ending>, outbox: &mut VecDeque<Outgoing>) -> End {
    match ending {
        Some(Ending::Exited(status)) => {
            outbox.push_back(text(ServerMessage::Exit(status.clone())));
            outbox.push_back(Outgoing::close(1000));
            End::Ended
        }
        Some(Ending::Deleted(status)) => {
            outbox.push_back(text(ServerMessage::Error {
                message: "an administrator ended this session".into(),
            }));
            if let Some(status) = status {
                outbox.push_back(text(ServerMessage::Exit(status.clone())));
            }
            outbox.push_back(Outgoing::close(1000));
            End::Ended
        }
        Some(Ending::Shutdown) => {
            outbox.push_back(text(ServerMessage::Shutdown));
            outbox.push_back(Outgoing::close(1001));
            End::Shutdown
        }
        None => {
            // The hub went away without saying why: a bug, not the client's fault.
            outbox.push_back(Outgoing::close(1011));
            End::Closed(1011)
        }
    }
}

/// Checks an `ack` of `bytes` against the `sent` output bytes and the last acknowledgement.
fn acknowledge(bytes: u64, sent: u64, acked: Option<u64>) -> Result<(), String> {
    match acked {
        _ if bytes > sent => Err(format!(
            "ack refused: {bytes} bytes acknowledged, {sent} sent"
        )),
        Some(acked) if bytes < acked => Err(format!(
            "ack refused: {bytes} bytes acknowledged after {acked}"
        )),
        _ => Ok(()),
    }
}

/// Why this connection's input was refused.
fn refusal(attachment: &Attachment) -> String {
    if attachment.role == Role::Write {
        "input refused: another client has control (take control to type)".into()
    } else {
        "input refused: this connection is read-only".into()
    }
}
