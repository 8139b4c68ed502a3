//! The clients attached to one session, as its hub sees them: who may type, and what each has yet to receive.
//!
//! Each client has a queue of [`CLIENT_QUEUE`](super::CLIENT_QUEUE) frames. A client whose queue is full when
//! output comes falls behind: it gets nothing more until it has room again, and then one snapshot of the screen
//! instead of what it missed; but a client in a file transfer misses nothing: output is read only when it has room.
//! A change of size or of who may type that finds a queue full waits here, and output waits behind a size: output
//! drawn for a size must not reach a client before that size does.

use bytes::Bytes;

use super::input_taken::InputTaken;
use super::{ClientId, ToClient};
use crate::protocol::{InputPolicy, Role, Size};
use crate::queue::{Sender, TrySendError};

/// One attached client.
#[derive(Debug)]
struct Client {
    id: ClientId,
    queue: Sender<ToClient>,
    /// Whether its role lets it type at all.
    role: Role,
    /// It missed output and waits for a snapshot.
    lagged: bool,
    /// A change of whether it may type, not yet delivered (its queue was full).
    control: Option<bool>,
    /// The size its own resize set, not yet delivered (its queue was full). It goes before `size`: a page
    /// tells the answer to its own resize from another client's by it (`frontend/src/session_size.ts`).
    answer: Option<Size>,
    /// The session's size, not yet delivered (its queue was full).
    size: Option<Size>,
    /// The answer to its `resume_input`, not yet delivered (its queue was full).
    input_taken: Option<(ClientId, Option<u64>)>,
    /// A file transfer runs in its output: it must miss none, so output is read only when it has room.
    transferring: bool,
}

/// The clients of one session, in the order they attached.
#[derive(Debug)]
pub(super) struct Clients {
    list: Vec<Client>,
    /// Who types when several clients share the session.
    input: InputPolicy,
    /// Under the `single` policy, the client that types.
    writer: Option<ClientId>,
    /// Whether the writer took control (`take_control`), rather than getting it as the first to attach or when
    /// the one before it left.
    taken: bool,
    next: ClientId,
    /// How much of each client's input was taken for the program.
    input_taken: InputTaken,
}

impl Clients {
    /// No clients yet, under the `input` policy.
    pub fn new(input: InputPolicy) -> Clients {
        Clients {
            list: Vec::new(),
            input,
            writer: None,
            taken: false,
            next: 0,
            input_taken: InputTaken::default(),
        }
    }

    /// How many are attached.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether none is attached.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether output may be read now: some client has room for another frame, and every client in a file
    /// transfer (that has not already fallen behind) has room for it and no size waiting before it.
    pub fn may_read(&self) -> bool {
        let transfers_ready = self
            .list
            .iter()
            .filter(|c| c.transferring && !c.lagged)
            .all(|c| c.queue.capacity() > 0 && c.answer.is_none() && c.size.is_none());
        transfers_ready && self.list.iter().any(|c| c.queue.capacity() > 0)
    }

    /// Client `id` runs a file transfer (`active`) or no longer does (see [`Clients::may_read`]).
    pub fn transfer(&mut self, id: ClientId, active: bool) {
        if let Some(client) = self.list.iter_mut().find(|c| c.id == id) {
            client.transferring = active;
        }
    }

    /// Whether some client waits for something it could not be sent yet.
    pub fn waiting(&self) -> bool {
        self.list.iter().any(|c| {
            c.lagged
                || c.control.is_some()
                || c.answer.is_some()
                || c.size.is_some()
                || c.input_taken.is_some()
        })
    }

    /// Adds a client that sends to `queue`. Under the `single` policy the first that may write types. One that
    /// is `behind` first gets the screen (from [`Clients::catch_up`]), then live output.
    pub fn add(&mut self, role: Role, queue: Sender<ToClient>, behind: bool) -> ClientId {
        let id = self.next;
        self.next += 1;
        if self.input == InputPolicy::Single && role == Role::Write && self.writer.is_none() {
            self.writer = Some(id);
        }
        self.list.push(Client {
            id,
            queue,
            role,
            lagged: behind,
            control: None,
            answer: None,
            size: None,
            input_taken: None,
            transferring: false,
        });
        self.input_taken.attached(id);
        id
    }

    /// Removes client `id`; if it typed, control passes on (see [`Clients::catch_up`]).
    pub fn remove(&mut self, id: ClientId) {
        self.list.retain(|c| c.id != id);
        self.input_taken.left(id);
        self.pass_control();
    }

    /// Keeps only the clients that fell behind (the others have all the output).
    pub fn keep_behind(&mut self) {
        self.list.retain(|c| c.lagged);
    }

    /// Lets every client go.
    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// Whether client `id` may type now.
    pub fn may_type(&self, id: ClientId) -> bool {
        self.role(id) == Some(Role::Write)
            && match self.input {
                InputPolicy::Shared => true,
                InputPolicy::Single => self.writer == Some(id),
            }
    }

    /// Whether `len` bytes of input from client `id` go to the program: it may type, and its page did not ask
    /// since how much of its input was taken (`resume_input`). Counts them if so.
    pub fn takes_input(&mut self, id: ClientId, len: usize) -> bool {
        self.may_type(id) && self.input_taken.take(id, len)
    }

