//! A bounded queue between tasks, small while idle: what a session's channels and a WebSocket's outgoing
//! messages go through.
//!
//! tokio's `mpsc` channel allocates 1.3 to 1.8 KiB up front (a cache-padded channel and a first block of 32 slots),
//! and every idle session held four of them (its commands, its input, its client's output, and actix-ws's queue of
//! outgoing messages), about a fifth of what an idle session cost (BENCHMARKS.md). This queue is about 150 bytes
//! until it is used, and its storage grows to at most its capacity. It has the few methods webterm uses, with the
//! meaning tokio's have. The room is a semaphore with one permit per free slot (closed when the receiver goes);
//! the receiver's waker is woken by every item and by the last sender's drop.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use tokio::sync::{Semaphore, SemaphorePermit, TryAcquireError};

/// A queue of at most `capacity` items: one receiver, any number of senders.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        items: Mutex::new(VecDeque::new()),
        room: Semaphore::new(capacity),
        ready: AtomicWaker::new(),
        senders: AtomicUsize::new(1),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

struct Shared<T> {
    items: Mutex<VecDeque<T>>,
    /// One permit per free slot; closed when the receiver is dropped.
    room: Semaphore,
    /// Wakes the receiver: an item came, or the last sender went.
    ready: AtomicWaker,
    senders: AtomicUsize,
}

impl<T> Shared<T> {
    fn items(&self) -> MutexGuard<'_, VecDeque<T>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `item`, whose slot the caller took from `room`; drops it if the receiver is gone (a slot taken just
    /// before that), as the receiver's drop drops what was queued.
    fn push(&self, item: T) {
        let mut items = self.items();
        if self.room.is_closed() {
            drop(items);
            drop(item);
            return;
        }
        items.push_back(item);
        drop(items);
        self.ready.wake();
    }
}

/// Why [`Sender::try_send`] gave the item back.
#[derive(Debug, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The queue is full.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

/// The sending half; clone it for more senders.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Waits for room and adds `item`; gives it back if the receiver is gone.
    pub async fn send(&self, item: T) -> Result<(), T> {
        match self.reserve().await {
            Ok(permit) => {
                permit.send(item);
                Ok(())
            }
            Err(Closed) => Err(item),
        }
    }

    /// Adds `item` if there is room now.
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        match self.shared.room.try_acquire() {
            Ok(slot) => {
                slot.forget();
                self.shared.push(item);
                Ok(())
            }
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(item)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(item)),
        }
    }

    /// Waits for room and holds a slot for one item, without having the item yet; fails if the receiver is gone.
    /// Cancel-safe: dropping the wait (or the [`Permit`]) takes nothing.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, Closed> {
        let slot = self.shared.room.acquire().await.map_err(|_| Closed)?;
        Ok(Permit {
            slot,
            shared: &self.shared,
        })
    }

    /// How many more items fit now.
    pub fn capacity(&self) -> usize {
        self.shared.room.available_permits()
    }

    /// Whether the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.room.is_closed()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.ready.wake();
        }
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// The receiver is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// A slot held by [`Sender::reserve`]; dropping it gives the slot back.
pub struct Permit<'a, T> {
    slot: SemaphorePermit<'a>,
    shared: &'a Shared<T>,
}

impl<T> Permit<'_, T> {
    /// Adds `item` in the held slot.
    pub fn send(self, item: T) {
        self.slot.forget();
        self.shared.push(item);
    }
}

