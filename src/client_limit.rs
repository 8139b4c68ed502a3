//! `session.max_clients`: how many terminals may be open at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts open terminals against a maximum.
#[derive(Debug, Clone)]
pub struct ClientLimit {
    open: Arc<AtomicUsize>,
    max: usize,
}

/// One open terminal's place; dropping it frees the place.
#[derive(Debug)]
pub struct ClientSlot {
    open: Arc<AtomicUsize>,
}

impl ClientLimit {
    /// A limit of `max` terminals.
    pub fn new(max: usize) -> ClientLimit {
        ClientLimit {
            open: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// A place for one more terminal, or `None` when all `max` are taken.
    pub fn acquire(&self) -> Option<ClientSlot> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max).then_some(open + 1)
            })
            .ok()
            .map(|_| ClientSlot {
                open: self.open.clone(),
            })
    }

    /// The most terminals open at once.
    pub fn max(&self) -> usize {
        self.max
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_limited_and_come_back_when_dropped() {
        let limit = ClientLimit::new(2);
        let (a, b) = (limit.acquire(), limit.acquire());
        assert!(a.is_some() && b.is_some());
        assert!(limit.acquire().is_none());
        drop(a);
        assert!(limit.acquire().is_some());
    }
}
