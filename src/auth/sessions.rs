//! Browser sessions: a random id in an HttpOnly cookie stands for credentials checked once.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::{Identity, Secret};

/// Sessions kept at once for one user name (one credential in `token` mode); that user's oldest goes first
/// beyond this. Far more than one person's browsers, devices and private windows, with room for the sessions
/// left behind by browsers that forgot their cookie; small enough that a credential logging in again and again
/// only ends its own sessions, and that 32 users fill the table before [`MAX_SESSIONS`] must act.
const MAX_PER_USER: usize = 32;

/// Sessions kept at once in all, the last resort when very many users have sessions: the oldest of anyone's
/// goes first beyond this.
const MAX_SESSIONS: usize = 1024;

/// The sessions of this server process; a restart ends them all.
#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

/// How many times the table was cleared (the credentials changed): a login checked against older credentials
/// must not start a session in the new table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

#[derive(Debug, Default)]
struct Inner {
    generation: u64,
    by_id: HashMap<String, Identity>,
    /// Every session's id, oldest first.
    oldest_first: VecDeque<String>,
    /// Each user's session ids, oldest first; a user without sessions has no entry.
    by_user: HashMap<String, VecDeque<String>>,
}

impl Inner {
    /// Ends the session `id`. Linear in the number of sessions, which is at most [`MAX_SESSIONS`].
    fn end(&mut self, id: &str) {
        let Some(identity) = self.by_id.remove(id) else {
            return;
        };
        self.oldest_first.retain(|other| other != id);
        if let Some(ids) = self.by_user.get_mut(&identity.user) {
            ids.retain(|other| other != id);
            if ids.is_empty() {
                self.by_user.remove(&identity.user);
            }
        }
    }
}

impl Sessions {
    /// The table's generation now. Read it before the credentials a login is checked against.
    pub fn generation(&self) -> Generation {
        Generation(self.lock().generation)
    }

    /// Starts a session for `identity`, whose credentials were checked in generation `checked`; returns the id to
    /// put in the cookie, or None if the table was cleared since (the check used credentials that are gone).
    pub fn start(&self, identity: Identity, checked: Generation) -> Option<Secret> {
        // SECURITY: the id is 128 fresh random bits and is not derived from the credentials, so a stolen cookie
        // is worth one browser session on one server run, never the token or the password.
        let id = Secret::random();
        let mut inner = self.lock();
        // SECURITY: a password check takes a while; a reload that removed the user or changed the token during
        // it must not be outlived by the session it would start.
        if checked.0 != inner.generation {
            return None;
        }
        // SECURITY: a user who logs in again and again (or anyone holding a shared credential, even the read-only
        // token) pushes out only that user's own oldest sessions, never other users' browsers.
        let oldest_own = inner
            .by_user
            .get(&identity.user)
            .filter(|ids| ids.len() >= MAX_PER_USER)
            .and_then(|ids| ids.front().cloned());
        if let Some(oldest) = oldest_own {
            inner.end(&oldest);
        }
        while inner.oldest_first.len() >= MAX_SESSIONS {
            // Taken off the queue here, so that the loop ends whatever `end` finds.
            let oldest = inner
                .oldest_first
                .pop_front()
                .expect("the queue is not empty");
            inner.end(&oldest);
        }
        inner
            .by_user
            .entry(identity.user.clone())
            .or_default()
            .push_back(id.expose().to_owned());
        inner.by_id.insert(id.expose().to_owned(), identity);
        inner.oldest_first.push_back(id.expose().to_owned());
        Some(id)
    }

    /// Ends every session (the credentials changed), and those of logins still being checked.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.by_id.clear();
        inner.oldest_first.clear();
        inner.by_user.clear();
    }

    /// The identity of the session `id`, if there is one.
    pub fn get(&self, id: &str) -> Option<Identity> {
        // SECURITY: a hash lookup with std's randomly keyed SipHash: how long it takes says nothing about how
        // close a guessed id is to a real one.
        self.lock().by_id.get(id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .expect("the session table's lock is never poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn user(name: &str) -> Identity {
        Identity {
            user: name.into(),
            role: Role::Write,
        }
    }

    #[test]
    fn a_login_checked_before_the_table_was_cleared_starts_no_session() {
        let sessions = Sessions::default();
        let checked = sessions.generation();
        sessions.clear();
        assert_eq!(sessions.start(user("ann"), checked), None);
        assert!(sessions.start(user("ann"), sessions.generation()).is_some());
    }

    #[test]
    fn a_started_session_is_found_and_an_unknown_id_is_not() {
        let sessions = Sessions::default();
        let ann = Identity {
            user: "ann".into(),
            role: Role::Read,
        };
        let id = sessions.start(ann.clone(), sessions.generation()).unwrap();
        assert_eq!(sessions.get(id.expose()), Some(ann));
        assert_eq!(sessions.get(Secret::random().expose()), None);
        assert_eq!(sessions.get(""), None);
    }

    #[test]
    fn a_user_who_logs_in_again_and_again_ends_only_their_own_oldest_sessions() {
        let sessions = Sessions::default();
        let ann = sessions.start(user("ann"), sessions.generation()).unwrap();
        let first = sessions
            .start(user("mallory"), sessions.generation())
            .unwrap();
        let ids: Vec<_> = (0..MAX_SESSIONS + 100)
            .map(|_| {
                sessions
                    .start(user("mallory"), sessions.generation())
                    .unwrap()
            })
            .collect();
        assert_eq!(sessions.get(ann.expose()), Some(user("ann")));
        assert_eq!(sessions.get(first.expose()), None);
        let (gone, kept) = ids.split_at(ids.len() - MAX_PER_USER);
        assert!(kept.iter().all(|id| sessions.get(id.expose()).is_some()));
        assert!(gone.iter().all(|id| sessions.get(id.expose()).is_none()));
        let inner = sessions.inner.lock().unwrap();
        assert_eq!(inner.by_id.len(), MAX_PER_USER + 1);
        assert_eq!(inner.oldest_first.len(), MAX_PER_USER + 1);
        assert_eq!(inner.by_user["mallory"].len(), MAX_PER_USER);
    }

    #[test]
    fn beyond_the_overall_cap_the_oldest_of_anyones_sessions_make_room() {
        let sessions = Sessions::default();
        let first = sessions
            .start(user("user-first"), sessions.generation())
            .unwrap();
        let ids: Vec<_> = (0..MAX_SESSIONS)
            .map(|n| {
                sessions
                    .start(user(&format!("user-{n}")), sessions.generation())
                    .unwrap()
            })
            .collect();
        assert_eq!(sessions.get(first.expose()), None);
        assert!(ids.iter().all(|id| sessions.get(id.expose()).is_some()));
        let inner = sessions.inner.lock().unwrap();
        assert!(!inner.by_user.contains_key("user-first"));
        assert_eq!(inner.by_user.len(), MAX_SESSIONS);
    }
}
