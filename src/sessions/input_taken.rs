//! How much of each client's input its session took for the program, so that a page whose connection dropped can
//! send again exactly what did not arrive (`resume_input`, docs/protocol.md). The count of a client that left is
//! kept a while: its page asks once it is back, which is often after the server noticed the drop.

use std::collections::VecDeque;

use super::ClientId;

/// How many of the clients that left are remembered.
const REMEMBERED: usize = 16;

/// The counts of the attached clients, and of the last [`REMEMBERED`] that left.
#[derive(Debug, Default)]
pub(super) struct InputTaken {
    /// Oldest client first.
    counts: VecDeque<Count>,
}

#[derive(Debug)]
struct Count {
    client: ClientId,
    bytes: u64,
    attached: bool,
    /// Its page asked (`resume_input`): the count is final, and no more of its input is taken.
    asked: bool,
}

impl InputTaken {
    /// `client` attached; nothing of its input was taken yet.
    pub fn attached(&mut self, client: ClientId) {
        self.counts.push_back(Count {
            client,
            bytes: 0,
            attached: true,
            asked: false,
        });
    }

    /// `client` left: its count is final, and kept until [`REMEMBERED`] others left after it.
    pub fn left(&mut self, client: ClientId) {
        if let Some(count) = self.find(client) {
            count.attached = false;
        }
        if self.counts.iter().filter(|c| !c.attached).count() > REMEMBERED {
            let oldest = self.counts.iter().position(|c| !c.attached);
            self.counts.remove(oldest.expect("some client left"));
        }
    }

    /// Counts `len` bytes of `client`'s input as taken; false, and not counted, once its page asked for its count
    /// or it left (that input is sent again on the page's next connection).
    pub fn take(&mut self, client: ClientId, len: usize) -> bool {
        match self.find(client) {
            Some(count) if count.attached && !count.asked => {
                count.bytes += len as u64;
                true
            }
            _ => false,
        }
    }

    /// The bytes of `client`'s input taken in all, final from now on; `None` for a client not remembered.
    pub fn ask(&mut self, client: ClientId) -> Option<u64> {
        let count = self.find(client)?;
        count.asked = true;
        Some(count.bytes)
    }

    fn find(&mut self, client: ClientId) -> Option<&mut Count> {
        self.counts.iter_mut().find(|c| c.client == client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_counted_until_the_page_asks_and_then_taken_no_more() {
        let mut taken = InputTaken::default();
        taken.attached(0);
        taken.attached(1);
        assert!(taken.take(0, 5));
        assert!(taken.take(1, 7));
        assert!(taken.take(0, 3));
        assert_eq!(taken.ask(0), Some(8));
        assert!(!taken.take(0, 4), "what still comes from it is sent again");
        assert_eq!(
            taken.ask(0),
            Some(8),
            "asked again (the page dropped again), the same answer"
        );
        assert_eq!(taken.ask(1), Some(7));
        assert_eq!(taken.ask(2), None, "never attached");
    }

    #[test]
    fn a_client_that_left_is_remembered_until_enough_others_left() {
        let mut taken = InputTaken::default();
        taken.attached(0);
        assert!(taken.take(0, 2));
        taken.left(0);
        assert!(
            !taken.take(0, 1),
            "input that comes after it left is not taken"
        );
        for client in 1..REMEMBERED as ClientId {
            taken.attached(client);
            taken.left(client);
        }
        assert_eq!(
            taken.ask(0),
            Some(2),
            "one of the last {REMEMBERED} that left"
        );
        taken.attached(100);
        taken.left(100);
        assert_eq!(taken.ask(0), None, "forgotten");
        assert_eq!(taken.ask(1), Some(0));
    }

    #[test]
    fn attached_clients_are_never_forgotten() {
        let mut taken = InputTaken::default();
        taken.attached(0);
        for client in 1..=10 * REMEMBERED as ClientId {
            taken.attached(client);
            taken.left(client);
        }
        assert!(taken.take(0, 1));
        assert_eq!(taken.ask(0), Some(1));
        assert_eq!(taken.counts.len(), 1 + REMEMBERED);
    }
}
