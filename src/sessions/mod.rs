//! Sessions that outlive connections: the registry of live sessions, and what a connection gets when it attaches.
//!
//! A session is a program under a PTY plus its server-side [`Screen`](crate::screen::Screen), run by one task,
//! its hub (`hub.rs`). Connections (`pump.rs`) attach to a hub and detach from it; the hub ends the session when
//! the program exits, when it has been without clients for `session.linger_secs` (at once if no client that
//! keeps it, see [`Rights`], was ever attached), when an admin deletes it, or at shutdown. The registry only
//! finds hubs; it never touches a PTY.

mod clients;
mod hub;
mod input_taken;
mod model;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

use crate::client_limit::{ClientLimit, ClientSlot, Full};
use crate::protocol::{ExitStatus, InputPolicy, Role, Size};
use crate::queue::{self, Receiver, Sender};

pub use hub::{Hub, HubSettings};

/// A client's number within its session.
pub type ClientId = u64;

/// Output frames (of up to 64 KiB) queued for one client before it counts as fallen behind.
pub const CLIENT_QUEUE: usize = 4;

/// What an attaching client may do in its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    /// Whether it may type at all (its credentials, the terminal's `writable` and `session.writable` together).
    pub role: Role,
    /// Whether it keeps the session alive: once such a client has been attached, the session outlives its last
    /// client by `session.linger_secs`; without one it ends with its last client.
    pub keeps: bool,
}

/// What a hub sends one client.
#[derive(Debug)]
pub enum ToClient {
    /// Program output, or a screen snapshot (which starts with a full reset).
    Output(Bytes),
    /// Whether this client may type changed.
    Control {
        /// From now on.
        writable: bool,
    },
    /// The session's size, after a resize by a client that may type.
    Size(Size),
    /// The answer to [`Command::ResumeInput`]: the bytes of client `from`'s input the session took.
    InputTaken {
        /// The client asked about.
        from: ClientId,
        /// Bytes taken, in all; `None` when the session does not know `from`.
        bytes: Option<u64>,
    },
}

/// How a session ended, for the clients still attached; set once, before their queues close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The program ended (perhaps hung up by a delete); all its output came before.
    Exited(ExitStatus),
    /// The server is shutting down.
    Shutdown,
    /// An admin ended the session (`DELETE /api/sessions/ID`); then the program ended like this.
    Deleted(Option<ExitStatus>),
}

/// What a hub is asked to do.
#[derive(Debug)]
pub(crate) enum Command {
    /// Attach a client; the reply says how.
    Attach {
        /// What the client may do.
        rights: Rights,
        /// The client's terminal size, applied when it may type.
        size: Option<Size>,
        /// Where the hub sends the client its output.
        queue: Sender<ToClient>,
        /// The answer.
        reply: oneshot::Sender<Joined>,
    },
    /// The client left.
    Detach(ClientId),
    /// The client asks for a new terminal size.
    Resize(ClientId, Size),
    /// The client takes control (the `single` input policy); with the client number of its page's previous
    /// connection, takes it back.
    TakeControl(ClientId, Option<ClientId>),
    /// The client asks how much input the session took from client `from` (its page's previous connection), and
    /// the session takes no more from `from`.
    ResumeInput(ClientId, ClientId),
    /// A file transfer runs for the client (true), or no longer does: while one runs it misses no output.
    Transfer(ClientId, bool),
}

/// The hub's answer to an attach.
#[derive(Debug)]
pub(crate) struct Joined {
    pub client: ClientId,
    pub writable: bool,
    pub size: Size,
    pub resumed: bool,
}

/// A connection's link to its session, from attach to detach.
#[derive(Debug)]
pub struct Attachment {
    /// The session's facts.
    pub info: Arc<Info>,
    /// This client's number.
    pub client: ClientId,
    /// Whether this client may type now (it changes under the `single` policy).
    pub writable: bool,
    /// The most this client may do.
    pub role: Role,
    /// The terminal's size when attached.
    pub size: Size,
    /// Whether the session was running before (its screen comes first in `output`).
    pub resumed: bool,
    /// Output and control changes from the hub; closed when the session ends.
    pub output: Receiver<ToClient>,
    /// Tells the hub that this client took something from `output`.
    pub took: Arc<Notify>,
    /// Input for the program, tagged with the client's number.
    pub input: Sender<(ClientId, Bytes)>,
    commands: Sender<Command>,
    /// How the session ended, once it has.
    pub ending: Arc<OnceLock<Ending>>,
}

impl Attachment {
    /// Asks for a new size (refused by the hub unless this client may type).
    pub async fn resize(&self, size: Size) {
        let _ = self.commands.send(Command::Resize(self.client, size)).await;
    }

    /// Takes control under the `single` policy; with `from` (the client number of this page's previous
    /// connection), takes it back, which is refused when someone took control since.
    pub async fn take_control(&self, from: Option<ClientId>) {
        let _ = self
            .commands
            .send(Command::TakeControl(self.client, from))
            .await;
    }

    /// Asks how much input the session took from client `from`, this page's previous connection (answered with
    /// [`ToClient::InputTaken`]); from now on it takes none from `from`.
    pub async fn resume_input(&self, from: ClientId) {
        let _ = self
            .commands
            .send(Command::ResumeInput(self.client, from))
            .await;
    }

    /// Says whether a file transfer runs for this client: while one does, it misses no output (the program waits).
    pub async fn transfer(&self, active: bool) {
        let _ = self
            .commands
            .send(Command::Transfer(self.client, active))
            .await;
    }

