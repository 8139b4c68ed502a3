//! What a connection asks of its session's hub (`Command`): to attach a client (with the screen first, when it
//! resumes the session), to detach one, to resize the terminal, to take control, to learn how much of its page's
//! previous connection's input was taken, to miss no output while a file transfer runs; and the size changes that
//! follow.

use super::{Hub, record};
use crate::protocol::Size;
use crate::queue::Sender;
use crate::sessions::{ClientId, Command, Joined, Rights, ToClient};

impl Hub {
    /// Handles one command from a connection.
    pub(super) fn command(&mut self, command: Command) {
        match command {
            Command::Attach {
                rights,
                size,
                queue,
                reply,
            } => {
                let joined = self.add_client(rights, size, queue, true);
                let client = joined.client;
                if reply.send(joined).is_err() {
                    // The connection went away while waiting.
                    self.remove_client(client);
                }
            }
            Command::Detach(client) => self.remove_client(client),
            Command::Resize(client, size) => {
                if self.clients.may_type(client) {
                    self.resize(size);
                    // Every accepted resize is answered, even one to the size the session has: a page tells the
                    // answer to its own resize from another client's by it (`frontend/src/session_size.ts`).
                    self.announce_size(None, Some(client));
                }
            }
            Command::TakeControl(client, from) => self.clients.take_control(client, from),
            Command::ResumeInput(client, from) => self.clients.resume_input(client, from),
            Command::Transfer(client, active) => self.clients.transfer(client, active),
        }
    }

    /// Adds a client; a resumed one first gets the screen.
    pub(super) fn add_client(
        &mut self,
        rights: Rights,
        size: Option<Size>,
        queue: Sender<ToClient>,
        resumed: bool,
    ) -> Joined {
        let Rights { role, keeps } = rights;
        self.kept |= keeps;
        let id = self.clients.add(role, queue, resumed);
        let writable = self.clients.may_type(id);
        if let (Some(size), true) = (size, writable) {
            if size != self.session.size() {
                self.resize(size);
                // The new client learns the size from its `hello`; the others from this.
                self.announce_size(Some(id), None);
            }
        }
        self.info.live().clients = self.clients.len();
        Joined {
            client: id,
            writable,
            size: self.session.size(),
            resumed,
        }
    }

    fn remove_client(&mut self, id: ClientId) {
        self.clients.remove(id);
        self.info.live().clients = self.clients.len();
    }

    /// Tells every client but `except` the session's size, in order with its output (`catch_up` sends it), as
    /// the answer to its resize to `resized_by`.
    fn announce_size(&mut self, except: Option<ClientId>, resized_by: Option<ClientId>) {
        self.clients
            .announce_size(self.session.size(), except, resized_by);
        self.catch_up();
    }

    fn resize(&mut self, size: Size) {
        if size == self.session.size() {
            return;
        }
        if let Err(error) = self.session.resize(size) {
            tracing::warn!(%error, "resizing the terminal failed");
            return;
        }
        self.screen.resize(size);
        self.info.live().size = size;
        record(&mut self.recorder, |r| r.resize(size));
    }
}
