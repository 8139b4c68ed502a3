//! `session.max_clients` and `session.max_per_user`: how many WebSocket connections (terminals, and `/echo`) may be
//! open at once, in all and per user. Clients whose credentials are read-only take at most half of the places, so
//! that viewers (all holders of the read token are one user) cannot lock out everyone who may type.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Counts open terminals against the maximums.
#[derive(Debug, Clone)]
pub struct ClientLimit {
    open: Arc<Mutex<Open>>,
    max: usize,
    max_per_user: usize,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    /// Of `total`, the places of read-only clients.
    viewers: usize,
    by_user: HashMap<String, usize>,
}

/// Which limit refused a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// `session.max_clients` terminals are open.
    Server,
    /// This user has `session.max_per_user` terminals open.
    User,
    /// Read-only clients have half of `session.max_clients` open.
    Viewers,
}

/// One open terminal's place; dropping it frees the place.
#[derive(Debug)]
pub struct ClientSlot {
    open: Arc<Mutex<Open>>,
    user: String,
    viewer: bool,
}

impl ClientLimit {
    /// A limit of `max` terminals, and `max_per_user` for each user (0: no limit of its own).
    pub fn new(max: usize, max_per_user: usize) -> ClientLimit {
        ClientLimit {
            open: Arc::default(),
            max,
            max_per_user,
        }
    }

    /// A place for one more terminal of `user`, or which limit is reached.
    pub fn acquire(&self, user: &str) -> Result<ClientSlot, Full> {
        self.take(user, false)
    }

    /// A place for one more terminal of `user`, whose credentials are read-only, or which limit is reached.
    pub fn acquire_viewer(&self, user: &str) -> Result<ClientSlot, Full> {
        self.take(user, true)
    }

    fn take(&self, user: &str, viewer: bool) -> Result<ClientSlot, Full> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.total >= self.max {
            return Err(Full::Server);
        }
        if viewer && open.viewers >= self.max_viewers() {
            return Err(Full::Viewers);
        }
        let mine = open.by_user.get(user).copied().unwrap_or(0);
        if self.max_per_user > 0 && mine >= self.max_per_user {
            return Err(Full::User);
        }
        open.total += 1;
        open.viewers += usize::from(viewer);
        open.by_user.insert(user.to_string(), mine + 1);
        Ok(ClientSlot {
            open: self.open.clone(),
            user: user.to_string(),
            viewer,
        })
    }

    /// The most terminals of read-only clients open at once: half of [`ClientLimit::max`], rounded up.
    pub fn max_viewers(&self) -> usize {
        self.max.div_ceil(2)
    }

    /// The most terminals open at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The most terminals one user may have open at once (0: no limit of its own).
    pub fn max_per_user(&self) -> usize {
        self.max_per_user
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total -= 1;
        open.viewers -= usize::from(self.viewer);
        if let Some(mine) = open.by_user.get_mut(&self.user) {
            *mine -= 1;
            if *mine == 0 {
                open.by_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_limited_and_come_back_when_dropped() {
        let limit = ClientLimit::new(2, 0);
        let (a, b) = (limit.acquire("u"), limit.acquire("u"));
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(limit.acquire("v").unwrap_err(), Full::Server);
        drop(a);
        assert!(limit.acquire("v").is_ok());
    }

    #[test]
    fn read_only_clients_take_at_most_half_of_the_places() {
        let limit = ClientLimit::new(4, 0);
        let viewers = [limit.acquire_viewer("read"), limit.acquire_viewer("read")];
        assert!(viewers.iter().all(Result::is_ok));
        assert_eq!(limit.acquire_viewer("eve").unwrap_err(), Full::Viewers);
        let writers = [limit.acquire("ann"), limit.acquire("bob")];
        assert!(writers.iter().all(Result::is_ok));
        drop(viewers);
        assert!(limit.acquire_viewer("read").is_ok());
        assert_eq!(ClientLimit::new(1, 0).max_viewers(), 1);
    }

    #[test]
    fn each_user_has_a_limit_of_their_own() {
        let limit = ClientLimit::new(10, 1);
        let alice = limit.acquire("alice").unwrap();
        assert_eq!(limit.acquire("alice").unwrap_err(), Full::User);
        assert!(limit.acquire("bob").is_ok());
        drop(alice);
        assert!(limit.acquire("alice").is_ok());
    }
}