/// The receiving half.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// The next item; None once every sender is gone and the queue is empty. Cancel-safe: nothing is taken
    /// unless it is returned.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`Receiver::recv`] for code that polls.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(item) = self.try_recv() {
            return Poll::Ready(item);
        }
        self.shared.ready.register(cx.waker());
        // Again: an item (or the last sender's drop) between the first look and the registration woke no one.
        match self.try_recv() {
            Some(item) => Poll::Ready(item),
            None => Poll::Pending,
        }
    }

    /// Some(the next item, or None when every sender is gone), or None if it has to wait.
    fn try_recv(&mut self) -> Option<Option<T>> {
        if let Some(item) = self.pop() {
            return Some(Some(item));
        }
        // Look again once the senders are gone: the last one may have added an item since the first look.
        (self.shared.senders.load(Ordering::Acquire) == 0).then(|| self.pop())
    }

    fn pop(&mut self) -> Option<T> {
        let item = self.shared.items().pop_front()?;
        self.shared.room.add_permits(1);
        Some(item)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.room.close();
        // What was queued is dropped now, as tokio's channels do, not when the last sender goes: an item may be
        // what someone waits on (an attach's reply), and senders may outlive the receiver for long.
        let queued = std::mem::take(&mut *self.shared.items());
        drop(queued);
    }
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("queued", &self.shared.items().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::FutureExt;

    use super::*;

    #[tokio::test]
    async fn items_come_in_order_and_the_room_is_bounded() {
        let (tx, mut rx) = channel(2);
        assert_eq!(tx.capacity(), 2);
        tx.try_send(1).unwrap();
        tx.send(2).await.unwrap();
        assert_eq!(tx.capacity(), 0);
        assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(tx.capacity(), 1);
        tx.try_send(3).unwrap();
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(tx.capacity(), 2);
    }

    #[tokio::test]
    async fn items_left_in_the_queue_are_dropped_with_the_receiver_while_senders_live() {
        let (tx, rx) = channel(2);
        let (reply, answer) = tokio::sync::oneshot::channel::<()>();
        tx.try_send(reply).unwrap();
        // A slot held when the receiver goes: its item is dropped too.
        let (late, late_answer) = tokio::sync::oneshot::channel::<()>();
        let permit = tx.reserve().await.unwrap();
        drop(rx);
        permit.send(late);
        // Whoever waits for a reply learns at once that none will come, though `tx` lives on.
        assert!(answer.now_or_never().expect("dropped").is_err());
        assert!(late_answer.now_or_never().expect("dropped").is_err());
        assert!(tx.is_closed());
    }

    #[tokio::test]
    async fn a_full_queue_makes_senders_wait_until_an_item_is_taken() {
        let (tx, mut rx) = channel(1);
        tx.send("first").await.unwrap();
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send("second").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "sent into a full queue");
        assert_eq!(rx.recv().await, Some("first"));
        waiting.await.unwrap().unwrap();
        assert_eq!(rx.recv().await, Some("second"));
    }

    #[tokio::test]
    async fn the_receiver_wakes_for_an_item_sent_while_it_waits() {
        let (tx, mut rx) = channel(4);
        let received = tokio::spawn(async move { rx.recv().await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        tx.try_send(7).unwrap();
        assert_eq!(received.await.unwrap(), Some(7));
    }

    #[tokio::test]
    async fn the_receiver_ends_when_the_last_sender_goes_after_the_queued_items() {
        let (tx, mut rx) = channel(4);
        let other = tx.clone();
        tx.try_send(1).unwrap();
        drop(tx);
        let received = tokio::spawn(async move { (rx.recv().await, rx.recv().await) });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!received.is_finished(), "ended while a sender was left");
        drop(other);
        assert_eq!(received.await.unwrap(), (Some(1), None));
    }

    #[tokio::test]
    async fn senders_see_the_receiver_go() {
        let (tx, rx) = channel(1);
        tx.try_send(1).unwrap();
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(2).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!tx.is_closed());
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(waiting.await.unwrap(), Err(2));
        assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
        assert!(tx.reserve().await.is_err());
    }

    #[tokio::test]
    async fn a_permit_holds_a_slot_and_gives_it_back_unused() {
        let (tx, mut rx) = channel(1);
        let permit = tx.reserve().await.unwrap();
        assert_eq!(tx.capacity(), 0);
        assert!(tx.reserve().now_or_never().is_none(), "the slot is held");
        drop(permit);
        assert_eq!(tx.capacity(), 1);
        tx.reserve().await.unwrap().send(5);
        assert_eq!(rx.recv().await, Some(5));
    }

    #[tokio::test]
    async fn a_dropped_receive_takes_nothing() {
        let (tx, mut rx) = channel(2);
        // Polled once while empty, then dropped, as a `select!` drops the branch that lost.
        assert!(rx.recv().now_or_never().is_none());
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
    }

    #[test]
    fn the_last_item_of_a_sender_that_goes_at_once_is_received() {
        // The receiver polls without pause while another thread sends one item and goes, so that the item and
        // the sender's end often fall between the receiver's looks.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        for n in 0..20_000 {
            let (tx, mut rx) = channel(1);
            let sender = std::thread::spawn(move || {
                tx.try_send(n).unwrap();
                drop(tx);
            });
            let first = loop {
                if let Poll::Ready(item) = rx.poll_recv(&mut cx) {
                    break item;
                }
                // Lets the sender run if it waits for this CPU: on a busy machine a pure spin made each of the
                // 20,000 rounds wait out a time slice (a minute in all, instead of a few seconds).
                std::thread::yield_now();
            };
            assert_eq!(first, Some(n));
            sender.join().unwrap();
        }
    }

    #[tokio::test]
    async fn many_senders_and_one_receiver_lose_nothing() {
        let (tx, mut rx) = channel(3);
        let mut tasks = Vec::new();
        for sender in 0..8u64 {
            let tx = tx.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..1000u64 {
                    if n % 2 == 0 {
                        tx.send(sender * 1000 + n).await.unwrap();
                    } else {
                        tx.reserve().await.unwrap().send(sender * 1000 + n);
                    }
                }
            }));
        }
        drop(tx);
        let mut last = [None::<u64>; 8];
        let mut count = 0;
        while let Some(item) = rx.recv().await {
            let (sender, n) = ((item / 1000) as usize, item % 1000);
            assert!(last[sender].is_none_or(|last| last < n), "out of order");
            last[sender] = Some(n);
            count += 1;
        }
        assert_eq!(count, 8000);
        for task in tasks {
            task.await.unwrap();
        }
    }
}
