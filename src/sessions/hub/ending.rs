//! How a session ends: why its hub stopped, what the clients still attached are told, the end of the program (and
//! of every process left in the session), and the audit trail's last line.

use tokio::time::Instant;

use super::Hub;
use crate::protocol::ExitStatus;
use crate::sessions::{Ending, Entry};

/// Why the hub stopped.
#[derive(Debug)]
pub(super) enum Why {
    Exited(ExitStatus),
    Expired,
    Deleted,
    Shutdown,
}

impl Hub {
    /// Ends the session (no longer registered) for `why`: tells the clients still attached how it ended (`entry`),
    /// shuts the program down, and logs the session's end (it ran since `started`).
    pub(super) async fn end(mut self, why: Why, entry: Entry, started: Instant) {
        tracing::info!(?why, "session ending");
        let reason = match why {
            Why::Exited(_) => "exited",
            Why::Expired => "expired",
            Why::Deleted => "deleted",
            Why::Shutdown => "shutdown",
        };
        let status = match why {
            Why::Exited(status) => {
                // The clients left get the exit (`ending` is set); then the rest of the session is torn down.
                self.clients.clear();
                let _ = self.session.shutdown().await;
                Some(status)
            }
            Why::Shutdown => {
                let _ = entry.ending.set(Ending::Shutdown);
                self.clients.clear();
                let grace = self.settings.shutdown.kill_grace(self.session.kill_grace());
                self.session.shutdown_within(grace).await
            }
            Why::Deleted => {
                let status = self.session.shutdown().await;
                let _ = entry.ending.set(Ending::Deleted(status.clone()));
                self.clients.clear();
                status
            }
            Why::Expired => self.session.shutdown().await,
        };
        self.settings.metrics.session_ended(status.as_ref());
        if let Some(recorder) = self.recorder.take() {
            if let Err(error) = recorder.finish() {
                tracing::error!(%error, "the recording is incomplete");
            }
        }
        tracing::info!(
            target: "webterm::audit",
            event = "session.end",
            session = self.info.id,
            user = self.info.owner,
            command = self.info.command,
            reason,
            duration_ms = started.elapsed().as_millis() as u64,
            bytes_in = self.bytes_in,
            bytes_out = self.bytes_out,
            exit = ?status,
        );
        if self.settings.once {
            tracing::info!("session.once: the session has ended, stopping");
            self.settings.shutdown.request();
        }
    }
}
