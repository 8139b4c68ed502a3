//! Graceful shutdown: tell every connection, let each end its session (hang up, grace, kill, reap), then stop.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TrackedFuture;

/// Shared by the server and every connection it serves.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
    /// Set by [`Shutdown::request`]: something inside the server asks for the same stop as SIGTERM.
    requested: CancellationToken,
    tracker: TaskTracker,
    /// When the shutdown's grace ends, once [`Shutdown::drain`] has started it.
    ends: Arc<OnceLock<Instant>>,
}

impl Shutdown {
    /// A shutdown that has not started.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Wraps a connection's future so that [`Shutdown::drain`] waits for it.
    pub fn track<F: Future>(&self, future: F) -> TrackedFuture<F> {
        self.tracker.track_future(future)
    }

    /// Resolves once shutdown has started.
    pub fn started(&self) -> WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }

    /// Whether shutdown has started; new connections are refused from then on.
    pub fn is_started(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Asks for a shutdown from inside the server (`session.once`); the server then stops as on SIGTERM.
    pub fn request(&self) {
        self.requested.cancel();
    }

    /// Resolves once [`Shutdown::request`] was called.
    pub fn requested(&self) -> WaitForCancellationFuture<'_> {
        self.requested.cancelled()
    }

    /// How long a session's processes get between the hang-up and SIGKILL: `kill_grace`, or during a shutdown at
    /// most half of what is left of its grace, so that what ignores the hang-up is killed before webterm exits
    /// (a process that outlived webterm would be nobody's to end).
    pub fn kill_grace(&self, kill_grace: Duration) -> Duration {
        match self.ends.get() {
            Some(ends) => kill_grace.min(ends.saturating_duration_since(Instant::now()) / 2),
            None => kill_grace,
        }
    }

    /// Starts the shutdown and waits up to `grace` for every tracked connection to end. Returns whether all did.
    pub async fn drain(&self, grace: Duration) -> bool {
        let _ = self.ends.set(Instant::now() + grace);
        self.token.cancel();
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for SIGTERM/SIGINT; stop webterm with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
}