    /// Leaves the session (which lingers if this was its last client and one that keeps it was ever attached).
    pub async fn detach(self) {
        let _ = self.commands.send(Command::Detach(self.client)).await;
    }
}

/// A live session's facts, for `/api/sessions` and for deciding who may attach.
#[derive(Debug)]
pub struct Info {
    /// The session id (also the `WEBTERM_SESSION` marker of its processes).
    pub id: String,
    /// The user who started it.
    pub owner: String,
    /// The terminal path it runs under (`/` for the main terminal).
    pub route: String,
    /// The command line, for people.
    pub command: String,
    /// Who types when several clients share it.
    pub input: InputPolicy,
    /// How long it outlives its last client (`session.linger_secs` when it started).
    pub linger: Duration,
    /// When it started.
    pub started: SystemTime,
    live: Mutex<Live>,
}

#[derive(Debug)]
struct Live {
    size: Size,
    clients: usize,
    last_activity: Instant,
}

/// One row of `GET /api/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub id: String,
    pub owner: String,
    pub path: String,
    pub command: String,
    pub cols: u16,
    pub rows: u16,
    pub clients: usize,
    /// Seconds since the Unix epoch.
    pub started: u64,
    /// Seconds since the last output or input.
    pub idle_secs: u64,
}

impl Info {
    fn new(
        id: String,
        owner: String,
        route: String,
        command: String,
        input: InputPolicy,
        linger: Duration,
        size: Size,
    ) -> Info {
        Info {
            id,
            owner,
            route,
            command,
            input,
            linger,
            started: SystemTime::now(),
            live: Mutex::new(Live {
                size,
                clients: 0,
                last_activity: Instant::now(),
            }),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn listing(&self) -> Listing {
        let live = self.live();
        Listing {
            id: self.id.clone(),
            owner: self.owner.clone(),
            path: self.route.clone(),
            command: self.command.clone(),
            cols: live.size.cols,
            rows: live.size.rows,
            clients: live.clients,
            started: self
                .started
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            idle_secs: live.last_activity.elapsed().as_secs(),
        }
    }
}

/// A live session as the registry holds it.
#[derive(Debug, Clone)]
struct Entry {
    info: Arc<Info>,
    commands: Sender<Command>,
    input: Sender<(ClientId, Bytes)>,
    took: Arc<Notify>,
    ending: Arc<OnceLock<Ending>>,
    end: CancellationToken,
}

/// Why a connection could not attach to the session it named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    /// No such session for this client: never was, ended, or someone else's (which is not told apart).
    #[error("there is no session {0} for you here; it may have ended")]
    NotFound(String),
}

/// Every live session, shared by all workers.
#[derive(Debug, Clone)]
pub struct Sessions {
    live: Arc<Mutex<HashMap<String, Entry>>>,
    limit: ClientLimit,
}

impl Sessions {
    /// An empty registry allowing `max` sessions (0: no limit) and `max_per_user` per user (0: no limit).
    pub fn new(max: usize, max_per_user: usize) -> Sessions {
        Sessions {
            live: Arc::default(),
            limit: ClientLimit::new(if max == 0 { usize::MAX } else { max }, max_per_user),
        }
    }

    /// A place for one more session of `user`, or which limit is reached.
    pub fn reserve(&self, user: &str) -> Result<ClientSlot, Full> {
        self.limit.acquire(user)
    }

    /// The limits, for messages: (sessions, sessions per user).
    pub fn limits(&self) -> (usize, usize) {
        (self.limit.max(), self.limit.max_per_user())
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Attaches a client with `rights` to the live session `id`, if `may_attach` allows it for that session.
    pub async fn attach(
        &self,
        id: &str,
        may_attach: impl FnOnce(&Info) -> bool,
        rights: Rights,
        size: Option<Size>,
    ) -> Result<Attachment, AttachError> {
        let entry = self
            .map()
            .get(id)
            .filter(|entry| may_attach(&entry.info))
            .cloned();
        let not_found = || AttachError::NotFound(id.to_owned());
        let entry = entry.ok_or_else(not_found)?;
        let (queue, output) = queue::channel(CLIENT_QUEUE);
        let (reply, joined) = oneshot::channel();
        let attach = Command::Attach {
            rights,
            size,
            queue,
            reply,
        };
        entry.commands.send(attach).await.map_err(|_| not_found())?;
        // The hub drops the reply when it is already ending.
        let joined = joined.await.map_err(|_| not_found())?;
        Ok(Attachment {
            info: entry.info,
            client: joined.client,
            writable: joined.writable,
            role: rights.role,
            size: joined.size,
            resumed: joined.resumed,
            output,
            took: entry.took,
            input: entry.input,
            commands: entry.commands,
            ending: entry.ending,
        })
    }

    /// Every live session, oldest first.
    pub fn list(&self) -> Vec<Listing> {
        let mut all: Vec<Listing> = self
            .map()
            .values()
            .map(|entry| entry.info.listing())
            .collect();
        all.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// Asks the session `id` to end; false if there is none.
    pub fn end(&self, id: &str) -> bool {
        let Some(entry) = self.map().get(id).cloned() else {
            return false;
        };
        entry.end.cancel();
        true
    }

    /// How many sessions are alive.
    pub fn count(&self) -> usize {
        self.map().len()
    }

    fn insert(&self, entry: Entry) {
        self.map().insert(entry.info.id.clone(), entry);
    }

    fn remove(&self, id: &str) {
        self.map().remove(id);
        crate::memory::release_soon();
    }
}