    /// Answers client `id` how much input was taken from client `from` (its page's previous connection); from
    /// now on none is.
    pub fn resume_input(&mut self, id: ClientId, from: ClientId) {
        let bytes = if from == id {
            None
        } else {
            self.input_taken.ask(from)
        };
        if let Some(client) = self.list.iter_mut().find(|c| c.id == id) {
            client.input_taken = Some((from, bytes));
        }
    }

    /// Under the `single` policy, gives control to client `id` if its role lets it type. With `from` (the
    /// client its page was before its connection dropped), only back: while `from` still has control, or when
    /// the writer got control only because `from` left. Someone who took control since keeps it, and `id` is told
    /// it may not type.
    pub fn take_control(&mut self, id: ClientId, from: Option<ClientId>) {
        if self.input != InputPolicy::Single
            || self.role(id) != Some(Role::Write)
            || self.writer == Some(id)
        {
            return;
        }
        let back = match from {
            None => true,
            Some(from) => self.writer == Some(from) || !self.taken,
        };
        if back {
            self.set_writer(Some(id));
            self.taken = true;
        } else if let Some(client) = self.list.iter_mut().find(|c| c.id == id) {
            client.control = Some(false);
        }
    }

    /// Tells every client but `except` the session's `size`, in order with its output; `resized_by` (the
    /// client whose resize set it, if one did) gets it as the answer to that resize, even if another size
    /// follows before its queue has room.
    pub fn announce_size(
        &mut self,
        size: Size,
        except: Option<ClientId>,
        resized_by: Option<ClientId>,
    ) {
        for client in self.list.iter_mut().filter(|c| Some(c.id) != except) {
            client.size = Some(size);
            if Some(client.id) == resized_by {
                client.answer = Some(size);
            }
        }
    }

    /// Sends one read of the PTY to every client with room; the others fall behind.
    pub fn send_output(&mut self, frame: &Bytes) {
        for client in self.list.iter_mut().filter(|c| !c.lagged) {
            if client.answer.is_some() || client.size.is_some() {
                // Its new size could not be sent yet: this output goes after it, as a snapshot.
                client.lagged = true;
                continue;
            }
            if let Err(TrySendError::Full(_)) =
                client.queue.try_send(ToClient::Output(frame.clone()))
            {
                tracing::debug!(
                    client = client.id,
                    "client fell behind; it gets a snapshot when it has room"
                );
                client.lagged = true;
            }
        }
    }

    /// Drops clients whose connection is gone (passing control on), delivers waiting changes, and sends the
    /// screen from `snapshot` to every client that fell behind and has room again. `snapshot` is asked at most
    /// once, and may have none yet (a parse is in flight). Returns whether clients were dropped.
    pub fn catch_up(&mut self, mut snapshot: impl FnMut() -> Option<Bytes>) -> bool {
        let before = self.list.len();
        let input_taken = &mut self.input_taken;
        self.list.retain(|c| {
            let open = !c.queue.is_closed();
            if !open {
                input_taken.left(c.id);
            }
            open
        });
        let dropped = self.list.len() != before;
        if dropped {
            self.pass_control();
        }
        let mut screen: Option<Option<Bytes>> = None;
        for client in &mut self.list {
            if let Some(writable) = client.control {
                if client
                    .queue
                    .try_send(ToClient::Control { writable })
                    .is_ok()
                {
                    client.control = None;
                }
            }
            if let Some((from, bytes)) = client.input_taken {
                if client
                    .queue
                    .try_send(ToClient::InputTaken { from, bytes })
                    .is_ok()
                {
                    client.input_taken = None;
                }
            }
            if let Some(answer) = client.answer {
                if client.queue.try_send(ToClient::Size(answer)).is_ok() {
                    client.answer = None;
                    if client.size == Some(answer) {
                        client.size = None;
                    }
                }
            }
            if let (None, Some(size)) = (client.answer, client.size) {
                if client.queue.try_send(ToClient::Size(size)).is_ok() {
                    client.size = None;
                }
            }
            let sized = client.answer.is_none() && client.size.is_none();
            if client.lagged && sized && client.queue.capacity() > 0 {
                if let Some(screen) = screen.get_or_insert_with(&mut snapshot) {
                    client.lagged = client
                        .queue
                        .try_send(ToClient::Output(screen.clone()))
                        .is_err();
                }
            }
        }
        dropped
    }

    fn role(&self, id: ClientId) -> Option<Role> {
        self.list.iter().find(|c| c.id == id).map(|c| c.role)
    }

    /// If the writer left, passes control to the longest attached client that may write, if any.
    fn pass_control(&mut self) {
        if self.writer.is_some_and(|w| self.role(w).is_none()) {
            let next = self
                .list
                .iter()
                .find(|c| c.role == Role::Write)
                .map(|c| c.id);
            self.set_writer(next);
            self.taken = false;
        }
    }

    /// Hands control to `writer`; the old and the new one learn it from [`Clients::catch_up`].
    fn set_writer(&mut self, writer: Option<ClientId>) {
        let old = std::mem::replace(&mut self.writer, writer);
        for client in &mut self.list {
            if Some(client.id) == old {
                client.control = Some(false);
            }
            if Some(client.id) == writer {
                client.control = Some(true);
            }
        }
    }
}
