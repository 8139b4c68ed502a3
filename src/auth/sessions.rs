//! Browser sessions: a random id in an HttpOnly cookie stands for credentials checked once.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::{Identity, Secret};

/// Sessions kept at once; the oldest goes first beyond this.
const MAX_SESSIONS: usize = 1024;

/// The sessions of this server process; a restart ends them all.
#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_id: HashMap<String, Identity>,
    oldest_first: VecDeque<String>,
}

impl Sessions {
    /// Starts a session for `identity`; returns the id to put in the cookie.
    pub fn start(&self, identity: Identity) -> Secret {
        // SECURITY: the id is 128 fresh random bits and is not derived from the credentials, so a stolen cookie
        // is worth one browser session on one server run, never the token or the password.
        let id = Secret::random();
        let mut inner = self
            .inner
            .lock()
            .expect("the session table's lock is never poisoned");
        while inner.oldest_first.len() >= MAX_SESSIONS {
            let oldest = inner
                .oldest_first
                .pop_front()
                .expect("the queue is not empty");
            inner.by_id.remove(&oldest);
        }
        inner.by_id.insert(id.expose().to_owned(), identity);
        inner.oldest_first.push_back(id.expose().to_owned());
        id
    }

    /// Ends every session (the credentials changed).
    pub fn clear(&self) {
        let mut inner = self
            .inner
            .lock()
            .expect("the session table's lock is never poisoned");
        inner.by_id.clear();
        inner.oldest_first.clear();
    }

    /// The identity of the session `id`, if there is one.
    pub fn get(&self, id: &str) -> Option<Identity> {
        // SECURITY: a hash lookup with std's randomly keyed SipHash: how long it takes says nothing about how
        // close a guessed id is to a real one.
        let inner = self
            .inner
            .lock()
            .expect("the session table's lock is never poisoned");
        inner.by_id.get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    #[test]
    fn a_started_session_is_found_and_an_unknown_id_is_not() {
        let sessions = Sessions::default();
        let ann = Identity {
            user: "ann".into(),
            role: Role::Read,
        };
        let id = sessions.start(ann.clone());
        assert_eq!(sessions.get(id.expose()), Some(ann));
        assert_eq!(sessions.get(Secret::random().expose()), None);
        assert_eq!(sessions.get(""), None);
    }

    #[test]
    fn the_oldest_sessions_make_room_for_new_ones() {
        let sessions = Sessions::default();
        let anyone = Identity {
            user: "anyone".into(),
            role: Role::Write,
        };
        let first = sessions.start(anyone.clone());
        let ids: Vec<_> = (0..MAX_SESSIONS)
            .map(|_| sessions.start(anyone.clone()))
            .collect();
        assert_eq!(sessions.get(first.expose()), None);
        assert!(ids.iter().all(|id| sessions.get(id.expose()).is_some()));
    }
}
